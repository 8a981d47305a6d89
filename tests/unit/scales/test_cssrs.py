"""C-SSRS screener: skip logic (q2 no -> q6; q6 yes -> past 3 months) and the low / moderate / high triage."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Effect
from ketaflow.domain.errors import InputError
from ketaflow.domain.scales import score_answers

from .builders import cssrs, load_scale

ALL_ITEMS = ("q1", "q2", "q3", "q4", "q5", "q6_lifetime", "q6_past_3_months")


@pytest.mark.parametrize(
    ("answers", "visible"),
    [
        ({"q2": False, "q6_lifetime": False}, ("q1", "q2", "q6_lifetime")),
        ({"q2": True, "q6_lifetime": False}, ("q1", "q2", "q3", "q4", "q5", "q6_lifetime")),
        ({"q2": False, "q6_lifetime": True}, ("q1", "q2", "q6_lifetime", "q6_past_3_months")),
        ({"q2": True, "q6_lifetime": True}, ALL_ITEMS),
        ({}, ("q1", "q2", "q6_lifetime")),
    ],
    ids=["q2-no", "q2-yes", "q6-yes", "both-yes", "nothing-yet"],
)
def test_visible_items_follow_the_skip_logic(answers: dict[str, bool], visible: tuple[str, ...]) -> None:
    scale = load_scale("cssrs_screener")

    shown = scale.visible_items(answers)

    assert tuple(item.id for item in shown) == visible


def test_a_hidden_item_does_not_open_its_own_follow_ups() -> None:
    scale = load_scale("cssrs_screener").visible_items({"q2": 1, "q6_lifetime": True})  # 1 is not yes

    assert "q3" not in [item.id for item in scale]


# (answers, band, flags): each triage path, from the Columbia triage guideline and the rule file's anchors.
TRIAGE = [
    (cssrs(), "low", []),
    (cssrs(q1=True), "low", ["cssrs_screener.low_risk"]),
    (cssrs(q2=True, q3=False, q4=False, q5=False), "low", ["cssrs_screener.low_risk"]),
    (cssrs(q2=True, q3=True, q4=False, q5=False), "moderate", ["cssrs_screener.moderate_risk"]),
    (cssrs(q6_lifetime=True, q6_past_3_months=False), "moderate", ["cssrs_screener.moderate_risk"]),
    (cssrs(q2=True, q3=False, q4=True, q5=False), "high", ["cssrs_screener.high_risk"]),
    (cssrs(q2=True, q3=True, q4=True, q5=True), "high", ["cssrs_screener.high_risk"]),
    (cssrs(q2=True, q3=False, q4=False, q5=True), "high", ["cssrs_screener.high_risk"]),
    (cssrs(q6_lifetime=True, q6_past_3_months=True), "high", ["cssrs_screener.high_risk"]),
]


@pytest.mark.parametrize(
    ("answers", "band", "flags"),
    TRIAGE,
    ids=[
        "all-no",
        "q1-only",
        "q2-only",
        "q3-method",
        "behaviour-over-3-months-ago",
        "q4-intent",
        "q3-q5-all-yes",
        "q5-plan",
        "behaviour-past-3-months",
    ],
)
def test_each_triage_path_gives_its_level_and_flag(
    answers: dict[str, bool | None], band: str, flags: list[str]
) -> None:
    result = score_answers(load_scale("cssrs_screener"), answers)

    assert result.total is None
    assert result.band == band
    assert [f.rule_id for f in result.flags] == flags
    assert result.urgent is (band == "high")


def test_the_high_risk_flag_blocks_and_carries_the_safety_steps_and_answers() -> None:
    answers = cssrs(q2=True, q3=False, q4=True, q5=False)

    (flag,) = score_answers(load_scale("cssrs_screener"), answers).flags

    assert flag.effect is Effect.BLOCK
    assert "yes to q2, q4" in flag.message
    assert "immediate mental-health evaluation" in flag.message and "safety precautions" in flag.message
    assert "tell the physician now" in flag.message
    assert flag.inputs["band"] == "high" and flag.inputs["items.q4"] is True
    assert flag.inputs["items.q6_past_3_months"] is None
    assert flag.source.endswith("[C]")


def test_q2_no_skips_q3_to_q5_and_records_them_as_not_asked() -> None:
    result = score_answers(load_scale("cssrs_screener"), cssrs(q1=True))

    assert {k: v for k, v in result.items.items() if v is None} == {
        "q3": None,
        "q4": None,
        "q5": None,
        "q6_past_3_months": None,
    }


def test_a_skipped_item_may_be_recorded_as_no() -> None:
    answers = cssrs(q3=False, q4=False, q5=False, q6_past_3_months=False)

    result = score_answers(load_scale("cssrs_screener"), answers)

    assert result.band == "low" and result.items["q4"] is None


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        (cssrs(q4=True), "items.q4"),
        (cssrs(q6_past_3_months=True), "items.q6_past_3_months"),
    ],
    ids=["q4-after-q2-no", "past-3-months-after-q6-no"],
)
def test_a_yes_to_a_skipped_item_is_refused_because_it_contradicts_the_skip(
    answers: dict[str, bool | None], field: str
) -> None:
    with pytest.raises(InputError) as caught:
        score_answers(load_scale("cssrs_screener"), answers)

    assert caught.value.field == field
    assert "skipped unless" in caught.value.expected


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        (cssrs(q2=True, q3=False, q5=False), "items.q4"),
        (cssrs(q6_lifetime=True), "items.q6_past_3_months"),
        ({"q2": False, "q6_lifetime": False}, "items.q1"),
    ],
    ids=["q4-missing-after-q2-yes", "follow-up-missing-after-q6-yes", "q1-missing"],
)
def test_an_asked_item_must_be_answered(answers: dict[str, bool | None], field: str) -> None:
    with pytest.raises(InputError, match="required") as caught:
        score_answers(load_scale("cssrs_screener"), answers)

    assert caught.value.field == field


def test_yes_no_items_take_json_booleans_only() -> None:
    with pytest.raises(InputError) as caught:
        score_answers(load_scale("cssrs_screener"), cssrs(q1=1))  # type: ignore[arg-type]  # the wrong type under test

    assert caught.value.field == "items.q1"
    assert caught.value.expected == "an answer to q1: true (yes) or false (no)"


def test_the_list_form_has_one_entry_per_item_with_null_for_skipped_ones() -> None:
    answers = [True, False, None, None, None, True, True]

    result = score_answers(load_scale("cssrs_screener"), answers)

    assert result.band == "high"
    assert list(result.items) == list(ALL_ITEMS)
