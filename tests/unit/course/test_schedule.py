"""The course schedule: given, missed, due and next infusions (thrice and twice weekly), reminders, boosters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ketaflow.domain.basis import Effect
from ketaflow.domain.course import CoursePlan, CourseSchedule, ReminderKind, SlotStatus, schedule_course
from ketaflow.domain.errors import InputError
from ketaflow.domain.outcomes import ScorePoint

from .builders import START, THRICE_WEEKLY, TWICE_WEEKLY, day, days, load_plan, load_plan_data

THRICE = load_plan(THRICE_WEEKLY)
TWICE = load_plan(TWICE_WEEKLY)
# Calendar: START is Monday 5 January 2026 (day 0); Wed 7 = day 2, Fri 9 = day 4, Mon 12 = day 7.


def finite_plan() -> CoursePlan:
    """The thrice-weekly plan without its open-ended last phase: 6 + 4 + 2 = 12 infusions."""
    data = load_plan_data(THRICE_WEEKLY)
    data["phases"].pop()
    return CoursePlan.from_dict(data)


def rule_ids(schedule: CourseSchedule) -> list[str]:
    return [finding.rule_id for finding in schedule.findings]


# Thrice weekly ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today_offset", "status"),
    [(5, SlotStatus.UPCOMING), (6, SlotStatus.DUE), (7, SlotStatus.DUE), (8, SlotStatus.OVERDUE)],
    ids=["sat-before-window", "sun-window-opens", "mon-window-closes", "tue-overdue"],
)
def test_thrice_weekly_fourth_infusion_is_due_two_to_three_days_after_the_third(
    today_offset: int, status: SlotStatus
) -> None:
    schedule = schedule_course(THRICE, start=START, infusion_dates=days(0, 2, 4), today=day(today_offset))

    next_due = schedule.next_due
    assert next_due is not None
    assert (next_due.number, next_due.phase, next_due.number_in_phase) == (4, "induction", 4)
    assert (next_due.earliest, next_due.latest, next_due.status) == (day(6), day(7), status)
    assert [slot.status for slot in schedule.given] == [SlotStatus.GIVEN] * 3
    assert schedule.missed == (() if status is not SlotStatus.OVERDUE else (next_due,))


def test_an_overdue_infusion_is_missed_and_raises_a_warning_with_the_days_overdue() -> None:
    schedule = schedule_course(THRICE, start=START, infusion_dates=days(0, 2, 4), today=day(10))

    (finding,) = schedule.findings
    assert (finding.rule_id, finding.effect) == ("course.infusion_overdue", Effect.WARN)
    assert "3 days overdue" in finding.message
    assert finding.source.endswith("[NF]")


def test_the_rest_of_the_plan_is_projected_from_the_next_infusion() -> None:
    """Next (4th) given today, day 6: 5th day 8-9, 6th day 10-11 (projected at the earliest, day 10),
    maintenance 1 day 16-18, 2: 22-24, 3: 28-30, 4: 34-36, taper 2-weekly: 47-49, 60-62, 4-weekly: 86-90."""
    schedule = schedule_course(THRICE, start=START, infusion_dates=days(0, 2, 4), today=day(6))

    windows = [(slot.number, slot.phase, slot.earliest, slot.latest) for slot in schedule.due]

    assert windows == [
        (4, "induction", day(6), day(7)),
        (5, "induction", day(8), day(9)),
        (6, "induction", day(10), day(11)),
        (7, "maintenance", day(16), day(18)),
        (8, "maintenance", day(22), day(24)),
        (9, "maintenance", day(28), day(30)),
        (10, "maintenance", day(34), day(36)),
        (11, "taper_every_2_weeks", day(47), day(49)),
        (12, "taper_every_2_weeks", day(60), day(62)),
        (13, "taper_every_4_weeks", day(86), day(90)),  # open-ended: only its next infusion
    ]
    assert [slot.status for slot in schedule.due[1:]] == [SlotStatus.UPCOMING] * 9


def test_an_infusion_given_after_its_window_is_recorded_as_a_missed_window() -> None:
    schedule = schedule_course(THRICE, start=START, infusion_dates=days(0, 2, 4, 9), today=day(9))

    fourth = schedule.given[3]
    assert (fourth.status, fourth.given_on, fourth.latest) == (SlotStatus.GIVEN_LATE, day(9), day(7))
    assert schedule.missed == (fourth,)
    assert rule_ids(schedule) == ["course.infusion_late"]
    assert "2 days after its window closed" in schedule.findings[0].message
    assert schedule.next_due is not None and schedule.next_due.earliest == day(11)  # from the date actually given


def test_an_infusion_given_before_its_window_opened_is_early() -> None:
    schedule = schedule_course(THRICE, start=START, infusion_dates=days(0, 1), today=day(1))

    assert schedule.given[1].status is SlotStatus.GIVEN_EARLY
    (finding,) = schedule.findings
    assert (finding.rule_id, finding.effect) == ("course.infusion_early", Effect.WARN)
    assert "1 days before its window opened" in finding.message


def test_the_first_infusion_is_due_from_the_course_start() -> None:
    before = schedule_course(THRICE, start=START, infusion_dates=[], today=day(-3))
    overdue = schedule_course(THRICE, start=START, infusion_dates=[], today=day(4))

    assert before.next_due is not None and overdue.next_due is not None
    assert (before.next_due.earliest, before.next_due.latest, before.next_due.status) == (
        START,
        day(3),
        SlotStatus.UPCOMING,
    )
    assert overdue.next_due.status is SlotStatus.OVERDUE


def test_maintenance_starts_after_the_series_with_a_reminder_that_it_is_for_responders() -> None:
    schedule = schedule_course(THRICE, start=START, infusion_dates=days(0, 2, 4, 7, 9, 11), today=day(14))

    next_due = schedule.next_due
    assert next_due is not None
    assert (next_due.phase, next_due.number_in_phase, next_due.earliest, next_due.latest) == (
        "maintenance",
        1,
        day(17),
        day(19),
    )
    (finding,) = schedule.findings
    assert (finding.rule_id, finding.effect) == ("course.maintenance.responders_only", Effect.WARN)
    assert "Phillips" in finding.source and "CANMAT" in finding.message


def test_an_open_ended_phase_shows_only_its_next_infusion() -> None:
    given = days(0, 2, 4, 7, 9, 11, 18, 25, 32, 39, 53, 67, 95)

    schedule = schedule_course(THRICE, start=START, infusion_dates=given, today=day(100))

    assert [(slot.number, slot.phase) for slot in schedule.due] == [(14, "taper_every_4_weeks")]
    assert schedule.next_due is not None and schedule.next_due.earliest == day(121)


def test_a_finite_plan_completes_and_infusions_beyond_it_are_flagged() -> None:
    plan = finite_plan()
    twelve = days(0, 2, 4, 7, 9, 11, 18, 25, 32, 39, 53, 67)

    complete = schedule_course(plan, start=START, infusion_dates=twelve, today=day(70))
    beyond = schedule_course(plan, start=START, infusion_dates=[*twelve, day(70)], today=day(70))

    assert (complete.next_due, complete.due, rule_ids(complete)) == (None, (), ["course.complete"])
    assert (beyond.next_due, rule_ids(beyond)) == (None, ["course.beyond_plan"])
    assert "13 infusions are recorded but the plan has 12" in beyond.findings[0].message


# Twice weekly ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today_offset", "status"),
    [(9, SlotStatus.UPCOMING), (10, SlotStatus.DUE), (11, SlotStatus.DUE), (12, SlotStatus.OVERDUE)],
    ids=["before-window", "window-opens", "window-closes", "overdue"],
)
def test_twice_weekly_fourth_infusion_is_due_three_to_four_days_after_the_third(
    today_offset: int, status: SlotStatus
) -> None:
    schedule = schedule_course(TWICE, start=START, infusion_dates=days(0, 3, 7), today=day(today_offset))

    assert schedule.next_due is not None
    assert (schedule.next_due.earliest, schedule.next_due.latest, schedule.next_due.status) == (
        day(10),
        day(11),
        status,
    )


def test_twice_weekly_plan_projects_eight_induction_infusions_before_maintenance() -> None:
    schedule = schedule_course(TWICE, start=START, infusion_dates=days(0, 3, 7), today=day(10))

    phases = [slot.phase for slot in schedule.due]

    assert phases == ["induction"] * 5 + ["maintenance"] * 4 + ["taper_every_2_weeks"] * 2 + ["taper_every_4_weeks"]
    assert schedule.due[4].earliest == day(22)  # 4th day 10, then 13, 16, 19, 22 (3 days apart at the earliest)


def test_twice_weekly_missed_windows_are_listed_in_order() -> None:
    schedule = schedule_course(TWICE, start=START, infusion_dates=days(0, 3, 9), today=day(16))

    assert [(slot.number, slot.status) for slot in schedule.missed] == [
        (3, SlotStatus.GIVEN_LATE),  # window day 6-7, given day 9
        (4, SlotStatus.OVERDUE),  # window day 12-13
    ]


# Questionnaire reminders -----------------------------------------------------------------------------------------


def test_reminders_ask_before_the_next_infusion_and_24_hours_after_the_last() -> None:
    schedule = schedule_course(THRICE, start=START, infusion_dates=days(0, 2, 4), today=day(4))

    due = [(q.kind, q.due_on, q.infusion_number, q.instrument) for q in schedule.questionnaires_due]

    assert due == [
        (ReminderKind.BEFORE_INFUSION, day(6), 4, "phq9"),
        (ReminderKind.AFTER_INFUSION, day(5), 3, "phq9"),
    ]
    assert schedule.questionnaires_due[1].message == "phq9 24 hours after infusion 3, on 2026-01-10."


def test_a_past_after_infusion_reminder_is_no_longer_listed() -> None:
    schedule = schedule_course(THRICE, start=START, infusion_dates=days(0, 2, 4), today=day(6))

    assert [q.kind for q in schedule.questionnaires_due] == [ReminderKind.BEFORE_INFUSION]


def test_weekly_reminders_run_between_infusions_that_are_more_than_a_week_apart() -> None:
    given = days(0, 2, 4, 7, 9, 11, 18, 25, 32, 39, 53)  # the last, day 53, opens a 2-weekly interval

    schedule = schedule_course(THRICE, start=START, infusion_dates=given, today=day(55))

    due = [(q.kind, q.due_on) for q in schedule.questionnaires_due]
    assert due == [(ReminderKind.BEFORE_INFUSION, day(66)), (ReminderKind.WEEKLY, day(60))]


def test_weekly_reminders_continue_after_a_finished_course() -> None:
    twelve = days(0, 2, 4, 7, 9, 11, 18, 25, 32, 39, 53, 67)

    schedule = schedule_course(finite_plan(), start=START, infusion_dates=twelve, today=day(81))

    assert [(q.kind, q.due_on) for q in schedule.questionnaires_due] == [(ReminderKind.WEEKLY, day(81))]


# Booster suggestion ----------------------------------------------------------------------------------------------

SERIES = days(0, 2, 4, 7, 9, 11)


def phq9(offset_days: float, total: int) -> ScorePoint:
    return ScorePoint(at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC) + timedelta(days=offset_days), total=total)


@pytest.mark.parametrize(("total", "suggested"), [(9, False), (10, True), (14, True)], ids=["9", "10", "14"])
def test_a_booster_is_suggested_when_the_latest_phq9_reaches_10_after_the_series(total: int, suggested: bool) -> None:
    scores = [phq9(12, 4), phq9(20, total)]

    schedule = schedule_course(THRICE, start=START, infusion_dates=SERIES, today=day(20), latest_scores=scores)

    assert ("course.booster.suggested" in rule_ids(schedule)) is suggested


def test_the_booster_finding_states_the_score_and_its_basis() -> None:
    schedule = schedule_course(THRICE, start=START, infusion_dates=SERIES, today=day(20), latest_scores=[phq9(20, 12)])

    finding = next(f for f in schedule.findings if f.rule_id == "course.booster.suggested")
    assert finding.effect is Effect.WARN
    assert "phq9 12 on 2026-01-25T09:00:00Z is at or above 10" in finding.message
    assert finding.inputs["last_infusion_on"] == "2026-01-16"
    assert finding.source.endswith("[NF]") and "Kroenke" in finding.source


@pytest.mark.parametrize(
    ("given", "scores"),
    [
        (days(0, 2, 4, 7), [phq9(8, 18)]),  # during the induction series
        (SERIES, [phq9(20, 4), phq9(11.2, 18)]),  # the high score is not the latest
        (SERIES, [phq9(11.4, 18)]),  # on the day of the last infusion, not after it
        (SERIES, []),
    ],
    ids=["during-induction", "not-latest", "same-day-as-last-infusion", "no-scores"],
)
def test_no_booster_is_suggested_without_a_high_score_after_the_series(
    given: list[date], scores: list[ScorePoint]
) -> None:
    schedule = schedule_course(THRICE, start=START, infusion_dates=given, today=day(20), latest_scores=scores)

    assert "course.booster.suggested" not in rule_ids(schedule)


# Input errors ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("infusion_dates", "scores", "field"),
    [
        ([day(-1)], [], "infusion_dates[0]"),
        ([day(0), day(30)], [], "infusion_dates[1]"),
        ([day(0)], [ScorePoint(datetime(2026, 1, 6, 9, 0), 5)], "latest_scores[0].at"),  # naive on purpose
        ([day(0)], [phq9(1, -2)], "latest_scores[0].total"),
    ],
    ids=["before-start", "after-today", "naive-score", "negative-score"],
)
def test_bad_input_names_the_field(infusion_dates: list[date], scores: list[ScorePoint], field: str) -> None:
    with pytest.raises(InputError) as error:
        schedule_course(THRICE, start=START, infusion_dates=infusion_dates, today=day(20), latest_scores=scores)

    assert error.value.field == field


def test_the_schedule_json_lists_every_part() -> None:
    schedule = schedule_course(THRICE, start=START, infusion_dates=days(0, 2, 4), today=day(8))

    document = schedule.to_json()

    assert document["plan"] == {"id": THRICE_WEEKLY, "version": "2026.11.0"}
    assert document["next_due"] == {
        "number": 4,
        "phase": "induction",
        "number_in_phase": 4,
        "earliest": "2026-01-11",
        "latest": "2026-01-12",
        "status": "overdue",
        "given_on": None,
    }
    assert document["missed"] == [document["next_due"]]
    assert document["given"] == [slot.to_json() for slot in schedule.given]
    assert len(schedule.given) == 3
    assert document["questionnaires_due"] == [q.to_json() for q in schedule.questionnaires_due]
