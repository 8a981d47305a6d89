"""May the patient go home: the discharge criteria of the recovery rule set, each with its basis.

Every criterion gives findings: met -> ``info``, unmet -> ``hold`` with its inputs (which score, which sign
and by how much, how many minutes remain), missing data -> ``insufficient_data`` (never a pass). Discharge
is allowed only when every finding is ``info``. A physician may discharge anyway with a documented reason;
that override is recorded by the session, together with this evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ketaflow.domain.basis import Decision, Effect, Finding, JsonValue, RuleRef, decide
from ketaflow.domain.errors import InputError
from ketaflow.domain.recovery.baseline import DeviationUnit, measure_deviation
from ketaflow.domain.recovery.criteria import (
    EscortCriterion,
    NearBaselineCriterion,
    ObservationCriterion,
    ScoreCriterion,
)
from ketaflow.domain.recovery.rules import RecoveryRules
from ketaflow.domain.recovery.scales import Instrument, RecoveryScale, RecoveryScore
from ketaflow.domain.recovery.scoring import score_recovery
from ketaflow.domain.ruledata.rulebasis import format_number
from ketaflow.domain.vitals import Vitals, describe_vitals

_EFFECT_RANK = {effect: rank for rank, effect in enumerate(Effect)}


@dataclass(frozen=True, slots=True)
class DischargeEvaluation:
    """Whether discharge criteria are met, the findings behind it (strongest first) and the rule set used.

    ``earliest_at_min`` is the minute after the infusion end at which the minimum observation time is
    reached, while it is still ahead; None once it has passed.
    """

    allowed: bool
    findings: tuple[Finding, ...]
    earliest_at_min: float | None
    rules: RuleRef

    @property
    def decision(self) -> Decision:
        return decide(self.findings)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "allowed": self.allowed,
            "decision": self.decision.value,
            "findings": [finding.to_json() for finding in self.findings],
            "earliest_at_min": self.earliest_at_min,
            "rule_set": self.rules.to_json(),
        }


def evaluate_discharge(
    rules: RecoveryRules,
    *,
    minutes_since_infusion_end: float,
    padss_history: Sequence[RecoveryScore],
    aldrete: RecoveryScore | None,
    baseline: Vitals,
    latest: Vitals | None,
    escort_name: str | None,
) -> DischargeEvaluation:
    """Apply the discharge criteria: observation time, PADSS (history, oldest first), Aldrete, vitals, escort.

    ``baseline`` is the pre-infusion reading and ``latest`` the newest reading since the infusion ended
    (None if none was charted). Scores are re-checked against the rule set; a score that does not fit it
    raises ``InputError`` naming e.g. ``padss_history[1].items.vital_signs``.
    """
    minutes = _read_minutes(minutes_since_infusion_end)
    padss = [_recheck(rules, score, Instrument.PADSS, f"padss_history[{i}]") for i, score in enumerate(padss_history)]
    aldrete_scores = [] if aldrete is None else [_recheck(rules, aldrete, Instrument.ALDRETE, "aldrete")]
    findings = [
        *_evaluate_observation(rules.observation, minutes),
        *_evaluate_score(rules.padss, rules.scale(Instrument.PADSS), padss),
        *_evaluate_score(rules.aldrete, rules.scale(Instrument.ALDRETE), aldrete_scores),
        *_evaluate_near_baseline(rules.near_baseline, baseline, latest),
        *_evaluate_escort(rules.escort, escort_name),
    ]
    ordered = tuple(sorted(findings, key=lambda finding: -_EFFECT_RANK[finding.effect]))
    minimum_min = rules.observation.minimum_min
    return DischargeEvaluation(
        allowed=decide(ordered) is Decision.PROCEED,
        findings=ordered,
        earliest_at_min=minimum_min if minutes < minimum_min else None,
        rules=rules.ref,
    )


def _read_minutes(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InputError("minutes_since_infusion_end", "a number of minutes, 0 or more", value)
    return float(value)


def _recheck(rules: RecoveryRules, score: object, instrument: Instrument, path: str) -> RecoveryScore:
    """The score re-scored under these rules, so a stale or hand-built score cannot pass on a wrong total."""
    if not isinstance(score, RecoveryScore):
        raise InputError(path, f"a {instrument.value} score", type(score).__name__)
    if score.instrument is not instrument:
        raise InputError(f"{path}.instrument", instrument.value, score.instrument.value)
    checked = score_recovery(rules, instrument, score.items, path=f"{path}.items")
    if checked.total != score.total:
        raise InputError(f"{path}.total", f"the sum of the item points ({checked.total})", score.total)
    return checked


def _evaluate_observation(criterion: ObservationCriterion, minutes: float) -> list[Finding]:
    values = {
        "minutes_since_end": format_number(minutes),
        "minimum_min": format_number(criterion.minimum_min),
        "remaining_min": format_number(max(0.0, criterion.minimum_min - minutes)),
    }
    inputs: dict[str, JsonValue] = {
        "minutes_since_infusion_end": minutes,
        "minimum_observation_min": criterion.minimum_min,
    }
    if minutes >= criterion.minimum_min:
        return [criterion.met.make_finding(values, inputs)]
    return [criterion.not_passed.make_finding(values, inputs | {"earliest_at_min": criterion.minimum_min})]


def _trailing_count(totals: Sequence[int], minimum_total: int) -> int:
    """How many of the most recent totals in a row reach the minimum."""
    count = 0
    for total in reversed(totals):
        if total < minimum_total:
            break
        count += 1
    return count


def _evaluate_score(criterion: ScoreCriterion, scale: RecoveryScale, scores: Sequence[RecoveryScore]) -> list[Finding]:
    totals = [score.total for score in scores]
    count = _trailing_count(totals, criterion.minimum_total)
    values = {
        "instrument": scale.instrument.value,
        "max_total": str(scale.max_total),
        "minimum_total": str(criterion.minimum_total),
        "consecutive_required": str(criterion.consecutive_required),
        "consecutive_count": str(count),
        "totals": ", ".join(str(total) for total in totals) or "none",
        "total": str(totals[-1]) if totals else "none",
    }
    inputs: dict[str, JsonValue] = {
        "instrument": scale.instrument.value,
        "totals": list(totals),
        "minimum_total": criterion.minimum_total,
        "max_total": scale.max_total,
        "consecutive_required": criterion.consecutive_required,
        "consecutive_count": count,
    }
    if not scores:
        absent = criterion.not_required if not criterion.required and criterion.not_required else criterion.missing
        return [absent.make_finding(values, inputs)]
    latest = scores[-1]
    inputs["items"] = dict(latest.items)
    findings: list[Finding] = []
    if latest.total < criterion.minimum_total:
        findings.append(criterion.below_threshold.make_finding(values, inputs))
    elif criterion.not_consecutive is not None and count < criterion.consecutive_required:
        findings.append(criterion.not_consecutive.make_finding(values, inputs))
    if criterion.item_below_minimum is not None:
        for minimum in criterion.item_minimums:
            points = latest.items[minimum.item]
            if points < minimum.points:
                item_values = {
                    "instrument": scale.instrument.value,
                    "item": minimum.item,
                    "item_label": minimum.label,
                    "points": str(points),
                    "minimum_points": str(minimum.points),
                }
                item_inputs = inputs | {"item": minimum.item, "points": points, "minimum_points": minimum.points}
                findings.append(criterion.item_below_minimum.make_finding(item_values, item_inputs))
    return findings or [criterion.met.make_finding(values, inputs)]


def _evaluate_near_baseline(criterion: NearBaselineCriterion, baseline: Vitals, latest: Vitals | None) -> list[Finding]:
    if latest is None:
        return [
            criterion.vitals_missing.make_finding({}, {"baseline": dict(describe_vitals(baseline)), "latest": None})
        ]
    findings: list[Finding] = []
    for entry in criterion.signs:
        sign = entry.sign
        baseline_value, latest_value = baseline.get(sign), latest.get(sign)
        values = {
            "sign": sign.label,
            "unit": sign.unit,
            "within_percent": format_number(criterion.within_percent),
            "baseline": "not recorded" if baseline_value is None else format_number(baseline_value),
            "latest": "not recorded" if latest_value is None else format_number(latest_value),
            "deviation_percent": "unknown",
            "direction": "unknown",
        }
        inputs: dict[str, JsonValue] = {
            "sign": sign.value,
            "baseline": baseline_value,
            "latest": latest_value,
            "within_percent": criterion.within_percent,
        }
        deviation = measure_deviation(sign, baseline=baseline, latest=latest)
        if deviation is None:
            if entry.required:
                row = criterion.sign_not_recorded if latest_value is None else criterion.baseline_not_recorded
                findings.append(row.make_finding(values, inputs))
            continue
        values |= {"deviation_percent": format_number(deviation.percent), "direction": deviation.direction}
        inputs["deviation_percent"] = round(deviation.percent, 2)
        near = deviation.is_within(criterion.within_percent, DeviationUnit.PERCENT)
        findings.append((criterion.near if near else criterion.not_near).make_finding(values, inputs))
    return findings


def _evaluate_escort(criterion: EscortCriterion, escort_name: object) -> list[Finding]:
    if escort_name is not None and not isinstance(escort_name, str):
        raise InputError("escort_name", "the escort's name as text, or null", escort_name)
    name = (escort_name or "").strip()
    if not name:
        return [criterion.missing.make_finding({}, {"escort_name": None})]
    return [criterion.named.make_finding({"escort_name": name}, {"escort_name": name})]
