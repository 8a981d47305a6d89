"""Treatment courses in the clinic: start and end a course, its schedule from the infusions actually given, the
long-term safety signals with a prescriber's review, and the questionnaire reminders the plans ask for.

A course is a row that a later course for the same patient supersedes (append-only); what happens to it is a
``CourseEvent``: ``ended``, ``booster_decision``, ``safety_answer`` (bladder questions, a new psychiatric event,
the date of liver tests or a cognitive screen), ``safety_review`` and ``reminder_sent``. Every number comes from
the plan's rule file (``rules/courses/``) or the surveillance rules (``rules/safety/long_term.json``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from ketaflow.domain.access import Permission, can
from ketaflow.domain.audit import ActionCode
from ketaflow.domain.basis import Effect, Finding, JsonValue
from ketaflow.domain.course import (
    CoursePlan,
    CourseSchedule,
    ExposureRecord,
    QuestionnaireDue,
    SafetyHistory,
    SafetyRules,
    evaluate_long_term_safety,
    schedule_course,
)
from ketaflow.domain.errors import ClinicError, Conflict, InputError, NotFound
from ketaflow.domain.outcomes import ScorePoint
from ketaflow.domain.sessions import InfusionSession
from ketaflow.rules import list_rule_files, load_rule_file
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, record_audit, require
from ketaflow.services.ports import CourseEvent, TreatmentCourse, UnitOfWork
from ketaflow.services.questionnaires import link_instruments, send_link

ENDED = "ended"
BOOSTER_DECISION = "booster_decision"
SAFETY_ANSWER = "safety_answer"
SAFETY_REVIEW = "safety_review"
REMINDER_SENT = "reminder_sent"
EVENT_KINDS = (ENDED, BOOSTER_DECISION, SAFETY_ANSWER, SAFETY_REVIEW, REMINDER_SENT)

BLADDER = "bladder"
PSYCHIATRIC_EVENT = "psychiatric_event"
LIVER_TESTS = "liver_tests"
COGNITIVE_SCREEN = "cognitive_screen"
SAFETY_ANSWER_TYPES = (BLADDER, PSYCHIATRIC_EVENT, LIVER_TESTS, COGNITIVE_SCREEN)
BOOSTER_DECISIONS = ("give_booster", "no_booster")
# A signal a prescriber must review (and document) before the next infusion; warnings are shown, not held.
REVIEWED_EFFECTS = frozenset({Effect.HOLD, Effect.BLOCK})
REASON_MAX_CHARS = 300
NOTE_MAX_CHARS = 2000
_YES = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}


@cache
def list_course_plans() -> tuple[CoursePlan, ...]:
    """The shipped course plans (rules/courses/*.json), each checked once per process."""
    return tuple(CoursePlan.from_dict(load_rule_file("courses", name)) for name in list_rule_files("courses"))


def get_course_plan(plan_id: str) -> CoursePlan:
    """A shipped plan by id; InputError naming ``plan_id`` (and the choices) if there is none."""
    plans = {plan.ref.id: plan for plan in list_course_plans()}
    if plan_id not in plans:
        raise InputError("plan_id", "one of " + ", ".join(sorted(plans)), plan_id or None)
    return plans[plan_id]


@cache
def load_safety_rules() -> SafetyRules:
    return SafetyRules.from_dict(load_rule_file("safety", "long_term"))


# --- reading a patient's course ----------------------------------------------------------------------------


def _patient_or_404(uow: UnitOfWork, patient_id: UUID) -> None:
    if uow.patients.latest(patient_id) is None:
        raise NotFound("patient", patient_id)


def _current(uow: UnitOfWork, patient_id: UUID) -> tuple[TreatmentCourse | None, list[CourseEvent]]:
    courses = uow.courses.list_courses(patient_id)
    if not courses:
        return None, []
    return courses[-1], uow.courses.list_events(courses[-1].id)


def _all_events(uow: UnitOfWork, patient_id: UUID) -> list[CourseEvent]:
    """Every event of every course of the patient (safety answers and reviews outlive a superseded course)."""
    events = [event for course in uow.courses.list_courses(patient_id) for event in uow.courses.list_events(course.id)]
    return sorted(events, key=lambda event: event.at_utc)


def _ended(events: Sequence[CourseEvent]) -> CourseEvent | None:
    return next((event for event in events if event.kind == ENDED), None)


def _local_date(at_utc: datetime, timezone: str) -> date:
    return at_utc.astimezone(ZoneInfo(timezone)).date()


@dataclass(frozen=True, slots=True)
class GivenInfusion:
    """One infusion of the patient: its start, what it delivered, and whether it is still running."""

    session_id: UUID
    started_at_utc: datetime
    delivered_mg: float
    dosing_weight_kg: float
    running: bool


def _infusions(uow: UnitOfWork, patient_id: UUID, now_utc: datetime) -> list[GivenInfusion]:
    """Every started infusion of the patient, oldest first, as each session's log says after any correction.

    An ended infusion counts what the pump had delivered at its end. One not ended yet counts what it has
    delivered so far, up to the order's duration: a session left open by mistake is not counted as running on.
    """
    given: list[GivenInfusion] = []
    for indexed in uow.infusions.list_patient_sessions(patient_id):
        session = InfusionSession(uow.infusions.load_events(indexed.session_id))
        started = session.started_at_utc
        if started is None:
            continue  # checked in, never started (cancelled or still at baseline): not an infusion
        header = session.header
        end = session.ended_at_utc or min(now_utc, started + timedelta(minutes=header.ordered_duration_min))
        given.append(
            GivenInfusion(
                session_id=session.id,
                started_at_utc=started,
                delivered_mg=session.delivered_mg(end),
                dosing_weight_kg=header.dosing_weight_kg or header.weight_kg,
                running=session.ended_at_utc is None,
            )
        )
    return sorted(given, key=lambda infusion: infusion.started_at_utc)


def _exposures(infusions: Sequence[GivenInfusion]) -> list[ExposureRecord]:
    """Infusions that delivered drug: mg, and mg/kg of the session's dosing weight."""
    return [
        ExposureRecord(
            at=infusion.started_at_utc,
            dose_mg=infusion.delivered_mg,
            dose_mg_per_kg=infusion.delivered_mg / infusion.dosing_weight_kg,
        )
        for infusion in infusions
        if infusion.delivered_mg > 0
    ]


def _schedule(
    plan: CoursePlan,
    course: TreatmentCourse,
    infusions: Sequence[GivenInfusion],
    scores: Sequence[ScorePoint],
    today: date,
    timezone: str,
) -> CourseSchedule:
    # Infusions before the course started belong to an earlier course; a course starting later shows none yet.
    dates = [
        on
        for infusion in infusions
        if course.start_date <= (on := _local_date(infusion.started_at_utc, timezone)) <= today
    ]
    return schedule_course(plan, start=course.start_date, infusion_dates=dates, today=today, latest_scores=scores)


def _booster_scores(uow: UnitOfWork, plan: CoursePlan, patient_id: UUID) -> list[ScorePoint]:
    if plan.booster is None:
        return []
    responses = uow.questionnaires.list_responses(patient_id)
    return [
        point for r in responses if r.instrument == plan.booster.instrument and (point := r.score_point) is not None
    ]


# --- long-term safety -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SafetySignal:
    """One surveillance finding; a HOLD or BLOCK needs a prescriber's documented review (``review``)."""

    key: str
    finding: Finding
    review: CourseEvent | None

    @property
    def needs_review(self) -> bool:
        return self.finding.effect in REVIEWED_EFFECTS

    @property
    def is_unreviewed(self) -> bool:
        return self.needs_review and self.review is None


@dataclass(frozen=True, slots=True)
class SafetyOverview:
    """The long-term safety signals as of ``today`` and the answers they were computed from."""

    rules: SafetyRules
    today: date
    signals: tuple[SafetySignal, ...]
    history: SafetyHistory
    running_infusions: int  # started and not yet ended: counted with what they have delivered so far

    @property
    def unreviewed(self) -> tuple[SafetySignal, ...]:
        return tuple(signal for signal in self.signals if signal.is_unreviewed)


def signal_key(finding: Finding) -> str:
    """A stable name for a signal: its rule and the inputs it used (a new event is a new signal).

    >>> signal_key(Finding("safety.psychiatric_event", Effect.HOLD, "m", "s", {"on": "2026-11-02"}))[:25]
    'safety.psychiatric_event:'
    """
    digest = hashlib.sha256(json.dumps(dict(finding.inputs), sort_keys=True, default=str).encode()).hexdigest()
    return f"{finding.rule_id}:{digest[:16]}"


def _answers(events: Sequence[CourseEvent], kind: str) -> list[CourseEvent]:
    return [event for event in events if event.kind == SAFETY_ANSWER and event.data.get("type") == kind]


def _latest_date(events: Sequence[CourseEvent], kind: str) -> date | None:
    found = [date.fromisoformat(str(event.data["on"])) for event in _answers(events, kind)]
    return max(found) if found else None


def _safety_history(events: Sequence[CourseEvent], exposures: Sequence[ExposureRecord]) -> SafetyHistory:
    bladder = _answers(events, BLADDER)
    latest_bladder = max(bladder, key=lambda event: (str(event.data["on"]), event.at_utc)) if bladder else None
    answers = latest_bladder.data.get("answers") if latest_bladder else None
    return SafetyHistory(
        exposures=tuple(exposures),
        bladder_answers=None if not isinstance(answers, dict) else {k: v is True for k, v in answers.items()},
        bladder_answered_on=None if latest_bladder is None else date.fromisoformat(str(latest_bladder.data["on"])),
        last_liver_tests=_latest_date(events, LIVER_TESTS),
        last_cognitive_screen=_latest_date(events, COGNITIVE_SCREEN),
        psychiatric_events=tuple(
            (date.fromisoformat(str(event.data["on"])), str(event.data["kind"]))
            for event in _answers(events, PSYCHIATRIC_EVENT)
        ),
    )


def _safety_today(svc: AppServices) -> date:
    """The clinic's date: surveillance compares the clinic-local days of infusions, answers and events."""
    return _local_date(svc.clock.now(), svc.clinic_timezone)


def _safety(svc: AppServices, infusions: Sequence[GivenInfusion], events: Sequence[CourseEvent]) -> SafetyOverview:
    rules = load_safety_rules()
    today = _safety_today(svc)
    history = _safety_history(events, _exposures(infusions))
    findings = evaluate_long_term_safety(rules, history, today=today, clinic_zone=ZoneInfo(svc.clinic_timezone))
    reviews = {str(event.data.get("signal")): event for event in events if event.kind == SAFETY_REVIEW}
    signals = tuple(SafetySignal(key, f, reviews.get(key)) for f in findings for key in (signal_key(f),))
    running = sum(1 for infusion in infusions if infusion.running)
    return SafetyOverview(rules=rules, today=today, signals=signals, history=history, running_infusions=running)


# --- the overview ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CourseOverview:
    """What the patient page's course section shows: the current course, its plan and schedule, its events, and
    (for roles that read outcomes) the long-term safety signals."""

    patient_id: UUID
    today: date
    plans: tuple[CoursePlan, ...]
    course: TreatmentCourse | None
    plan: CoursePlan | None
    events: tuple[CourseEvent, ...]
    schedule: CourseSchedule | None
    safety: SafetyOverview | None
    previous_courses: tuple[TreatmentCourse, ...]

    @property
    def ended(self) -> CourseEvent | None:
        return _ended(self.events)

    @property
    def is_active(self) -> bool:
        return self.course is not None and self.ended is None

    @property
    def plan_version_differs(self) -> bool:
        """The course was started under another version of its plan than the one shipped now."""
        return self.course is not None and self.plan is not None and self.plan.ref.version != self.course.plan_version

    @property
    def booster_suggestions(self) -> tuple[Finding, ...]:
        if self.schedule is None or self.plan is None or self.plan.booster is None:
            return ()
        rule_id = self.plan.booster.basis.rule_id
        return tuple(finding for finding in self.schedule.findings if finding.rule_id == rule_id)

    @property
    def booster_decision(self) -> CourseEvent | None:
        decisions = [event for event in self.events if event.kind == BOOSTER_DECISION]
        return decisions[-1] if decisions else None

    @property
    def reminders_sent(self) -> tuple[CourseEvent, ...]:
        return tuple(event for event in self.events if event.kind == REMINDER_SENT)


def _reads_scores(actor: Actor) -> bool:
    """Questionnaire totals (and the booster rule that quotes them) are for those who may read the answers."""
    return actor.role is None or can(actor.role, Permission.OUTCOMES_READ)


def get_course_overview(svc: AppServices, actor: Actor, patient_id: UUID) -> CourseOverview:
    """The patient's current course and schedule; the safety signals only for roles with OUTCOMES_READ (audited)."""
    require(actor, Permission.COURSE_READ)
    today = _local_date(svc.clock.now(), svc.clinic_timezone)
    with svc.uow_factory() as uow:
        _patient_or_404(uow, patient_id)
        courses = uow.courses.list_courses(patient_id)
        course = courses[-1] if courses else None
        events = uow.courses.list_events(course.id) if course else []
        infusions = _infusions(uow, patient_id, svc.clock.now())
        plan = schedule = None
        if course is not None:
            plan = get_course_plan(course.plan_id)
            scores = _booster_scores(uow, plan, patient_id) if _reads_scores(actor) else []
            schedule = _schedule(plan, course, infusions, scores, today, svc.clinic_timezone)
        safety = _safety(svc, infusions, _all_events(uow, patient_id)) if _reads_scores(actor) else None
        record_audit(
            uow, svc.clock, actor, "course.read", ActionCode.READ, patient_id=patient_id, resource_type="Course"
        )
        uow.commit()
    return CourseOverview(
        patient_id=patient_id,
        today=today,
        plans=list_course_plans(),
        course=course,
        plan=plan,
        events=tuple(events),
        schedule=schedule,
        safety=safety,
        previous_courses=tuple(reversed(courses[:-1])),
    )


# --- writing ---------------------------------------------------------------------------------------------------


def _text(value: object, field: str, max_chars: int) -> str:
    text = "" if value is None else str(value).strip()
    if not text or len(text) > max_chars:
        raise InputError(field, f"a text of 1 to {max_chars} characters (required)", value or None)
    return text


def _date(value: object, field: str, *, not_after: date | None = None) -> date:
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise InputError(field, "a date such as 2026-11-25", value or None) from None
    if not_after is not None and day > not_after:
        raise InputError(field, f"a date on or before today ({not_after.isoformat()})", day.isoformat())
    return day


def _add_event(
    svc: AppServices,
    uow: UnitOfWork,
    actor: Actor,
    course: TreatmentCourse,
    kind: str,
    data: dict[str, JsonValue],
    *,
    once_key: str | None = None,
    detail: str = "",
) -> CourseEvent:
    event = CourseEvent(
        id=uuid4(),
        course_id=course.id,
        kind=kind,
        data=data,
        at_utc=svc.clock.now(),
        recorded_by=actor.username,
        once_key=once_key,
    )
    uow.courses.add_event(event)
    record_audit(
        uow,
        svc.clock,
        actor,
        f"course.{kind}",
        ActionCode.CREATE,
        patient_id=course.patient_id,
        resource_type="CourseEvent",
        resource_id=str(event.id),
        detail=detail or kind,
    )
    return event


def _active_course(uow: UnitOfWork, patient_id: UUID) -> TreatmentCourse:
    _patient_or_404(uow, patient_id)
    course, events = _current(uow, patient_id)
    if course is None:
        raise Conflict("This patient has no treatment course: start one first.")
    if _ended(events) is not None:
        raise Conflict("This patient's treatment course has ended: start a new one first.")
    return course


def _latest_course(uow: UnitOfWork, patient_id: UUID) -> TreatmentCourse:
    """The current course, ended or not (safety answers and reviews are recorded after a course too)."""
    _patient_or_404(uow, patient_id)
    course, _events = _current(uow, patient_id)
    if course is None:
        raise Conflict("This patient has no treatment course: start one first.")
    return course


def start_course(
    svc: AppServices, actor: Actor, patient_id: UUID, plan_id: object, start_date: object, reason: object
) -> TreatmentCourse:
    """Start a course under a shipped plan; it supersedes the patient's current course, if any (audited)."""
    require(actor, Permission.COURSE_MANAGE)
    plan = get_course_plan(str(plan_id or ""))
    course = TreatmentCourse(
        id=uuid4(),
        patient_id=patient_id,
        plan_id=plan.ref.id,
        plan_version=plan.ref.version,
        start_date=_date(start_date, "start_date"),
        created_at_utc=svc.clock.now(),
        created_by=actor.username,
        reason=_text(reason, "reason", REASON_MAX_CHARS),
    )
    with svc.uow_factory() as uow:
        _patient_or_404(uow, patient_id)
        previous, _events = _current(uow, patient_id)
        uow.courses.add_course(course)
        record_audit(
            uow,
            svc.clock,
            actor,
            "course.start",
            ActionCode.CREATE,
            patient_id=patient_id,
            resource_type="TreatmentCourse",
            resource_id=str(course.id),
            detail=f"{plan.ref.id} {plan.ref.version}" + (f"; supersedes {previous.id}" if previous else ""),
        )
        uow.commit()
    return course


def end_course(svc: AppServices, actor: Actor, patient_id: UUID, reason: object) -> CourseEvent:
    """End the patient's active course (an ``ended`` event with the reason; audited)."""
    require(actor, Permission.COURSE_MANAGE)
    text = _text(reason, "reason", REASON_MAX_CHARS)
    with svc.uow_factory() as uow:
        course = _active_course(uow, patient_id)
        event = _add_event(svc, uow, actor, course, ENDED, {"reason": text})
        uow.commit()
    return event


def record_booster_decision(
    svc: AppServices, actor: Actor, patient_id: UUID, decision: object, note: object
) -> CourseEvent:
    """A prescriber's decision on a booster suggestion: give_booster or no_booster, with a note (audited)."""
    require(actor, Permission.COURSE_MANAGE)
    if decision not in BOOSTER_DECISIONS:
        raise InputError("decision", " or ".join(BOOSTER_DECISIONS), decision or None)
    text = _text(note, "note", NOTE_MAX_CHARS)
    with svc.uow_factory() as uow:
        course = _active_course(uow, patient_id)
        event = _add_event(
            svc, uow, actor, course, BOOSTER_DECISION, {"decision": str(decision), "note": text}, detail=str(decision)
        )
        uow.commit()
    return event


def _bladder_answers(answer: Mapping[str, object], rules: SafetyRules) -> dict[str, JsonValue]:
    raw = answer.get("answers")
    if not isinstance(raw, Mapping):
        raise InputError("answers", "an object of yes/no answers to the bladder questions", raw)
    keys = [question.key for question in rules.bladder_questions]
    unknown = sorted(set(raw) - set(keys))
    if unknown:
        raise InputError(f"answers.{unknown[0]}", "one of " + ", ".join(keys))
    answers: dict[str, JsonValue] = {}
    for key in keys:
        value = raw.get(key)
        parsed = value if isinstance(value, bool) else _YES.get(str(value).strip().lower()) if value else None
        if parsed is None:
            raise InputError(f"answers.{key}", "yes or no (each question is answered)", value)
        answers[key] = parsed
    return answers


def _answer_data(answer: Mapping[str, object], rules: SafetyRules, today: date) -> dict[str, JsonValue]:
    kind = answer.get("type")
    if kind not in SAFETY_ANSWER_TYPES:
        raise InputError("type", "one of " + ", ".join(SAFETY_ANSWER_TYPES), kind)
    on = _date(answer.get("on"), "on", not_after=today).isoformat()
    if kind == BLADDER:
        return {"type": kind, "on": on, "answers": _bladder_answers(answer, rules)}
    if kind == PSYCHIATRIC_EVENT:
        event_kind = answer.get("kind")
        if event_kind not in rules.psychiatric_kinds:
            raise InputError("kind", "one of " + ", ".join(rules.psychiatric_kinds), event_kind or None)
        return {"type": kind, "on": on, "kind": str(event_kind)}
    return {"type": str(kind), "on": on}


def record_safety_answer(svc: AppServices, actor: Actor, patient_id: UUID, answer: Mapping[str, object]) -> CourseEvent:
    """Record what surveillance reads: ``{"type": "bladder", "on": date, "answers": {key: yes/no}}``,
    ``{"type": "psychiatric_event", "on": date, "kind": ...}``, or the date of ``liver_tests`` or a
    ``cognitive_screen``. Dates are the clinic's, on or before today (audited)."""
    require(actor, Permission.QUESTIONNAIRE_RECORD)
    data = _answer_data(answer, load_safety_rules(), _local_date(svc.clock.now(), svc.clinic_timezone))
    with svc.uow_factory() as uow:
        course = _latest_course(uow, patient_id)
        event = _add_event(svc, uow, actor, course, SAFETY_ANSWER, data, detail=f"safety_answer {data['type']}")
        uow.commit()
    return event


def record_safety_review(svc: AppServices, actor: Actor, patient_id: UUID, signal: object, note: object) -> CourseEvent:
    """A prescriber documents the review of a held safety signal (by its key), which clears its banner (audited)."""
    require(actor, Permission.COURSE_MANAGE)
    text = _text(note, "note", NOTE_MAX_CHARS)
    with svc.uow_factory() as uow:
        course = _latest_course(uow, patient_id)
        safety = _safety(svc, _infusions(uow, patient_id, svc.clock.now()), _all_events(uow, patient_id))
        held = {s.key: s for s in safety.signals if s.needs_review}
        found = held.get(str(signal))
        if found is None:
            raise InputError("signal", "a safety signal of this patient that needs a review", signal or None)
        if found.review is not None:
            raise Conflict(f"This signal was already reviewed by {found.review.recorded_by}.")
        data: dict[str, JsonValue] = {"signal": found.key, "rule_id": found.finding.rule_id, "note": text}
        event = _add_event(svc, uow, actor, course, SAFETY_REVIEW, data, detail=found.finding.rule_id)
        uow.commit()
    return event


# --- reminders --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A questionnaire a patient's plan asks for today: the instrument, the rules asking and whether it went out."""

    patient_id: UUID
    course_id: UUID
    instrument: str
    due_on: date
    rule_ids: tuple[str, ...]
    messages: tuple[str, ...]
    already_sent: bool
    synthetic: bool

    @property
    def once_key(self) -> str:
        return reminder_key(self.course_id, self.due_on, self.instrument)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "patient_id": str(self.patient_id),
            "course_id": str(self.course_id),
            "instrument": self.instrument,
            "due_on": self.due_on.isoformat(),
            "rule_ids": list(self.rule_ids),
            "messages": list(self.messages),
        }


def reminder_key(course_id: UUID, due_on: date, instrument: str) -> str:
    """The unique key of a sent reminder: one per course, day and instrument."""
    return f"reminder:{course_id}:{due_on.isoformat()}:{instrument}"


def _by_instrument(due: Sequence[QuestionnaireDue]) -> list[tuple[str, list[QuestionnaireDue]]]:
    grouped: dict[str, list[QuestionnaireDue]] = {}
    for item in due:
        grouped.setdefault(item.instrument, []).append(item)
    return sorted(grouped.items())


def _due_reminders(svc: AppServices, uow: UnitOfWork, today: date) -> list[DueReminder]:
    synthetic = uow.courses.synthetic_patient_ids()
    found: list[DueReminder] = []
    for course in sorted(uow.courses.list_current_courses(), key=lambda c: (c.start_date, str(c.id))):
        events = uow.courses.list_events(course.id)
        if _ended(events) is not None or course.start_date > today:
            continue
        plan = get_course_plan(course.plan_id)
        infusions = _infusions(uow, course.patient_id, svc.clock.now())
        scores = _booster_scores(uow, plan, course.patient_id)
        schedule = _schedule(plan, course, infusions, scores, today, svc.clinic_timezone)
        sent = {event.once_key for event in events if event.kind == REMINDER_SENT}
        due_today = [item for item in schedule.questionnaires_due if item.due_on == today]
        # One link per instrument and day, however many of the plan's rules ask for it.
        for instrument, items in _by_instrument(due_today):
            found.append(
                DueReminder(
                    patient_id=course.patient_id,
                    course_id=course.id,
                    instrument=instrument,
                    due_on=today,
                    rule_ids=tuple(item.rule_id for item in items),
                    messages=tuple(item.message for item in items),
                    already_sent=reminder_key(course.id, today, instrument) in sent,
                    synthetic=course.patient_id in synthetic,
                )
            )
    return found


def list_due_reminders(svc: AppServices, actor: Actor, today: date) -> list[DueReminder]:
    """The questionnaire reminders the plans say are due on ``today`` for every patient with an active course."""
    require(actor, Permission.COURSE_READ)
    with svc.uow_factory() as uow:
        due = _due_reminders(svc, uow, today)
        record_audit(uow, svc.clock, actor, "course.reminders_list", ActionCode.READ, detail=f"{today} {len(due)}")
        uow.commit()
    return due


@dataclass(frozen=True, slots=True)
class ReminderOutcome:
    """What became of one due reminder: sent (or would be, in a dry run), already sent today, or skipped."""

    reminder: DueReminder
    status: str  # sent | would_send | already_sent | skipped | failed
    channel: str = ""
    detail: str = ""
    link_id: UUID | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            **self.reminder.to_json(),
            "status": self.status,
            "channel": self.channel,
            "detail": self.detail,
            "link_id": None if self.link_id is None else str(self.link_id),
        }


def _channel(svc: AppServices, patient_id: UUID) -> str:
    """E-mail if the record has an address, else SMS if it has a phone, else none."""
    with svc.uow_factory() as uow:
        current = uow.patients.latest(patient_id)
    if current is None:
        return ""
    return "email" if current.details.email else "sms" if current.details.phone else ""


def _outcome(svc: AppServices, actor: Actor, reminder: DueReminder, base_url: str, dry_run: bool) -> ReminderOutcome:
    if reminder.already_sent:
        return ReminderOutcome(reminder, "already_sent")
    if reminder.synthetic:
        return ReminderOutcome(reminder, "skipped", detail="synthetic demo patient: nothing is sent")
    if reminder.instrument not in {scale.id for scale in link_instruments()}:
        return ReminderOutcome(reminder, "skipped", detail="this questionnaire cannot be answered by link")
    channel = _channel(svc, reminder.patient_id)
    if not channel:
        return ReminderOutcome(reminder, "skipped", detail="no e-mail address or phone on the patient's record")
    if dry_run:
        return ReminderOutcome(reminder, "would_send", channel=channel)
    issued = send_link(svc, actor, reminder.patient_id, [reminder.instrument], channel=channel, base_url=base_url)
    data: dict[str, JsonValue] = {
        "instrument": reminder.instrument,
        "due_on": reminder.due_on.isoformat(),
        "rule_ids": list(reminder.rule_ids),
        "channel": channel,
        "link_id": str(issued.link.id),
        "delivery_id": issued.delivery_id,
    }
    try:
        with svc.uow_factory() as uow:
            course = _latest_course(uow, reminder.patient_id)
            _add_event(svc, uow, actor, course, REMINDER_SENT, data, once_key=reminder.once_key, detail=channel)
            uow.commit()
    except Conflict:
        # Another run sent this reminder at the same moment: the patient got it twice; say so.
        return ReminderOutcome(reminder, "sent", channel, "also sent by a concurrent run", issued.link.id)
    return ReminderOutcome(reminder, "sent", channel=channel, link_id=issued.link.id)


def send_due_reminders(
    svc: AppServices, actor: Actor, today: date, base_url: str, *, dry_run: bool = False
) -> list[ReminderOutcome]:
    """Send each reminder due ``today`` that was not sent yet: a one-time link by e-mail, else SMS, else skipped.

    A reminder is recorded as sent (``reminder_sent``, unique per course, day and instrument) after the link has
    gone out, so a run that fails part-way sends the rest on the next run and never skips one silently.
    """
    require(actor, Permission.QUESTIONNAIRE_SEND)
    if not dry_run and not base_url.startswith(("https://", "http://")):
        raise InputError(
            "base_url", "the clinic's public address, such as https://clinic.example.org", base_url or None
        )
    outcomes: list[ReminderOutcome] = []
    for reminder in list_due_reminders(svc, actor, today):
        try:
            outcomes.append(_outcome(svc, actor, reminder, base_url, dry_run))
        except ClinicError as exc:  # one reminder's problem (no contact, a refused link) never stops the rest
            outcomes.append(ReminderOutcome(reminder, "failed", detail=str(exc)))
    return outcomes
