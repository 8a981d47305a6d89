"""The shipped protocol files load, cite every number, and a malformed file fails when it is loaded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ketaflow.domain.dosing import Protocol, ProtocolLibrary, RegimenKind
from ketaflow.domain.errors import RuleDataError

from .builders import load_library, load_protocol_data


def test_the_library_holds_every_issue_4_protocol() -> None:
    library = load_library()

    assert library.ids == (
        "crps_fixed_rate", "crps_weight_based", "depression_slow_100min", "depression_standard",
        "depression_titration", "ptsd_standard",
    )  # fmt: skip
    assert library.get_protocol("nope") is None


@pytest.mark.parametrize(
    ("protocol_id", "kind", "amount", "duration_min"),
    [
        ("depression_standard", RegimenKind.DOSE_PER_KG, 0.5, 40),
        ("depression_titration", RegimenKind.DOSE_PER_KG, 0.5, 40),
        ("depression_slow_100min", RegimenKind.DOSE_PER_KG, 0.5, 100),
        ("ptsd_standard", RegimenKind.DOSE_PER_KG, 0.5, 40),
        ("crps_weight_based", RegimenKind.RATE_PER_KG, 0.35, 240),
        ("crps_fixed_rate", RegimenKind.FIXED_RATE, 22, 5760),
    ],
    ids=lambda value: str(value),
)
def test_each_regimen_is_the_cited_one(protocol_id: str, kind: RegimenKind, amount: float, duration_min: float) -> None:
    protocol = load_library().get_protocol(protocol_id)

    assert protocol is not None
    assert (protocol.regimen.kind, protocol.regimen.amount, protocol.regimen.duration_min) == (
        kind,
        amount,
        duration_min,
    )
    assert protocol.regimen.source.endswith("[C]")


def test_depression_series_is_six_infusions_over_two_weeks_then_weekly_maintenance() -> None:
    protocol = load_library().get_protocol("depression_standard")
    assert protocol is not None

    induction, maintenance = protocol.series

    assert (induction.infusions, induction.over_days, induction.per_week_min, induction.per_week_max) == (6, 14, 2, 3)
    assert (maintenance.phase, maintenance.interval_days) == ("maintenance", 7)


def test_the_adjusted_weight_factor_is_labelled_an_assumption() -> None:
    data = load_protocol_data("depression_standard")

    adjusted = data["dosing_weight"]["adjusted"]

    assert adjusted["confidence"] == "NF" and "ASSUMPTION" in adjusted["notes"]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return edit


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.pop(key)


@pytest.mark.parametrize(
    ("edit", "mentions"),
    [
        (_set("regimen.dose_mg_per_kg", 0), "regimen.dose_mg_per_kg"),
        (_set("version", "v2"), "version"),
        (_set("soft_limits.0.effect", "block"), "soft_limits[0].effect"),
        (_set("hard_limits.0.effect", "hold"), "hard_limits[0].effect"),
        (_set("hard_limits.0.max", None), "hard_limits[0].min"),
        (_set("soft_limits.0.max", 0.1), "soft_limits[0].max"),
        (_set("soft_limits.0.quantity", "dose_g"), "soft_limits[0].quantity"),
        (_set("soft_limits.0.message", "{weight} too high"), "soft_limits[0].message"),
        (_set("soft_limits.0.sources", ["nobody_2099"]), "soft_limits[0].sources"),
        (_set("dosing_weight.basis", "lean"), "dosing_weight.basis"),
        (_set("dosing_weight.allowed", ["ideal"]), "dosing_weight.basis"),
        (_drop("dosing_weight"), "dosing_weight"),
        (_set("checks.bmi.effect", "sometimes"), "checks.bmi.effect"),
        (_set("hard_limits.1.id", "depression_standard.hard.dose"), "depression_standard.hard.dose"),
        (_set("pump.rate_increment_ml_per_h", -0.1), "pump.rate_increment_ml_per_h"),
        (_set("regimen.kind", "per_bag"), "regimen.kind"),
        (_set("series.induction.per_week", 3), "series.induction.per_week"),
        (_set("typo", 1), "typo"),
    ],
    ids=["zero-dose", "bad-version", "soft-that-blocks", "hard-that-holds", "limit-without-bounds",
         "max-below-min", "unknown-quantity", "unknown-placeholder", "unknown-source", "unknown-basis",
         "basis-not-in-allowed", "weight-rule-missing", "unknown-effect", "duplicate-rule-id", "negative-increment",
         "unknown-regimen", "unknown-series-key", "unknown-top-level-key"],
)  # fmt: skip
def test_a_malformed_protocol_fails_when_loaded(edit: Callable[[dict[str, Any]], None], mentions: str) -> None:
    data = load_protocol_data("depression_standard")
    edit(data)

    with pytest.raises(RuleDataError) as caught:
        Protocol.from_dict(data)

    assert mentions in str(caught.value)


def test_a_fixed_rate_protocol_may_not_carry_a_dosing_weight_rule() -> None:
    data = load_protocol_data("crps_fixed_rate")
    data["dosing_weight"] = load_protocol_data("depression_standard")["dosing_weight"]

    with pytest.raises(RuleDataError, match="dosing_weight"):
        Protocol.from_dict(data)


def test_two_files_with_one_id_are_refused() -> None:
    data = load_protocol_data("depression_standard")

    with pytest.raises(RuleDataError, match="depression_standard"):
        ProtocolLibrary.from_dicts([data, load_protocol_data("depression_standard")])
