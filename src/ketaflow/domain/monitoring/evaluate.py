"""Evaluate one charted reading against a monitoring rule set: every finding with its action, and the action.

The reading is judged against the patient's baseline, the absolute anchors and the time since the infusion
started (a blood-pressure rise inside the expected band is noted, not alarmed). Each tier group reports the
strongest tier the reading meets; side effects, combinations (a high blood pressure with an end-organ
symptom) and trends (the same tier on consecutive readings) add their own findings. The action is the
strongest of the findings, so nothing is ever passed silently: a sign a tier needs that was not charted is a
finding too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ketaflow.domain.basis import JsonValue, RuleRef
from ketaflow.domain.errors import InputError
from ketaflow.domain.monitoring.actions import Action, MonitoringFinding, Phase, strongest
from ketaflow.domain.monitoring.observation import MAX_MINUTES_SINCE_START, Observation, TimedObservation
from ketaflow.domain.monitoring.rules import MonitoringRules
from ketaflow.domain.monitoring.tiers import ReadingContext, Scale
from ketaflow.domain.ruledata.rulebasis import format_number
from ketaflow.domain.vitals import Vitals, VitalSign


@dataclass(frozen=True, slots=True)
class MonitoringResult:
    """What one reading means: the action to take and every finding behind it (strongest first)."""

    action: Action
    findings: tuple[MonitoringFinding, ...]
    recheck_in_min: float | None
    rules: RuleRef

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "action": self.action.value,
            "findings": [finding.to_json() for finding in self.findings],
            "recheck_in_min": self.recheck_in_min,
            "rule_set": self.rules.to_json(),
        }


@dataclass(frozen=True, slots=True)
class _Hit:
    """A tier finding and the test the trend rule asks of earlier readings."""

    finding: MonitoringFinding
    matches: Callable[[ReadingContext], bool]

    @property
    def action(self) -> Action:
        return self.finding.action


def check_reading_times(minutes_since_start: float, recent: Sequence[TimedObservation], path: str = "recent") -> None:
    """Earlier readings must be in time order and before this one; raises InputError naming the first that is not.

    >>> earlier = TimedObservation(30, Observation(Vitals(systolic_mmhg=140)))
    >>> try:
    ...     check_reading_times(20, [earlier], "recent_readings")
    ... except InputError as exc:
    ...     print(exc)
    recent_readings[0].minutes_since_start: expected a time before this reading (20 min), got 30
    """
    if not 0 <= minutes_since_start <= MAX_MINUTES_SINCE_START:
        raise InputError("minutes_since_start", f"a number from 0 to {MAX_MINUTES_SINCE_START}", minutes_since_start)
    previous: float | None = None
    for index, reading in enumerate(recent):
        field = f"{path}[{index}].minutes_since_start"
        if previous is not None and reading.minutes_since_start <= previous:
            wanted = f"readings in time order (after {format_number(previous)} min)"
            raise InputError(field, wanted, reading.minutes_since_start)
        if reading.minutes_since_start >= minutes_since_start:
            wanted = f"a time before this reading ({format_number(minutes_since_start)} min)"
            raise InputError(field, wanted, reading.minutes_since_start)
        previous = reading.minutes_since_start


_VITAL_FIELDS = frozenset(sign.value for sign in VitalSign)


def _label(field: str) -> str:
    if field in _VITAL_FIELDS:
        return VitalSign(field).label
    return Scale(field).label


def _is_charted(observation: Observation, field: str) -> bool:
    if field in _VITAL_FIELDS:
        return observation.vitals.get(VitalSign(field)) is not None
    return Scale(field).get(observation) is not None


def _context(rules: MonitoringRules, observation: Observation, baseline: Vitals, minutes: float) -> ReadingContext:
    return ReadingContext(observation, baseline, minutes, rules.expected_rise.is_in_window(minutes))


def _missing_findings(
    rules: MonitoringRules, phase: Phase, observation: Observation, cadss_licensed: bool
) -> list[MonitoringFinding]:
    """Required signs not charted (insufficient data) and other checked fields not charted (info)."""
    findings = []
    required = [sign.value for sign in rules.required_signs[phase]]
    missing = [field for field in required if not _is_charted(observation, field)]
    if missing:
        values = {"phase": phase.value, "signs": ", ".join(_label(field) for field in missing)}
        inputs: dict[str, JsonValue] = {"phase": phase.value, "missing": list(missing)}
        findings.append(rules.required_missing.make_finding(values, inputs))
    read = [*rules.expected_rise.reads]
    for group in rules.groups:
        if cadss_licensed or not group.needs_licence:
            read += group.reads
    unchecked = [
        field for field in dict.fromkeys(read) if field not in required and not _is_charted(observation, field)
    ]
    if unchecked:
        values = {"signs": ", ".join(_label(field) for field in unchecked)}
        findings.append(rules.not_recorded.make_finding(values, {"not_charted": list(unchecked)}))
    return findings


def _baseline_finding(
    rules: MonitoringRules, context: ReadingContext, cadss_licensed: bool
) -> MonitoringFinding | None:
    """Signs charted now whose change from baseline a rule needs, but that have no baseline value."""
    relative = [
        (tier.rule.rule_id, tier.from_baseline)
        for group in rules.groups
        if cadss_licensed or not group.needs_licence
        for tier in group.tiers
    ]
    relative.append((rules.expected_rise.within.rule_id, rules.expected_rise.reads))
    needing: dict[str, list[str]] = {}
    for rule_id, fields in relative:
        for field in fields:
            sign = VitalSign(field)
            if context.observation.vitals.get(sign) is not None and context.baseline.get(sign) is None:
                needing.setdefault(field, []).append(rule_id)
    if not needing:
        return None
    rule_ids = list(dict.fromkeys(rule_id for ids in needing.values() for rule_id in ids))
    values = {"signs": ", ".join(_label(field) for field in needing), "rules": ", ".join(rule_ids)}
    inputs: dict[str, JsonValue] = {f"baseline.{field}": None for field in needing}
    inputs["rules"] = list(rule_ids)
    return rules.baseline_missing.make_finding(values, inputs)


def _tier_hits(rules: MonitoringRules, context: ReadingContext, cadss_licensed: bool) -> list[_Hit]:
    """The strongest tier each group's reading meets, and the expected-rise finding."""
    hits = []
    for group in rules.groups:
        if group.needs_licence and not cadss_licensed:
            continue
        tier = next((tier for tier in group.tiers if tier.matches(context)), None)
        if tier is not None:
            hits.append(_Hit(tier.make_finding(context), tier.matches))
    expected = rules.expected_rise
    rise = expected.evaluate(context)
    if rise is not None:
        above = rise.finding.rule_id == expected.above.rule_id
        hits.append(_Hit(rise, expected.matches_above if above else expected.matches_within))
    return hits


