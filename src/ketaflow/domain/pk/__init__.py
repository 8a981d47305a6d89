"""Pharmacokinetic engine: published ketamine models, exact simulation, summaries, TCI and virtual cohorts.

Doses in mg (or mg/kg), rates in mg/h (or mg/kg/h), times in min; concentrations in ng/mL.
Every prediction is the exact closed-form solution of the linear compartment model (no ODE stepping).
"""

from ketaflow.domain.pk.cohorts import (
    CovariateDistributions,
    Exceedance,
    LogNormalDistribution,
    UniformDistribution,
    generate_cohort,
    get_variability,
    probability_cmax_above,
)
from ketaflow.domain.pk.doses import Bolus, Dose, Infusion, WeightBasedBolus, WeightBasedInfusion
from ketaflow.domain.pk.models import MODELS
from ketaflow.domain.pk.modes import Site
from ketaflow.domain.pk.parameters import (
    NOT_CONFIRMED_CAVEAT,
    AllometricClearances,
    Citation,
    Confirmation,
    EffectSite,
    Ke0Basis,
    MicroConstants,
    PkModel,
    Variability,
)
from ketaflow.domain.pk.percentiles import PercentileBands, evaluate_percentile_bands
from ketaflow.domain.pk.population import Cohort, PkPatient, Sex
from ketaflow.domain.pk.simulation import (
    ModelRef,
    Peak,
    Simulation,
    evaluate_auc,
    evaluate_peak,
    evaluate_time_above,
    get_model,
    simulate,
    simulate_cohort,
)
from ketaflow.domain.pk.tci import plan_tci

__all__ = [
    "MODELS",
    "NOT_CONFIRMED_CAVEAT",
    "AllometricClearances",
    "Bolus",
    "Citation",
    "Cohort",
    "Confirmation",
    "CovariateDistributions",
    "Dose",
    "EffectSite",
    "Exceedance",
    "Infusion",
    "Ke0Basis",
    "LogNormalDistribution",
    "MicroConstants",
    "ModelRef",
    "Peak",
    "PercentileBands",
    "PkModel",
    "PkPatient",
    "Sex",
    "Simulation",
    "Site",
    "UniformDistribution",
    "Variability",
    "WeightBasedBolus",
    "WeightBasedInfusion",
    "evaluate_auc",
    "evaluate_peak",
    "evaluate_percentile_bands",
    "evaluate_time_above",
    "generate_cohort",
    "get_model",
    "get_variability",
    "plan_tci",
    "probability_cmax_above",
    "simulate",
    "simulate_cohort",
]
