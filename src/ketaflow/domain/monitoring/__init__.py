"""Intra-infusion monitoring: what each charted reading means, when the next is due, when an alert escalates.

The rules are versioned, cited data (``rules/monitoring/<id>.json``, read by ``MonitoringRules.from_dict``);
the functions here evaluate them and never read files.
"""

from ketaflow.domain.monitoring.actions import Action, ActionRule, MonitoringFinding, Phase, strongest
from ketaflow.domain.monitoring.evaluate import MonitoringResult, check_reading_times, evaluate_observation
from ketaflow.domain.monitoring.observation import Observation, TimedObservation
from ketaflow.domain.monitoring.rules import ChartThreshold, MonitoringRules, SideEffect, TierGroup
from ketaflow.domain.monitoring.schedule import ReadingDue, evaluate_reading_schedule, is_escalation_due
from ketaflow.domain.monitoring.tiers import ReadingContext, Scale

__all__ = [
    "Action",
    "ActionRule",
    "ChartThreshold",
    "MonitoringFinding",
    "MonitoringResult",
    "MonitoringRules",
    "Observation",
    "Phase",
    "ReadingContext",
    "ReadingDue",
    "Scale",
    "SideEffect",
    "TierGroup",
    "TimedObservation",
    "check_reading_times",
    "evaluate_observation",
    "evaluate_reading_schedule",
    "is_escalation_due",
    "strongest",
]
