"""Long-term safety surveillance: each signal at its boundary, on both sides, with its basis."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ketaflow.domain.basis import Effect, Finding
from ketaflow.domain.course import ExposureRecord, SafetyHistory, evaluate_long_term_safety
from ketaflow.domain.errors import InputError

from .builders import exposure, load_safety_rules

RULES = load_safety_rules()
# Exposures are timed from Monday 5 January 2026 09:00 UTC (day 0).
DAY0 = date(2026, 1, 5)
SERIES = [exposure(d) for d in (0, 2, 4, 7, 9, 11)]  # one 6-infusion induction series
ALL_NO = {"frequency": False, "urgency": False, "dysuria": False, "nocturia": False, "haematuria": False}


def evaluate(history: SafetyHistory, today: date = date(2026, 2, 1)) -> tuple[Finding, ...]:
    return evaluate_long_term_safety(RULES, history, today=today)


def history(exposures: list[ExposureRecord], **kwargs: object) -> SafetyHistory:
    """A history whose bladder questions were all answered no on the day of the last infusion, unless changed."""
    last = exposures[-1].at.date() if exposures else DAY0
    defaults: dict[str, object] = {"bladder_answers": ALL_NO, "bladder_answered_on": last}
    # arg-type: keyword overrides of mixed types, checked by evaluate_long_term_safety itself.
    return SafetyHistory(exposures=exposures, **(defaults | kwargs))  # type: ignore[arg-type]


def by_rule(findings: tuple[Finding, ...], rule_id: str) -> list[Finding]:
    return [finding for finding in findings if finding.rule_id == rule_id]


# Exposure ---------------------------------------------------------------------------------------------------------


def test_cumulative_dose_and_recent_frequency_are_always_reported() -> None:
    """Six infusions of 35 mg (0.5 mg/kg): 210 mg, 3 mg/kg. On 4 February (day 30) the first infusion (day 0) is
    30 days old and falls out of the 30-day window; days 2 to 11 are inside it."""
    findings = evaluate(history(SERIES), today=date(2026, 2, 4))

    (summary,) = by_rule(findings, "safety.exposure")
    assert summary.effect is Effect.INFO
    assert summary.message.startswith("6 infusions from 2026-01-05 to 2026-01-16: 210 mg in total (3 mg/kg); 5 in")
    assert summary.inputs["infusions_in_recent_days"] == 5
    assert (
        by_rule(evaluate(history(SERIES), today=date(2026, 2, 3)), "safety.exposure")[0].inputs[
            "infusions_in_recent_days"
        ]
        == 6
    )


def test_a_course_within_its_plan_raises_no_other_signal() -> None:
    findings = evaluate(history(SERIES))

    assert [finding.rule_id for finding in findings] == ["safety.exposure"]


# Dose escalation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latest_mg_per_kg", "signal"),
    [(0.62, False), (0.625, True), (0.75, True)],
    ids=["24-percent", "exactly-25-percent", "50-percent"],
)
def test_dose_escalation_is_flagged_from_25_percent_above_the_first_dose(latest_mg_per_kg: float, signal: bool) -> None:
    exposures = [*SERIES, exposure(18, mg_per_kg=latest_mg_per_kg)]

    findings = by_rule(evaluate(history(exposures)), "safety.dose_escalation")

    assert bool(findings) is signal
    if signal:
        assert findings[0].effect is Effect.WARN
        assert findings[0].source.endswith("[NF]") and "Bonnet" in findings[0].source


def test_a_single_infusion_cannot_escalate() -> None:
    findings = evaluate(history([exposure(0, mg_per_kg=0.5)]))

    assert by_rule(findings, "safety.dose_escalation") == []


# Shortening interval ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_day", "signal"),
    [(35.5, False), (35, True), (30, True)],
    ids=["7.5-days-54-percent", "7-days-exactly-50-percent", "2-days"],
)
def test_an_interval_at_most_half_the_usual_is_flagged(last_day: float, signal: bool) -> None:
    """Maintenance every 14 days (days 0, 14, 28): usual interval 14 days (median of 14, 14)."""
    exposures = [exposure(0), exposure(14), exposure(28), exposure(last_day)]

    findings = by_rule(evaluate(history(exposures), today=date(2026, 2, 20)), "safety.shortening_interval")

    assert bool(findings) is signal
    if signal:
        assert findings[0].inputs["usual_interval_days"] == 14.0


def test_one_earlier_interval_is_not_enough_to_call_an_interval_short() -> None:
    exposures = [exposure(0), exposure(14), exposure(16)]

    findings = evaluate(history(exposures))

    assert by_rule(findings, "safety.shortening_interval") == []


def test_the_usual_interval_is_the_median_of_the_three_before_the_latest() -> None:
    """Intervals 2, 14, 14, 14, then 7: the reference is (14, 14, 14), median 14; 7 is 50 %."""
    exposures = [exposure(d) for d in (0, 2, 16, 30, 44, 51)]

    (finding,) = by_rule(evaluate(history(exposures), today=date(2026, 3, 1)), "safety.shortening_interval")

    assert finding.inputs["reference_intervals_days"] == [14.0, 14.0, 14.0]
    assert "7 days between the infusions of 2026-02-18 and 2026-02-25, 50 % of the usual 14 days" in finding.message


# Bladder ---------------------------------------------------------------------------------------------------------


def test_a_positive_bladder_answer_prompts_a_urinalysis() -> None:
    answers = ALL_NO | {"frequency": True, "haematuria": True}

    findings = evaluate(history(SERIES, bladder_answers=answers))

    (finding,) = by_rule(findings, "safety.bladder_symptoms")
    assert finding.effect is Effect.WARN
    assert "frequency, haematuria" in finding.message and "urinalysis" in finding.message
    assert "Anderson" in finding.source
    assert by_rule(findings, "safety.bladder_screen_due") == []


@pytest.mark.parametrize(
    ("answered_offset", "due"),
    [(11, False), (10, True)],
    ids=["on-the-day-of-the-last-infusion", "the-day-before-it"],
)
def test_bladder_questions_are_due_when_older_than_the_last_infusion(answered_offset: int, due: bool) -> None:
    findings = evaluate(history(SERIES, bladder_answered_on=DAY0 + timedelta(days=answered_offset)))

    assert bool(by_rule(findings, "safety.bladder_screen_due")) is due


def test_bladder_questions_never_answered_or_left_incomplete_are_due() -> None:
    never = evaluate(history(SERIES, bladder_answers=None, bladder_answered_on=None))
    partial = evaluate(history(SERIES, bladder_answers={"frequency": False}))

    assert "last answered never" in by_rule(never, "safety.bladder_screen_due")[0].message
    assert (
        "not answered: urgency, dysuria, nocturia, haematuria"
        in by_rule(partial, "safety.bladder_screen_due")[0].message
    )


def test_bladder_questions_are_due_before_the_first_infusion_too() -> None:
    findings = evaluate(SafetyHistory(exposures=[]))

    assert [finding.rule_id for finding in findings] == ["safety.bladder_screen_due"]


# Liver tests and cognitive screen --------------------------------------------------------------------------------

RECURRING = [*SERIES, exposure(18)]  # 7 infusions: more than one induction series


@pytest.mark.parametrize(
    ("rule_id", "field"),
    [("safety.liver_tests_due", "last_liver_tests"), ("safety.cognitive_screen_due", "last_cognitive_screen")],
    ids=["liver", "cognition"],
)
@pytest.mark.parametrize(
    ("exposures", "last", "today", "due"),
    [
        (SERIES, None, date(2026, 2, 1), False),  # 6 infusions: not yet a recurring regimen
        (RECURRING, None, date(2026, 2, 1), True),  # 7 infusions, none on record
        (RECURRING, date(2026, 1, 5), date(2026, 7, 4), False),  # 6 months less a day
        (RECURRING, date(2026, 1, 5), date(2026, 7, 5), True),  # exactly 6 months
    ],
    ids=["six-infusions", "seven-none-on-record", "day-before-six-months", "six-months"],
)
def test_periodic_tests_are_due_every_six_months_for_recurring_regimens(
    rule_id: str, field: str, exposures: list[ExposureRecord], last: date | None, today: date, due: bool
) -> None:
    findings = evaluate(history(exposures, **{field: last}), today=today)

    assert bool(by_rule(findings, rule_id)) is due


def test_the_liver_test_finding_states_when_it_was_due() -> None:
    findings = evaluate(history(RECURRING, last_liver_tests=date(2025, 8, 31)), today=date(2026, 3, 1))

    (finding,) = by_rule(findings, "safety.liver_tests_due")
    assert "last 2025-08-31, due every 6 months (due 2026-02-28)" in finding.message
    assert finding.source.endswith("[NF]")


# Psychiatric events ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_day", "held"),
    [(DAY0 - timedelta(days=1), False), (DAY0, True), (date(2026, 1, 30), True)],
    ids=["before-treatment", "on-the-first-infusion-day", "during-treatment"],
)
def test_a_new_psychiatric_event_during_treatment_holds_for_the_physician(event_day: date, held: bool) -> None:
    findings = evaluate(history(SERIES, psychiatric_events=[(event_day, "mania")]))

    events = by_rule(findings, "safety.psychiatric_event")
    assert bool(events) is held
    if held:
        assert events[0].effect is Effect.HOLD
        assert "mania on" in events[0].message and "Bhatt" in events[0].source


def test_each_psychiatric_event_is_its_own_finding() -> None:
    events = [(date(2026, 1, 20), "hypomania"), (date(2026, 1, 25), "psychosis")]

    findings = by_rule(evaluate(history(SERIES, psychiatric_events=events)), "safety.psychiatric_event")

    assert [finding.inputs["kind"] for finding in findings] == ["hypomania", "psychosis"]


# Input errors ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"exposures": [ExposureRecord(datetime(2026, 1, 5, 9), 35.0, 0.5)]}, "exposures[0].at"),  # naive
        ({"exposures": [exposure(0, mg_per_kg=0.0)]}, "exposures[0].dose_mg"),
        ({"exposures": [replace(exposure(0), dose_mg_per_kg=float("nan"))]}, "exposures[0].dose_mg_per_kg"),
        ({"exposures": [exposure(40)]}, "exposures[0].at"),  # after today
        ({"bladder_answers": {"leakage": True}}, "bladder_answers.leakage"),
        ({"bladder_answers": {"frequency": "yes"}}, "bladder_answers.frequency"),
        ({"bladder_answered_on": None}, "bladder_answered_on"),
        ({"bladder_answered_on": date(2026, 3, 1)}, "bladder_answered_on"),
        ({"psychiatric_events": [(date(2026, 1, 20), "delirium")]}, "psychiatric_events[0].kind"),
        ({"psychiatric_events": [(date(2026, 3, 1), "mania")]}, "psychiatric_events[0].on"),
    ],
    ids=[
        "naive-time",
        "zero-dose",
        "nan-dose-per-kg",
        "future-infusion",
        "unknown-question",
        "answer-not-bool",
        "answers-without-date",
        "answered-in-future",
        "unknown-event",
        "future-event",
    ],
)
def test_bad_history_names_the_field(change: dict[str, object], field: str) -> None:
    # arg-type: the case table passes deliberately wrong field values.
    bad = replace(history(SERIES), **change)  # type: ignore[arg-type]

    with pytest.raises(InputError) as error:
        evaluate(bad)

    assert error.value.field == field


def test_exposure_dates_are_utc_dates() -> None:
    just_after_midnight_in_berlin = datetime(2026, 1, 6, 0, 30, tzinfo=timezone(timedelta(hours=1)))

    findings = evaluate(history([ExposureRecord(just_after_midnight_in_berlin, 35.0, 0.5)]))

    assert by_rule(findings, "safety.exposure")[0].message.startswith("1 infusions from 2026-01-05")


def test_an_evening_infusion_counts_on_the_clinics_day() -> None:
    """20:49 in New York on 5 Jan is 01:49 UTC on 6 Jan: a mania recorded on the evening of 5 Jan (clinic time)
    is on the day of the first infusion, so it holds; read in UTC it would fall the day before and be dropped."""
    new_york = timezone(timedelta(hours=-5))
    evening = datetime(2026, 1, 5, 20, 49, tzinfo=new_york).astimezone(UTC)
    records = [ExposureRecord(evening, 35.0, 0.5)]
    events = [(date(2026, 1, 5), "mania")]
    in_clinic_time = evaluate_long_term_safety(
        RULES,
        history(records, psychiatric_events=events, bladder_answered_on=date(2026, 1, 5)),
        today=date(2026, 2, 1),
        clinic_zone=new_york,
    )
    in_utc = evaluate(history(records, psychiatric_events=events, bladder_answered_on=date(2026, 1, 6)))
    assert [f.effect for f in by_rule(in_clinic_time, "safety.psychiatric_event")] == [Effect.HOLD]
    assert by_rule(in_utc, "safety.psychiatric_event") == []
    assert by_rule(in_clinic_time, "safety.exposure")[0].message.startswith("1 infusions from 2026-01-05")
