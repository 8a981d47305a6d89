"""Recovery after the infusion: PADSS and modified Aldrete scoring, discharge criteria and instructions.

The public API is small and pinned here::

    rules = RecoveryRules.from_dict(load_rule_file("recovery", "iv_ketamine_outpatient"))  # the caller reads it
    rules.items(Instrument.PADSS)                     # items and levels to show, in order
    score = score_recovery(rules, Instrument.PADSS, {"vital_signs": 2, ...})  # InputError names answers.<item>
    suggest_circulation_points(rules, baseline=..., latest=..., instrument=Instrument.ALDRETE)  # int | None
    evaluation = evaluate_discharge(rules, minutes_since_infusion_end=..., padss_history=[...], aldrete=...,
                                    baseline=..., latest=..., escort_name=...)
    evaluation.to_json()  # {"allowed", "decision", "findings", "earliest_at_min", "rule_set"}
    rules.instructions(clinic_name="...", clinic_phone="...")  # tuple of lines for the patient

The blood-pressure reading interval during recovery belongs to the monitoring rule set, not to this one.
"""

from ketaflow.domain.recovery.baseline import Deviation, DeviationUnit
from ketaflow.domain.recovery.discharge import DischargeEvaluation, evaluate_discharge
from ketaflow.domain.recovery.instructions import InstructionLine, InstructionSection
from ketaflow.domain.recovery.rules import RecoveryRules
from ketaflow.domain.recovery.scales import Instrument, ItemLevel, RecoveryScale, RecoveryScore, ScaleItem
from ketaflow.domain.recovery.scoring import score_recovery, suggest_circulation_points

__all__ = [
    "Deviation",
    "DeviationUnit",
    "DischargeEvaluation",
    "InstructionLine",
    "InstructionSection",
    "Instrument",
    "ItemLevel",
    "RecoveryRules",
    "RecoveryScale",
    "RecoveryScore",
    "ScaleItem",
    "evaluate_discharge",
    "score_recovery",
    "suggest_circulation_points",
]
