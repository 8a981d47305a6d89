"""PADSS and modified Aldrete are scored item by item; a wrong answer names its item; BP suggests its item."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.errors import InputError
from ketaflow.domain.recovery import (
    Instrument,
    RecoveryRules,
    RecoveryScore,
    score_recovery,
    suggest_circulation_points,
)
from ketaflow.domain.vitals import Vitals

from .builders import ITEMS, RULES, full_marks, load_rule_data


def test_the_items_are_the_published_ones_in_order() -> None:
    padss_ids = [item.id for item in RULES.items(Instrument.PADSS)]
    aldrete_ids = [item.id for item in RULES.items(Instrument.ALDRETE)]

    assert padss_ids == [
        "vital_signs",
        "activity_mental_status",
        "pain_nausea_vomiting",
        "surgical_bleeding",
        "intake_output",
    ]
    assert aldrete_ids == ["activity", "respiration", "circulation", "consciousness", "o2_saturation"]


def test_surgical_bleeding_offers_only_not_applicable_and_is_labelled_an_implementation_choice() -> None:
    bleeding = next(item for item in RULES.items(Instrument.PADSS) if item.id == "surgical_bleeding")

    assert [level.points for level in bleeding.levels] == [2]
    assert "Not applicable" in bleeding.levels[0].wording
    assert bleeding.source is not None and bleeding.source.endswith("[NF]") and "ketaflow" in bleeding.source


@pytest.mark.parametrize("instrument", list(Instrument), ids=str)
def test_full_marks_total_ten_out_of_ten(instrument: Instrument) -> None:
    score = score_recovery(RULES, instrument, full_marks(instrument))

    assert (score.total, score.max_total) == (10, 10)


@pytest.mark.parametrize(
    ("instrument", "answers", "total"),
    [
        (Instrument.PADSS, {k: 0 for k in ITEMS[Instrument.PADSS] if k != "surgical_bleeding"}, 2),
        (Instrument.ALDRETE, dict.fromkeys(ITEMS[Instrument.ALDRETE], 0), 0),
    ],
    ids=["padss-lowest-is-2-because-bleeding-is-fixed", "aldrete-lowest-is-0"],
)  # fmt: skip
def test_the_lowest_possible_total(instrument: Instrument, answers: dict[str, int], total: int) -> None:
    score = score_recovery(RULES, instrument, full_marks(instrument, **answers))

    assert score.total == total


CASES = [
    (instrument, item.id, level.points)
    for instrument in Instrument
    for item in RULES.items(instrument)
    for level in item.levels
]


@pytest.mark.parametrize(("instrument", "item", "points"), CASES, ids=lambda v: str(v))
def test_each_level_of_each_item_counts_its_points(instrument: Instrument, item: str, points: int) -> None:
    score = score_recovery(RULES, instrument, full_marks(instrument, **{item: points}))

    assert score.items[item] == points
    assert score.total == 8 + points  # the four other items at 2 each


def test_every_item_scores_2_1_0_except_bleeding() -> None:
    levels = {item.id: item.allowed_points for instrument in Instrument for item in RULES.items(instrument)}

    assert levels == {item: (2, 1, 0) for items in ITEMS.values() for item in items} | {"surgical_bleeding": (2,)}


@pytest.mark.parametrize(("instrument", "total"), [(i, t) for i in Instrument for t in (8, 9)], ids=str)
def test_threshold_boundary_totals_8_and_9(instrument: Instrument, total: int) -> None:
    first_item = ITEMS[instrument][0]
    second_item = ITEMS[instrument][1]
    answers = full_marks(instrument, **{first_item: 1, second_item: 1 if total == 8 else 2})

    score = score_recovery(RULES, instrument, answers)

    assert score.total == total


def test_score_keeps_the_scale_order_and_serialises() -> None:
    answers = dict(reversed(list(full_marks(Instrument.ALDRETE, respiration=1).items())))

    score = score_recovery(RULES, Instrument.ALDRETE, answers)

    assert score.to_json() == {
        "instrument": "aldrete",
        "items": {"activity": 2, "respiration": 1, "circulation": 2, "consciousness": 2, "o2_saturation": 2},
        "total": 9,
        "max_total": 10,
    }


def test_a_stored_score_reads_back_equal() -> None:
    score = score_recovery(RULES, Instrument.PADSS, full_marks(Instrument.PADSS, intake_output=1))

    assert RecoveryScore.from_json(score.to_json()) == score


@pytest.mark.parametrize(
    ("stored", "field"),
    [
        ({"instrument": "ramsay", "items": {}, "total": 0, "max_total": 10}, "score.instrument"),
        (
            {"instrument": "padss", "items": {"vital_signs": "2"}, "total": 2, "max_total": 10},
            "score.items.vital_signs",
        ),
        ({"instrument": "padss", "items": {"vital_signs": 2}, "total": 30, "max_total": 10}, "score.total"),
        ({"instrument": "padss", "items": {}, "total": 0, "max_total": 10, "when": "now"}, "score.when"),
    ],
    ids=["instrument", "item-points", "total", "unknown-key"],
)
def test_a_malformed_stored_score_names_the_field(stored: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        RecoveryScore.from_json(stored)

    assert caught.value.field == field


# Any: these answers are wrong on purpose, as JSON from a form might be.
BAD_ANSWERS: list[tuple[str, Instrument, dict[str, Any], str]] = [
    ("unknown item", Instrument.PADSS, full_marks(Instrument.PADSS) | {"sedation": 2}, "answers.sedation"),
    ("missing item", Instrument.ALDRETE, {k: 2 for k in ITEMS[Instrument.ALDRETE] if k != "consciousness"},
     "answers.consciousness"),
    ("points not a level", Instrument.ALDRETE, full_marks(Instrument.ALDRETE, respiration=3), "answers.respiration"),
    ("negative points", Instrument.PADSS, full_marks(Instrument.PADSS, vital_signs=-1), "answers.vital_signs"),
    ("bleeding other than 2", Instrument.PADSS, full_marks(Instrument.PADSS, surgical_bleeding=1),
     "answers.surgical_bleeding"),
    ("text points", Instrument.PADSS, full_marks(Instrument.PADSS) | {"intake_output": "2"}, "answers.intake_output"),
    ("boolean points", Instrument.ALDRETE, full_marks(Instrument.ALDRETE) | {"activity": True}, "answers.activity"),
    ("float points", Instrument.ALDRETE, full_marks(Instrument.ALDRETE) | {"activity": 2.0}, "answers.activity"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("instrument", "answers", "field"), [c[1:] for c in BAD_ANSWERS], ids=[c[0] for c in BAD_ANSWERS]
)
def test_malformed_answers_name_the_item(instrument: Instrument, answers: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        score_recovery(RULES, instrument, answers)

    assert caught.value.field == field


def test_the_path_prefixes_the_item() -> None:
    with pytest.raises(InputError) as caught:
        score_recovery(RULES, Instrument.PADSS, full_marks(Instrument.PADSS, vital_signs=5), path="scores[2]")

    assert caught.value.field == "scores[2].vital_signs"
    assert "one of 2, 1, 0" in str(caught.value)


@pytest.mark.parametrize("answers", [[2, 2], "2,2", None], ids=["list", "text", "null"])
def test_answers_that_are_not_an_object_are_refused(answers: Any) -> None:
    with pytest.raises(InputError) as caught:
        score_recovery(RULES, Instrument.PADSS, answers)

    assert caught.value.field == "answers"


def test_an_unknown_instrument_is_refused() -> None:
    not_an_instrument: Any = "ramsay"

    with pytest.raises(InputError) as caught:
        score_recovery(RULES, not_an_instrument, {})

    assert caught.value.field == "instrument"


# Suggested blood-pressure item. Baseline 120/80; percent bands are inclusive and exact (|d| x 100 <= limit x base).
@pytest.mark.parametrize(
    ("instrument", "systolic", "diastolic", "points"),
    [
        (Instrument.PADSS, 120, 80, 2),
        (Instrument.PADSS, 144, 80, 2),  # +20.0 % exactly
        (Instrument.PADSS, 145, 80, 1),  # +20.8 %
        (Instrument.PADSS, 96, 80, 2),  # -20.0 %
        (Instrument.PADSS, 95, 80, 1),  # -20.8 %
        (Instrument.PADSS, 168, 80, 1),  # +40.0 %
        (Instrument.PADSS, 169, 80, 0),  # +40.8 %
        (Instrument.PADSS, 120, 96, 2),  # diastolic +20.0 %
        (Instrument.PADSS, 120, 97, 1),  # diastolic +21.25 %: the worse sign counts
        (Instrument.PADSS, 72, 80, 1),  # -40.0 %
        (Instrument.PADSS, 71, 80, 0),  # -40.8 %
        (Instrument.ALDRETE, 144, 80, 2),  # +20.0 %
        (Instrument.ALDRETE, 145, 80, 1),
        (Instrument.ALDRETE, 180, 80, 1),  # +50.0 %
        (Instrument.ALDRETE, 181, 80, 0),  # +50.8 %
        (Instrument.ALDRETE, 120, 121, 0),  # diastolic +51.25 %
    ],
    ids=lambda v: str(v),
)
def test_circulation_points_follow_the_percent_bands(
    instrument: Instrument, systolic: float, diastolic: float, points: int
) -> None:
    latest = Vitals(systolic_mmhg=systolic, diastolic_mmhg=diastolic)

    suggested = suggest_circulation_points(
        RULES, baseline=Vitals(systolic_mmhg=120, diastolic_mmhg=80), latest=latest, instrument=instrument
    )

    assert suggested == points


def test_aldrete_in_mmhg_when_the_rule_file_says_so() -> None:
    data = load_rule_data()
    data["scales"]["aldrete"]["circulation"]["unit"] = "mmhg"
    rules = RecoveryRules.from_dict(data)
    baseline = Vitals(systolic_mmhg=130, diastolic_mmhg=80)

    points = [
        suggest_circulation_points(rules, baseline=baseline, latest=Vitals(systolic_mmhg=s, diastolic_mmhg=80),
                                   instrument=Instrument.ALDRETE)
        for s in (150, 151, 180, 181)
    ]  # fmt: skip

    assert points == [2, 1, 1, 0]  # +20 / +21 / +50 / +51 mmHg


@pytest.mark.parametrize(
    ("baseline", "latest"),
    [
        (Vitals(systolic_mmhg=120, diastolic_mmhg=80), Vitals(heart_rate_bpm=80)),
        (Vitals(heart_rate_bpm=70), Vitals(systolic_mmhg=120, diastolic_mmhg=80)),
        (Vitals(systolic_mmhg=120), Vitals(diastolic_mmhg=80)),
    ],
    ids=["no-bp-since", "no-bp-before", "different-signs"],
)
def test_no_suggestion_without_a_bp_in_both_readings(baseline: Vitals, latest: Vitals) -> None:
    suggested = suggest_circulation_points(RULES, baseline=baseline, latest=latest, instrument=Instrument.PADSS)

    assert suggested is None


def test_a_systolic_alone_is_enough_to_suggest() -> None:
    suggested = suggest_circulation_points(
        RULES, baseline=Vitals(systolic_mmhg=120), latest=Vitals(systolic_mmhg=150), instrument=Instrument.PADSS
    )

    assert suggested == 1  # +25 %


def test_a_non_positive_baseline_is_refused_naming_it() -> None:
    with pytest.raises(InputError) as caught:
        suggest_circulation_points(
            RULES, baseline=Vitals(systolic_mmhg=0), latest=Vitals(systolic_mmhg=120), instrument=Instrument.ALDRETE
        )

    assert caught.value.field == "baseline.systolic_mmhg"


@given(
    baseline=st.integers(min_value=60, max_value=220),
    nearer=st.integers(min_value=0, max_value=150),
    extra=st.integers(min_value=0, max_value=150),
    upward=st.booleans(),
    instrument=st.sampled_from(list(Instrument)),
)
def test_a_larger_deviation_never_scores_more(
    baseline: int, nearer: int, extra: int, upward: bool, instrument: Instrument
) -> None:
    sign = 1 if upward else -1
    before = Vitals(systolic_mmhg=baseline)

    def points(deviation: int) -> int | None:
        latest = Vitals(systolic_mmhg=max(1, baseline + sign * deviation))
        return suggest_circulation_points(RULES, baseline=before, latest=latest, instrument=instrument)

    near_points, far_points = points(nearer), points(nearer + extra)

    assert near_points is not None and far_points is not None
    assert far_points <= near_points
