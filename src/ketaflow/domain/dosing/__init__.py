"""The dosing engine: protocols as cited rule data, dosing weight, dose and rate, pump programming, limits.

Pure: the services read ``rules/protocols/*.json`` and pass the parsed documents to
``ProtocolLibrary.from_dicts`` / ``Protocol.from_dict``. Rule-file reading (``JsonFields``) and citation
(``SourceRegistry``, ``RuleBasis``) come from ``ketaflow.domain.ruledata``, shared with screening, so both cite alike.
"""

from ketaflow.domain.dosing.plan import (
    InfusionPlan,
    Preparation,
    RateStep,
    plan_infusion,
    plan_stepped_infusion,
    round_to_increment,
)
from ketaflow.domain.dosing.protocol import (
    Limit,
    Protocol,
    ProtocolLibrary,
    PumpProfile,
    Quantity,
    Regimen,
    RegimenKind,
    SeriesPhase,
)
from ketaflow.domain.dosing.weights import (
    DosingPatient,
    DosingWeight,
    DosingWeightRule,
    IdealWeightFormula,
    Sex,
    WeightBasis,
    get_dosing_weight,
)

__all__ = [
    "DosingPatient",
    "DosingWeight",
    "DosingWeightRule",
    "IdealWeightFormula",
    "InfusionPlan",
    "Limit",
    "Preparation",
    "Protocol",
    "ProtocolLibrary",
    "PumpProfile",
    "Quantity",
    "RateStep",
    "Regimen",
    "RegimenKind",
    "SeriesPhase",
    "Sex",
    "WeightBasis",
    "get_dosing_weight",
    "plan_infusion",
    "plan_stepped_infusion",
    "round_to_increment",
]
