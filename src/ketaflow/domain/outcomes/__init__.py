"""Outcomes: response, remission and relapse per patient, and the clinic's rates and time-to-relapse curves.

The public API is small and pinned here::

    definitions = OutcomeDefinitions.from_dict(load_rule_file("outcomes", "definitions"))  # the caller reads it
    first = evaluate_first_infusion_outcome(definitions, instrument="madrs", scores=..., infusion_times=...)
    series = evaluate_patient_outcome(definitions, instrument="madrs", scores=..., infusion_times=...,
                                      series_end=last_induction_infusion)
    summary = summarise_clinic(definitions, [PatientCourseSummary.create(...), ...], indication=..., period=...)
    summary.to_json()
"""

from ketaflow.domain.outcomes.clinic import (
    ClinicOutcomeSummary,
    DefinitionUsed,
    InstrumentSummary,
    PatientCourseSummary,
    Rate,
    Spread,
    is_in_filter,
    summarise_clinic,
)
from ketaflow.domain.outcomes.definitions import (
    Endpoint,
    Instrument,
    OutcomeDefinitions,
    RelapseRule,
    RemissionRule,
    ResponseRule,
)
from ketaflow.domain.outcomes.kaplan_meier import KaplanMeierCurve, estimate_kaplan_meier
from ketaflow.domain.outcomes.patient import (
    Assessment,
    PatientOutcome,
    evaluate_first_infusion_outcome,
    evaluate_patient_outcome,
)
from ketaflow.domain.outcomes.scores import ScorePoint
from ketaflow.domain.ruledata.comparison import Comparison

__all__ = [
    "Assessment",
    "ClinicOutcomeSummary",
    "Comparison",
    "DefinitionUsed",
    "Endpoint",
    "Instrument",
    "InstrumentSummary",
    "KaplanMeierCurve",
    "OutcomeDefinitions",
    "PatientCourseSummary",
    "PatientOutcome",
    "Rate",
    "RelapseRule",
    "RemissionRule",
    "ResponseRule",
    "ScorePoint",
    "Spread",
    "estimate_kaplan_meier",
    "evaluate_first_infusion_outcome",
    "evaluate_patient_outcome",
    "is_in_filter",
    "summarise_clinic",
]
