"""Builders for the monitoring tests: the shipped rule data and a normal reading to vary one sign at a time."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from typing import Any

from ketaflow.domain.monitoring import (
    Action,
    MonitoringFinding,
    MonitoringResult,
    MonitoringRules,
    Observation,
    Phase,
    TimedObservation,
    evaluate_observation,
)
from ketaflow.domain.vitals import Vitals
from ketaflow.rules import load_rule_file

# Any: test documents are parsed-JSON shapes that each test edits freely before from_dict checks them.
JsonDoc = dict[str, Any]

RULE_SET = "iv_ketamine_outpatient"
_RULE_DATA: JsonDoc = load_rule_file("monitoring", RULE_SET)

BASELINE = Vitals(systolic_mmhg=120, diastolic_mmhg=80, heart_rate_bpm=70, spo2_pct=98, respiratory_rate_per_min=14)
NORMAL = BASELINE  # a reading equal to the baseline meets no tier


def load_rule_data() -> JsonDoc:
    """A fresh parsed copy of rules/monitoring/iv_ketamine_outpatient.json (tests may mutate it)."""
    return copy.deepcopy(_RULE_DATA)


def reading(
    *,
    moaa_s: int | None = 5,
    cadss_total: int | None = None,
    side_effects: Sequence[str] = (),
    **signs: float | None,
) -> Observation:
    """The normal reading with the given signs changed (``spo2_pct=None`` leaves SpO2 uncharted)."""
    return Observation(
        vitals=dataclasses.replace(NORMAL, **signs),
        moaa_s=moaa_s,
        cadss_total=cadss_total,
        side_effects=tuple(side_effects),
    )


def timed(minutes: float, observation: Observation) -> TimedObservation:
    return TimedObservation(minutes_since_start=minutes, observation=observation)


def evaluate(
    rules: MonitoringRules,
    observation: Observation,
    *,
    minutes: float = 30.0,
    phase: Phase = Phase.INFUSING,
    baseline: Vitals = BASELINE,
    recent: Sequence[TimedObservation] = (),
    cadss_licensed: bool = False,
) -> MonitoringResult:
    return evaluate_observation(
        rules,
        phase=phase,
        minutes_since_start=minutes,
        baseline=baseline,
        observation=observation,
        recent=recent,
        cadss_licensed=cadss_licensed,
    )


def rule_ids(result: MonitoringResult) -> list[str]:
    return [found.finding.rule_id for found in result.findings]


def find(result: MonitoringResult, rule_id: str) -> MonitoringFinding:
    matches = [found for found in result.findings if found.finding.rule_id == rule_id]
    assert len(matches) == 1, f"{rule_id} in {rule_ids(result)}"
    return matches[0]


def group_finding(rules: MonitoringRules, result: MonitoringResult, group: str) -> MonitoringFinding | None:
    """The one finding a tier group reported (None when the reading met none of its tiers)."""
    ids = {tier.rule.rule_id for g in rules.groups if g.name == group for tier in g.tiers}
    assert ids, f"no tier group {group}"
    found = [f for f in result.findings if f.finding.rule_id in ids]
    assert len(found) <= 1, [f.finding.rule_id for f in found]
    return found[0] if found else None


def group_tier(rules: MonitoringRules, result: MonitoringResult, group: str) -> tuple[str, Action] | None:
    """The rule id and action a tier group reported, for case tables."""
    found = group_finding(rules, result, group)
    return None if found is None else (found.finding.rule_id, found.action)