def _side_effect_findings(rules: MonitoringRules, observation: Observation) -> list[MonitoringFinding]:
    findings = []
    for code in observation.side_effects:
        effect = rules.get_side_effect(code)
        if effect is None:
            raise InputError(
                "side_effects", "codes known to the rule set (" + ", ".join(rules.side_effect_codes) + ")", code
            )
        found = effect.rule.make_finding({"label": effect.label}, {"side_effect": code})
        if effect.intervention is not None:
            # The intervention is cited apart from the side effect: its evidence is often weaker ([S]).
            finding = dataclasses.replace(
                found.finding,
                message=f"{found.finding.message} Suggested: {effect.intervention.text}.",
                source=f"{found.finding.source}; suggested intervention: {effect.intervention.source}",
            )
            found = dataclasses.replace(found, finding=finding)
        findings.append(found)
    return findings


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _combination_findings(rules: MonitoringRules, context: ReadingContext) -> list[MonitoringFinding]:
    findings = []
    for combination in rules.combinations:
        tiers = [tier for rule_id in combination.tier_ids if (tier := rules.get_tier(rule_id)) is not None]
        met = [tier for tier in tiers if tier.matches(context)]
        symptoms = [code for code in context.observation.side_effects if code in combination.side_effects]
        if not met or not symptoms:
            continue
        values = {
            "tiers": ", ".join(tier.rule.rule_id for tier in met),
            "symptoms": " and ".join(_lower_first(rules.side_effect_label(code)) for code in symptoms),
        }
        inputs: dict[str, JsonValue] = {
            f"reading.{field}": context.observation.vitals.get(VitalSign(field))
            for field in dict.fromkeys(field for tier in met for field in tier.reads)
            if field in _VITAL_FIELDS
        }
        inputs |= {
            "tiers": [tier.rule.rule_id for tier in met],
            "side_effects": list(symptoms),
            "minutes_since_start": context.minutes_since_start,
        }
        findings.append(combination.rule.make_finding(values, inputs))
    return findings


