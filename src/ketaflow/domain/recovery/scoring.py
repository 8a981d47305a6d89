"""Scoring a recovery assessment item by item, and suggesting the blood-pressure item from the vitals."""

from __future__ import annotations

from collections.abc import Mapping

from ketaflow.domain.errors import InputError
from ketaflow.domain.recovery.rules import RecoveryRules
from ketaflow.domain.recovery.scales import Instrument, RecoveryScore, make_score
from ketaflow.domain.ruledata.fields import JsonFields, input_error
from ketaflow.domain.vitals import Vitals


def _instrument(value: object) -> Instrument:
    if isinstance(value, str) and value in set(Instrument):
        return Instrument(value)
    raise InputError("instrument", "one of " + ", ".join(Instrument), value)


def score_recovery(
    rules: RecoveryRules, instrument: Instrument, answers: Mapping[str, int], path: str = "answers"
) -> RecoveryScore:
    """Sum the points given for each item; every item is required and must score one of its levels.

    An unknown item, a missing one, or points that are not one of that item's levels raise ``InputError``
    naming ``f"{path}.{item}"``.
    """
    scale = rules.scale(_instrument(instrument))
    f = JsonFields.of(answers, path, input_error)
    known = [item.id for item in scale.items]
    for key in f.data:
        if key not in known:
            raise f.fail(key, f"an item of {scale.instrument.value} (one of: " + ", ".join(known) + ")")
    points: dict[str, int] = {}
    for item in scale.items:
        allowed = ", ".join(str(p) for p in item.allowed_points)
        if item.id not in f.data:
            raise f.fail(item.id, f"points for this item (required): one of {allowed}")
        value = f.data[item.id]
        if isinstance(value, bool) or not isinstance(value, int) or value not in item.allowed_points:
            raise f.fail(item.id, f"one of {allowed}", value)
        points[item.id] = value
    return make_score(scale, points)


def suggest_circulation_points(
    rules: RecoveryRules, *, baseline: Vitals, latest: Vitals, instrument: Instrument
) -> int | None:
    """The blood-pressure item's points from the latest BP against the pre-infusion BP; None if no BP to compare.

    The worse of systolic and diastolic counts (the rule file lists which signs and in which unit); the
    nurse still confirms the item, since PADSS "vital signs" also covers heart rate, breathing and temperature.
    """
    return rules.scale(_instrument(instrument)).circulation.score(baseline=baseline, latest=latest)
