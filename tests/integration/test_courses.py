"""Treatment courses through the services on SQLite and PostgreSQL: schedule from the sessions, long-term safety
with a prescriber's review, reminders sent once, and the synthetic-patient marks.

Times: the fake clock stands at 2026-11-25 14:00 UTC (09:00 in the clinic's America/New_York). Infusions in
these tests start at 15:00 UTC (10:00 in the clinic) and run at the order's 52.5 mL/h of 1 mg/mL, so 40 minutes
deliver 35 mg, 0.5 mg/kg of the 70 kg dosing weight.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from ketaflow.domain.access import Role
from ketaflow.domain.basis import Effect
from ketaflow.domain.course import SlotStatus
from ketaflow.domain.errors import AccessDenied, Conflict, InputError
from ketaflow.domain.sessions import Author, InfusionSession
from ketaflow.interop.messaging import ConsoleSender
from ketaflow.services import courses, orders, patients, questionnaires
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor
from ketaflow.services.ports import AuditQuery, CourseEvent
from tests.session_setup import prepare_patient_for_session, store_session

CONSOLE = Actor.system("test")
PHYSICIAN = Actor(uuid4(), "dr.house", Role.PHYSICIAN)
NURSE = Actor(uuid4(), "nurse", Role.NURSE)
FRONT_DESK = Actor(uuid4(), "frontdesk", Role.FRONT_DESK)
TODAY = date(2026, 11, 25)
PLAN = "depression_induction_maintenance"


def _at(day: str, hour: int = 15) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _infused(svc: AppServices, patient_id: UUID, order_id: UUID, days: list[str], minutes: list[float]) -> None:
    """One infusion per day, started 15:00 UTC and completed after ``minutes`` (None: still running)."""
    order = orders.get_order(svc, CONSOLE, order_id)
    for index, (day, running_min) in enumerate(zip(days, minutes, strict=True)):
        started = _at(day)
        session_id = store_session(svc, patient_id, order, chair=f"c{index}", started_at=started)
        with svc.uow_factory() as uow:
            session = InfusionSession(uow.infusions.load_events(session_id))
            session.complete(
                author=Author("nurse", "nurse"),
                now_utc=svc.clock.now(),
                at_utc=started + timedelta(minutes=running_min),
            )
            uow.infusions.append_events(session_id, session.pending)
            uow.commit()


def _treated(svc: AppServices, days: list[str], minutes: list[float] | None = None) -> UUID:
    patient_id, order_id = prepare_patient_for_session(svc)
    courses.start_course(svc, PHYSICIAN, patient_id, PLAN, "2026-11-09", "treatment-resistant depression")
    _infused(svc, patient_id, order_id, days, minutes or [40.0] * len(days))
    return patient_id


def _contactable(svc: AppServices, *, email: str = "ana@example.org", phone: str = "+1 555 0101") -> UUID:
    details = {
        "family_name": "Rivera",
        "given_names": "Ana",
        "date_of_birth": "1984-03-02",
        "sex": "female",
        "email": email,
        "phone": phone,
    }
    return patients.register_patient(svc, CONSOLE, f"KF-{uuid4().hex[:8]}", details).patient_id


def _outbox(svc: AppServices) -> list[str]:
    assert isinstance(svc.sender, ConsoleSender)
    return [message.to for message in svc.sender.outbox]


# --- starting, superseding and ending ------------------------------------------------------------------------


def test_a_started_course_is_scheduled_from_the_sessions_start_dates(services: AppServices) -> None:
    patient_id = _treated(services, ["2026-11-09", "2026-11-11", "2026-11-13"])

    overview = courses.get_course_overview(services, PHYSICIAN, patient_id)

    schedule = overview.schedule
    assert schedule is not None
    assert [slot.given_on for slot in schedule.given] == [date(2026, 11, 9), date(2026, 11, 11), date(2026, 11, 13)]
    assert [slot.status for slot in schedule.given] == [SlotStatus.GIVEN] * 3
    # Infusion 4: 2 to 3 days after 11-13, so 11-15 to 11-16; on 11-25 it is overdue (and missed).
    assert schedule.next_due is not None
    assert (schedule.next_due.number, schedule.next_due.status) == (4, SlotStatus.OVERDUE)
    assert (schedule.next_due.earliest, schedule.next_due.latest) == (date(2026, 11, 15), date(2026, 11, 16))
    assert [slot.number for slot in schedule.missed] == [4]


def test_infusion_dates_are_the_clinics_dates_not_utc(services: AppServices) -> None:
    patient_id, order_id = prepare_patient_for_session(services)
    courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-09", "depression")
    order = orders.get_order(services, CONSOLE, order_id)
    # 03:00 UTC on 11-10 is 22:00 on 11-09 in New York.
    store_session(services, patient_id, order, started_at=_at("2026-11-10", hour=3))

    overview = courses.get_course_overview(services, PHYSICIAN, patient_id)

    assert overview.schedule is not None
    assert [slot.given_on for slot in overview.schedule.given] == [date(2026, 11, 9)]


def test_sessions_before_the_course_start_belong_to_no_slot(services: AppServices) -> None:
    patient_id, order_id = prepare_patient_for_session(services)
    _infused(services, patient_id, order_id, ["2026-11-02", "2026-11-09"], [40.0, 40.0])
    courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-09", "depression")

    overview = courses.get_course_overview(services, PHYSICIAN, patient_id)

    assert overview.schedule is not None
    assert [slot.given_on for slot in overview.schedule.given] == [date(2026, 11, 9)]


def test_a_later_course_supersedes_the_current_one(services: AppServices) -> None:
    patient_id = _contactable(services)
    first = courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-01", "first series")
    services.clock.advance(minutes=5)  # type: ignore[attr-defined]  # the FakeClock of the services fixture
    second = courses.start_course(
        services, PHYSICIAN, patient_id, "depression_twice_weekly", "2026-11-20", "switched to twice weekly"
    )

    overview = courses.get_course_overview(services, PHYSICIAN, patient_id)
    with services.uow_factory() as uow:
        current = [c.id for c in uow.courses.list_current_courses() if c.patient_id == patient_id]

    assert overview.course == second
    assert overview.previous_courses == (first,)
    assert current == [second.id]


@pytest.mark.parametrize(
    ("plan_id", "start_date", "reason", "field"),
    [
        ("no_such_plan", "2026-11-25", "depression", "plan_id"),
        (PLAN, "25/11/2026", "depression", "start_date"),
        (PLAN, "2026-11-25", "  ", "reason"),
        (PLAN, "2026-11-25", "x" * 301, "reason"),
    ],
    ids=["unknown-plan", "bad-date", "blank-reason", "reason-too-long"],
)
def test_a_course_with_bad_input_names_the_field_and_stores_nothing(
    services: AppServices, plan_id: str, start_date: str, reason: str, field: str
) -> None:
    patient_id = _contactable(services)

    with pytest.raises(InputError) as raised:
        courses.start_course(services, PHYSICIAN, patient_id, plan_id, start_date, reason)

    assert raised.value.field == field
    assert courses.get_course_overview(services, PHYSICIAN, patient_id).course is None


def test_a_reason_of_300_characters_is_accepted(services: AppServices) -> None:
    patient_id = _contactable(services)

    course = courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-25", "x" * 300)

    assert len(course.reason) == 300


def test_only_prescribers_start_a_course(services: AppServices) -> None:
    patient_id = _contactable(services)

    with pytest.raises(AccessDenied):
        courses.start_course(services, NURSE, patient_id, PLAN, "2026-11-25", "depression")


def test_starting_and_ending_a_course_are_audited(services: AppServices) -> None:
    patient_id = _contactable(services)
    course = courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-25", "depression")

    courses.end_course(services, PHYSICIAN, patient_id, "remission; patient prefers to stop")

    with services.uow_factory() as uow:
        started = uow.audit.query(AuditQuery(action="course.start"))
        ended = uow.audit.query(AuditQuery(action="course.ended"))
    assert [(e.entry.resource_id, e.entry.detail) for e in started] == [(str(course.id), f"{PLAN} 2026.11.0")]
    assert [e.entry.actor_username for e in ended] == ["dr.house"]


def test_an_ended_course_cannot_be_ended_again(services: AppServices) -> None:
    patient_id = _contactable(services)
    courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-25", "depression")
    courses.end_course(services, PHYSICIAN, patient_id, "stopped")

    with pytest.raises(Conflict):
        courses.end_course(services, PHYSICIAN, patient_id, "stopped again")

    overview = courses.get_course_overview(services, PHYSICIAN, patient_id)
    assert not overview.is_active
    assert overview.ended is not None and overview.ended.data["reason"] == "stopped"


# --- who sees what --------------------------------------------------------------------------------------------


def test_the_front_desk_sees_the_schedule_but_not_safety_or_scores(services: AppServices) -> None:
    patient_id = _treated(services, ["2026-11-09"])

    desk = courses.get_course_overview(services, FRONT_DESK, patient_id)
    nurse = courses.get_course_overview(services, NURSE, patient_id)

    assert desk.schedule is not None and desk.safety is None
    assert nurse.safety is not None


def test_a_booster_is_suggested_after_induction_only_to_those_who_read_scores(services: AppServices) -> None:
    days = ["2026-11-09", "2026-11-11", "2026-11-13", "2026-11-16", "2026-11-18", "2026-11-20"]
    patient_id = _treated(services, days)
    # PHQ-9 of 10 (the plan's limit, >= 10) on 11-25, after the last induction infusion on 11-20.
    questionnaires.record_response(services, NURSE, patient_id, "phq9", {**{f"q{i}": 1 for i in range(1, 9)}, "q9": 2})

    physician = courses.get_course_overview(services, PHYSICIAN, patient_id)
    desk = courses.get_course_overview(services, FRONT_DESK, patient_id)

    assert [f.rule_id for f in physician.booster_suggestions] == ["course.booster.suggested"]
    assert physician.booster_suggestions[0].inputs["score"] == {"at": "2026-11-25T14:00:00Z", "total": 10}
    assert desk.booster_suggestions == ()


def test_a_phq9_below_the_limit_suggests_no_booster(services: AppServices) -> None:
    days = ["2026-11-09", "2026-11-11", "2026-11-13", "2026-11-16", "2026-11-18", "2026-11-20"]
    patient_id = _treated(services, days)
    questionnaires.record_response(services, NURSE, patient_id, "phq9", {**{f"q{i}": 1 for i in range(1, 10)}})

    overview = courses.get_course_overview(services, PHYSICIAN, patient_id)

    assert overview.booster_suggestions == ()


def test_a_booster_decision_is_kept_with_its_note(services: AppServices) -> None:
    patient_id = _contactable(services)
    courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-25", "depression")

    courses.record_booster_decision(services, PHYSICIAN, patient_id, "no_booster", "PHQ-9 improving again")

    decision = courses.get_course_overview(services, PHYSICIAN, patient_id).booster_decision
    assert decision is not None and decision.data == {"decision": "no_booster", "note": "PHQ-9 improving again"}


# --- long-term safety ------------------------------------------------------------------------------------------


def _signals(services: AppServices, patient_id: UUID) -> dict[str, courses.SafetySignal]:
    safety = courses.get_course_overview(services, PHYSICIAN, patient_id).safety
    assert safety is not None
    return {signal.finding.rule_id: signal for signal in safety.signals}


def test_exposure_is_the_delivered_mg_at_the_end_of_each_session_per_kg_of_dosing_weight(
    services: AppServices,
) -> None:
    patient_id = _treated(services, ["2026-11-09", "2026-11-11", "2026-11-13"], [40.0, 40.0, 60.0])

    exposure = _signals(services, patient_id)["safety.exposure"].finding

    # 35 + 35 + 52.5 mg (52.5 mL/h x 40, 40, 60 min x 1 mg/mL); / 70 kg = 0.5 + 0.5 + 0.75 mg/kg.
    assert exposure.inputs["infusions"] == 3
    assert exposure.inputs["total_dose_mg"] == pytest.approx(122.5, rel=1e-9)
    assert exposure.inputs["total_dose_mg_per_kg"] == pytest.approx(1.75, rel=1e-9)


@pytest.mark.parametrize(
    ("last_minutes", "escalated"),
    [(60.0, True), (45.0, False)],
    ids=["plus-50-percent-signals", "plus-12.5-percent-does-not"],
)
def test_dose_escalation_compares_the_latest_mg_per_kg_with_the_first(
    services: AppServices, last_minutes: float, escalated: bool
) -> None:
    patient_id = _treated(services, ["2026-11-09", "2026-11-11"], [40.0, last_minutes])

    signals = _signals(services, patient_id)

    assert ("safety.dose_escalation" in signals) is escalated


@pytest.mark.parametrize(
    ("started_min_ago", "expected_mg"),
    [(5.0, 35.0 + 52.5 * 5 / 60), (24 * 60.0, 35.0 + 35.0)],
    ids=["running-5-min-counts-so-far", "left-open-a-day-counts-the-40-min-ordered"],
)
def test_an_infusion_not_ended_counts_what_it_delivered_so_far_up_to_the_orders_duration(
    services: AppServices, started_min_ago: float, expected_mg: float
) -> None:
    patient_id = _treated(services, ["2026-11-09"])
    order = orders.get_order(services, CONSOLE, orders.list_orders(services, CONSOLE, patient_id)[0].id)
    started = services.clock.now() - timedelta(minutes=started_min_ago)
    store_session(services, patient_id, order, chair="now", started_at=started)

    safety = courses.get_course_overview(services, PHYSICIAN, patient_id).safety

    assert safety is not None and safety.running_infusions == 1
    exposure = next(s.finding for s in safety.signals if s.finding.rule_id == "safety.exposure")
    assert exposure.inputs["total_dose_mg"] == pytest.approx(expected_mg, rel=1e-9)


def test_bladder_answers_after_the_last_infusion_leave_no_bladder_signal(services: AppServices) -> None:
    patient_id = _treated(services, ["2026-11-09"])
    answers = {"frequency": "no", "urgency": "no", "dysuria": "no", "nocturia": "no", "haematuria": "no"}

    courses.record_safety_answer(
        services, NURSE, patient_id, {"type": "bladder", "on": "2026-11-25", "answers": answers}
    )

    signals = _signals(services, patient_id)
    assert "safety.bladder_screen_due" not in signals
    assert "safety.bladder_symptoms" not in signals


def test_a_yes_to_a_bladder_question_prompts_a_urinalysis(services: AppServices) -> None:
    patient_id = _treated(services, ["2026-11-09"])
    answers = {"frequency": "no", "urgency": "no", "dysuria": "no", "nocturia": "no", "haematuria": "yes"}

    courses.record_safety_answer(
        services, NURSE, patient_id, {"type": "bladder", "on": "2026-11-25", "answers": answers}
    )

    symptoms = _signals(services, patient_id)["safety.bladder_symptoms"].finding
    assert symptoms.effect is Effect.WARN
    assert "haematuria" in symptoms.message


def test_bladder_questions_are_due_until_answered(services: AppServices) -> None:
    patient_id = _treated(services, ["2026-11-09"])

    signals = _signals(services, patient_id)

    assert signals["safety.bladder_screen_due"].finding.inputs["bladder_answered_on"] is None


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ({"type": "bladder", "on": "2026-11-25", "answers": {"frequency": "no"}}, "answers.urgency"),
        ({"type": "bladder", "on": "2026-11-25", "answers": {"thirst": "no"}}, "answers.thirst"),
        ({"type": "psychiatric_event", "on": "2026-11-25", "kind": "anxiety"}, "kind"),
        ({"type": "psychiatric_event", "on": "2026-11-26", "kind": "mania"}, "on"),
        ({"type": "liver_tests", "on": "yesterday"}, "on"),
        ({"type": "weight", "on": "2026-11-25"}, "type"),
    ],
    ids=["unanswered", "unknown-question", "unknown-kind", "tomorrow", "bad-date", "unknown-type"],
)
def test_a_bad_safety_answer_names_the_field(services: AppServices, answer: dict[str, object], field: str) -> None:
    patient_id = _treated(services, ["2026-11-09"])

    with pytest.raises(InputError) as raised:
        courses.record_safety_answer(services, NURSE, patient_id, answer)

    assert raised.value.field == field


@pytest.mark.parametrize(
    ("event_on", "held"), [("2026-11-09", True), ("2026-11-08", False)], ids=["on-first-infusion", "day-before"]
)
def test_a_psychiatric_event_from_the_first_infusion_on_is_held(
    services: AppServices, event_on: str, held: bool
) -> None:
    patient_id = _treated(services, ["2026-11-09"])

    courses.record_safety_answer(
        services, NURSE, patient_id, {"type": "psychiatric_event", "on": event_on, "kind": "hypomania"}
    )

    signal = _signals(services, patient_id).get("safety.psychiatric_event")
    assert (signal is not None and signal.is_unreviewed) is held


def test_a_prescribers_review_clears_a_held_signal_and_is_audited(services: AppServices) -> None:
    patient_id = _treated(services, ["2026-11-09"])
    courses.record_safety_answer(
        services, NURSE, patient_id, {"type": "psychiatric_event", "on": "2026-11-20", "kind": "mania"}
    )
    held = _signals(services, patient_id)["safety.psychiatric_event"]

    courses.record_safety_review(services, PHYSICIAN, patient_id, held.key, "Seen 11-24; resolved; continue")

    after = _signals(services, patient_id)["safety.psychiatric_event"]
    assert after.review is not None and after.review.data["note"] == "Seen 11-24; resolved; continue"
    assert not after.is_unreviewed
    with services.uow_factory() as uow:
        audited = uow.audit.query(AuditQuery(action="course.safety_review"))
    assert [(e.entry.actor_username, e.entry.detail) for e in audited] == [("dr.house", "safety.psychiatric_event")]


def test_a_second_event_is_a_new_signal_that_needs_its_own_review(services: AppServices) -> None:
    patient_id = _treated(services, ["2026-11-09"])
    first = {"type": "psychiatric_event", "on": "2026-11-20", "kind": "mania"}
    courses.record_safety_answer(services, NURSE, patient_id, first)
    key = _signals(services, patient_id)["safety.psychiatric_event"].key
    courses.record_safety_review(services, PHYSICIAN, patient_id, key, "reviewed")

    courses.record_safety_answer(services, NURSE, patient_id, {**first, "on": "2026-11-24", "kind": "psychosis"})

    safety = courses.get_course_overview(services, PHYSICIAN, patient_id).safety
    assert safety is not None
    assert [s.finding.inputs["kind"] for s in safety.unreviewed] == ["psychosis"]


def test_a_review_needs_a_held_signal_a_note_and_a_prescriber(services: AppServices) -> None:
    patient_id = _treated(services, ["2026-11-09"])
    courses.record_safety_answer(
        services, NURSE, patient_id, {"type": "psychiatric_event", "on": "2026-11-20", "kind": "mania"}
    )
    signals = _signals(services, patient_id)
    held, warning = signals["safety.psychiatric_event"], signals["safety.bladder_screen_due"]

    with pytest.raises(InputError, match="signal"):
        courses.record_safety_review(services, PHYSICIAN, patient_id, warning.key, "a warning is not held")
    with pytest.raises(InputError, match="note"):
        courses.record_safety_review(services, PHYSICIAN, patient_id, held.key, " ")
    with pytest.raises(AccessDenied):
        courses.record_safety_review(services, NURSE, patient_id, held.key, "nurse cannot")
    courses.record_safety_review(services, PHYSICIAN, patient_id, held.key, "reviewed")
    with pytest.raises(Conflict):
        courses.record_safety_review(services, PHYSICIAN, patient_id, held.key, "again")


@pytest.mark.parametrize(
    ("liver_on", "due"), [("2026-05-25", True), ("2026-05-26", False)], ids=["6-months-ago", "a-day-less"]
)
def test_liver_tests_are_due_6_months_after_the_last_once_recurring(
    services: AppServices, liver_on: str, due: bool
) -> None:
    days = [f"2026-11-{d:02d}" for d in (9, 11, 13, 16, 18, 20, 23)]  # 7 infusions: a recurring regimen
    patient_id = _treated(services, days)

    courses.record_safety_answer(services, NURSE, patient_id, {"type": "liver_tests", "on": liver_on})

    assert ("safety.liver_tests_due" in _signals(services, patient_id)) is due


# --- reminders ---------------------------------------------------------------------------------------------------


def test_a_course_starting_today_asks_for_a_phq9_before_its_first_infusion(services: AppServices) -> None:
    patient_id = _contactable(services)
    courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-25", "depression")

    due = [r for r in courses.list_due_reminders(services, FRONT_DESK, TODAY) if r.patient_id == patient_id]

    assert [(r.instrument, r.rule_ids, r.already_sent) for r in due] == [
        ("phq9", ("course.questionnaire.before_infusion",), False)
    ]


def test_the_after_infusion_questionnaire_is_due_the_next_day_not_the_same_day(services: AppServices) -> None:
    patient_id, order_id = prepare_patient_for_session(services)
    courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-23", "depression")
    _infused(services, patient_id, order_id, ["2026-11-24"], [40.0])

    yesterday = courses.list_due_reminders(services, CONSOLE, date(2026, 11, 24))
    today = courses.list_due_reminders(services, CONSOLE, TODAY)

    # On 11-24 (the infusion day) the next infusion window opens 11-26: nothing is due that day by this rule.
    assert [r.rule_ids for r in yesterday if r.patient_id == patient_id] == []
    assert [r.rule_ids for r in today if r.patient_id == patient_id] == [("course.questionnaire.after_infusion",)]


def test_no_reminder_for_an_ended_course_or_one_that_starts_later(services: AppServices) -> None:
    ended, later = _contactable(services), _contactable(services)
    courses.start_course(services, PHYSICIAN, ended, PLAN, "2026-11-25", "depression")
    courses.end_course(services, PHYSICIAN, ended, "declined treatment")
    courses.start_course(services, PHYSICIAN, later, PLAN, "2026-11-26", "depression")

    due = courses.list_due_reminders(services, CONSOLE, TODAY)

    assert [r.patient_id for r in due] == []


def test_reminders_go_by_email_else_sms_else_are_skipped(services: AppServices) -> None:
    by_email = _contactable(services, email="a@example.org", phone="+1 555 0101")
    by_sms = _contactable(services, email="", phone="+1 555 0102")
    nowhere = _contactable(services, email="", phone="")
    for patient_id in (by_email, by_sms, nowhere):
        courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-25", "depression")

    outcomes = courses.send_due_reminders(services, CONSOLE, TODAY, "https://clinic.example.org")

    got = {o.reminder.patient_id: (o.status, o.channel) for o in outcomes}
    assert got == {by_email: ("sent", "email"), by_sms: ("sent", "sms"), nowhere: ("skipped", "")}
    assert sorted(_outbox(services)) == ["+1 555 0102", "a@example.org"]


def test_a_second_run_the_same_day_sends_nothing_twice(services: AppServices) -> None:
    patient_id = _contactable(services)
    courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-25", "depression")
    courses.send_due_reminders(services, CONSOLE, TODAY, "https://clinic.example.org")

    again = courses.send_due_reminders(services, CONSOLE, TODAY, "https://clinic.example.org")

    assert [o.status for o in again] == ["already_sent"]
    assert _outbox(services) == ["ana@example.org"]
    assert "https://clinic.example.org/q/" in services.sender.outbox[0].body  # type: ignore[attr-defined]


def test_a_dry_run_sends_and_records_nothing(services: AppServices) -> None:
    patient_id = _contactable(services)
    courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-25", "depression")

    dry = courses.send_due_reminders(services, CONSOLE, TODAY, "", dry_run=True)
    real = courses.send_due_reminders(services, CONSOLE, TODAY, "https://clinic.example.org")

    assert [(o.status, o.channel) for o in dry] == [("would_send", "email")]
    assert [o.status for o in real] == ["sent"]


def test_reminders_are_never_sent_to_synthetic_demo_patients(services: AppServices) -> None:
    patient_id = _contactable(services)
    courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-25", "depression")
    with services.uow_factory() as uow:
        uow.courses.mark_synthetic(patient_id, services.clock.now(), "demo-1", 42)
        uow.commit()

    outcomes = courses.send_due_reminders(services, CONSOLE, TODAY, "https://clinic.example.org")

    assert [o.status for o in outcomes] == ["skipped"]
    assert _outbox(services) == []


def test_sending_reminders_needs_the_send_permission_and_a_base_url(services: AppServices) -> None:
    auditor = Actor(uuid4(), "auditor", Role.AUDITOR)

    with pytest.raises(AccessDenied):
        courses.send_due_reminders(services, auditor, TODAY, "https://clinic.example.org")
    with pytest.raises(InputError, match="base_url"):
        courses.send_due_reminders(services, CONSOLE, TODAY, "")


# --- storage ------------------------------------------------------------------------------------------------------


def test_a_once_only_course_event_is_refused_the_second_time(services: AppServices) -> None:
    patient_id = _contactable(services)
    course = courses.start_course(services, PHYSICIAN, patient_id, PLAN, "2026-11-25", "depression")
    now = services.clock.now()

    def event() -> CourseEvent:
        return CourseEvent(uuid4(), course.id, "reminder_sent", {"instrument": "phq9"}, now, "cron", "key-1")

    with services.uow_factory() as uow:
        uow.courses.add_event(event())
        uow.commit()
    with pytest.raises(Conflict), services.uow_factory() as uow:
        uow.courses.add_event(event())


def test_synthetic_patients_are_marked_once_and_listed(services: AppServices) -> None:
    real, synthetic = _contactable(services), _contactable(services)
    now = services.clock.now()
    with services.uow_factory() as uow:
        uow.courses.mark_synthetic(synthetic, now, "2026.11.0", 7)
        uow.commit()

    with services.uow_factory() as uow:
        marked = uow.courses.synthetic_patient_ids()
    with pytest.raises(Conflict), services.uow_factory() as uow:
        uow.courses.mark_synthetic(synthetic, now, "2026.11.0", 8)

    assert synthetic in marked and real not in marked