def _trend_findings(
    rules: MonitoringRules, hits: Sequence[_Hit], earlier: Sequence[ReadingContext], context: ReadingContext
) -> list[MonitoringFinding]:
    """A tier met by this reading and the ones charted just before it escalates (rule data: trend)."""
    needed = rules.trend.consecutive_readings - 1
    previous = list(earlier[-needed:])
    if len(previous) < needed:
        return []
    findings = []
    for hit in hits:
        escalation = rules.trend.escalations.get(hit.action)
        if escalation is None or not all(hit.matches(before) for before in previous):
            continue
        times = [before.minutes_since_start for before in previous]
        values = {
            "tier": hit.finding.finding.rule_id,
            "readings": str(rules.trend.consecutive_readings),
            "previous": ", ".join(f"{format_number(minutes)} min" for minutes in times),
            "minutes_since_start": context.minutes_text,
        }
        inputs: dict[str, JsonValue] = {
            "tier": hit.finding.finding.rule_id,
            "consecutive_readings": rules.trend.consecutive_readings,
            "previous_minutes_since_start": list(times),
            "minutes_since_start": context.minutes_since_start,
        }
        findings.append(escalation.make_finding(values, inputs))
    return findings


def evaluate_observation(
    rules: MonitoringRules,
    *,
    phase: Phase,
    minutes_since_start: float,
    baseline: Vitals,
    observation: Observation,
    recent: Sequence[TimedObservation] = (),
    cadss_licensed: bool = False,
) -> MonitoringResult:
    """Judge one reading: the findings of every rule it touches, strongest first, and the action to take.

    ``recent`` are the readings charted before this one in this session, oldest first (the trend rule reads
    the last of them). CADSS is evaluated only where the clinic is licensed for it; otherwise a charted total
    gives an info finding saying it was not evaluated.
    """
    check_reading_times(minutes_since_start, recent)
    context = _context(rules, observation, baseline, minutes_since_start)
    side_effects = _side_effect_findings(rules, observation)
    hits = _tier_hits(rules, context, cadss_licensed)
    findings = _missing_findings(rules, phase, observation, cadss_licensed)
    baseline_gap = _baseline_finding(rules, context, cadss_licensed)
    if baseline_gap is not None:
        findings.append(baseline_gap)
    findings += [hit.finding for hit in hits]
    if observation.cadss_total is not None and not cadss_licensed:
        values = {"score": str(observation.cadss_total)}
        inputs: dict[str, JsonValue] = {"reading.cadss_total": observation.cadss_total, "cadss_licensed": False}
        findings.append(rules.cadss_not_licensed.make_finding(values, inputs))
    findings += side_effects
    findings += _combination_findings(rules, context)
    earlier = [_context(rules, r.observation, baseline, r.minutes_since_start) for r in recent]
    findings += _trend_findings(rules, hits, earlier, context)
    ordered = tuple(sorted(findings, key=lambda found: -found.action.rank))
    action = strongest(found.action for found in ordered)
    return MonitoringResult(
        action=action, findings=ordered, recheck_in_min=rules.recheck_in_min.get(action), rules=rules.ref
    )
