"""A course's schedule from its plan and the dates actually given: what was given, missed, is due, and which
questionnaires to ask for.

Each planned infusion has a window of dates. The first opens on the course start and closes after the first
phase's longest interval; each later one opens ``min_interval_days`` and closes ``max_interval_days`` after the
infusion before it (as given, or as projected when it is still to come). Infusions are matched to the plan in date
order: one given before its window opened is early, one given after it closed is late (its window was missed),
and a window that has closed with nothing given is overdue.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from ketaflow.domain.basis import Finding, JsonValue, RuleRef
from ketaflow.domain.course.plans import CoursePlan, Phase, Reminder, ReminderKind
from ketaflow.domain.errors import InputError
from ketaflow.domain.outcomes.scores import ScorePoint, check_utc
from ketaflow.domain.ruledata.fields import format_utc
from ketaflow.domain.ruledata.rulebasis import RuleBasis, format_number


class SlotStatus(StrEnum):
    GIVEN = "given"  # inside its window
    GIVEN_EARLY = "given_early"  # before its window opened
    GIVEN_LATE = "given_late"  # after its window closed
    OVERDUE = "overdue"  # window closed, not given
    DUE = "due"  # window open today
    UPCOMING = "upcoming"  # window opens later (projected from the infusion before it)


@dataclass(frozen=True, slots=True)
class DueInfusion:
    """One planned infusion: its number in the course and in its phase, its window, and what happened."""

    number: int
    phase: str
    number_in_phase: int
    earliest: date
    latest: date
    status: SlotStatus
    given_on: date | None = None

    @property
    def is_missed(self) -> bool:
        """Its window closed without an infusion in it (given late, or still overdue)."""
        return self.status in (SlotStatus.GIVEN_LATE, SlotStatus.OVERDUE)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "number": self.number,
            "phase": self.phase,
            "number_in_phase": self.number_in_phase,
            "earliest": self.earliest.isoformat(),
            "latest": self.latest.isoformat(),
            "status": self.status.value,
            "given_on": None if self.given_on is None else self.given_on.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class QuestionnaireDue:
    """A questionnaire the plan asks for on ``due_on`` (today or later), with the rule that asks for it."""

    instrument: str
    due_on: date
    kind: ReminderKind
    infusion_number: int | None
    rule_id: str
    message: str
    source: str

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "instrument": self.instrument,
            "due_on": self.due_on.isoformat(),
            "kind": self.kind.value,
            "infusion_number": self.infusion_number,
            "rule_id": self.rule_id,
            "message": self.message,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class CourseSchedule:
    """The course as of ``today``: infusions given (each with its window), missed, still to come, and what is due.

    ``due`` lists the infusions still to come: the next one and the rest of the plan's set phases projected from
    it (an open-ended phase shows only its next infusion).
    """

    plan: RuleRef
    today: date
    given: tuple[DueInfusion, ...]
    due: tuple[DueInfusion, ...]
    missed: tuple[DueInfusion, ...]
    next_due: DueInfusion | None
    questionnaires_due: tuple[QuestionnaireDue, ...]
    findings: tuple[Finding, ...]

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "plan": self.plan.to_json(),
            "today": self.today.isoformat(),
            "given": [slot.to_json() for slot in self.given],
            "due": [slot.to_json() for slot in self.due],
            "missed": [slot.to_json() for slot in self.missed],
            "next_due": None if self.next_due is None else self.next_due.to_json(),
            "questionnaires_due": [item.to_json() for item in self.questionnaires_due],
            "findings": [finding.to_json() for finding in self.findings],
        }


def schedule_course(
    plan: CoursePlan,
    *,
    start: date,
    infusion_dates: Sequence[date],
    today: date,
    latest_scores: Sequence[ScorePoint] = (),
) -> CourseSchedule:
    """The schedule of a course started on ``start`` with infusions given on ``infusion_dates``, as of ``today``.

    ``latest_scores`` are the patient's recent totals on the plan's booster instrument (``plan.booster``).
    """
    dates = _check_dates(start, infusion_dates, today)
    findings: list[Finding] = []
    slots = plan.list_slots()
    given: list[DueInfusion] = []
    previous: date | None = None
    beyond_plan = False
    for number, given_on in enumerate(dates, start=1):
        spec = next(slots, None)
        if spec is None:
            findings.append(_beyond_plan(plan, len(dates), given_on))
            beyond_plan = True
            break
        phase, number_in_phase = spec
        earliest, latest = _window(phase, start, previous)
        status = (
            SlotStatus.GIVEN_EARLY
            if given_on < earliest
            else SlotStatus.GIVEN_LATE
            if given_on > latest
            else SlotStatus.GIVEN
        )
        slot = DueInfusion(number, phase.name, number_in_phase, earliest, latest, status, given_on)
        given.append(slot)
        if status is SlotStatus.GIVEN_EARLY:
            findings.append(_slot_finding(plan.checks.early, slot, (earliest - given_on).days))
        elif status is SlotStatus.GIVEN_LATE:
            findings.append(_slot_finding(plan.checks.late, slot, (given_on - latest).days))
        previous = given_on
    due = [] if beyond_plan else _project(slots, len(given), start, previous, today)
    next_due = due[0] if due else None
    if next_due is not None:
        findings.extend(_next_due_findings(plan, next_due, today))
    elif not beyond_plan:
        findings.append(_complete(plan, previous))
    findings.extend(_booster_findings(plan, given, latest_scores))
    return CourseSchedule(
        plan=plan.ref,
        today=today,
        given=tuple(given),
        due=tuple(due),
        missed=tuple(slot for slot in (*given, *due) if slot.is_missed),
        next_due=next_due,
        questionnaires_due=tuple(_questionnaires(plan, given, next_due, today)),
        findings=tuple(findings),
    )


def _check_dates(start: date, infusion_dates: Sequence[date], today: date) -> list[date]:
    for index, given_on in enumerate(infusion_dates):
        if given_on < start:
            raise InputError(f"infusion_dates[{index}]", f"a date on or after the course start {start}", given_on)
        if given_on > today:
            raise InputError(f"infusion_dates[{index}]", f"a date on or before today {today}", given_on)
    return sorted(infusion_dates)


def _window(phase: Phase, start: date, previous: date | None) -> tuple[date, date]:
    if previous is None:
        return start, start + timedelta(days=phase.max_interval_days)
    return previous + timedelta(days=phase.min_interval_days), previous + timedelta(days=phase.max_interval_days)


def _project(
    slots: Iterator[tuple[Phase, int]],
    given_count: int,
    start: date,
    previous: date | None,
    today: date,
) -> list[DueInfusion]:
    """The next infusion (due, overdue or upcoming) and the rest of the set phases, projected from it."""
    due: list[DueInfusion] = []
    planned = previous
    for offset, (phase, number_in_phase) in enumerate(slots):
        if due and phase.infusions is None and due[-1].phase == phase.name:
            break  # an open-ended phase: only its next infusion is shown
        earliest, latest = _window(phase, start, planned)
        if not due:
            status = (
                SlotStatus.OVERDUE if today > latest else SlotStatus.DUE if today >= earliest else SlotStatus.UPCOMING
            )
            # Projection assumes the next infusion is given as soon as it may be (today, if overdue or due).
            planned = max(earliest, today)
        else:
            status = SlotStatus.UPCOMING
            planned = earliest
        due.append(DueInfusion(given_count + offset + 1, phase.name, number_in_phase, earliest, latest, status))
    return due


def _slot_values(slot: DueInfusion, days: int) -> dict[str, str]:
    return {
        "number": str(slot.number),
        "phase": slot.phase,
        "number_in_phase": str(slot.number_in_phase),
        "earliest": slot.earliest.isoformat(),
        "latest": slot.latest.isoformat(),
        "given_on": "not given" if slot.given_on is None else slot.given_on.isoformat(),
        "days": str(days),
    }


def _slot_finding(basis: RuleBasis, slot: DueInfusion, days: int) -> Finding:
    return basis.make_finding(_slot_values(slot, days), {"slot": slot.to_json()})


def _beyond_plan(plan: CoursePlan, given_count: int, first_extra: date) -> Finding:
    planned = plan.planned_infusions
    values = {"planned": str(planned), "given": str(given_count), "given_on": first_extra.isoformat()}
    return plan.checks.beyond_plan.make_finding(values, {"planned": planned, "given": given_count})


def _complete(plan: CoursePlan, last_on: date | None) -> Finding:
    planned = plan.planned_infusions
    values = {"planned": str(planned), "last_on": "never" if last_on is None else last_on.isoformat()}
    return plan.checks.complete.make_finding(values, {"planned": planned})


def _next_due_findings(plan: CoursePlan, next_due: DueInfusion, today: date) -> list[Finding]:
    findings: list[Finding] = []
    if next_due.status is SlotStatus.OVERDUE:
        findings.append(_slot_finding(plan.checks.overdue, next_due, (today - next_due.latest).days))
    phase = next(phase for phase in plan.phases if phase.name == next_due.phase)
    if next_due.number_in_phase == 1 and phase.on_start is not None:
        values = {
            "phase": phase.name,
            "number": str(next_due.number),
            "earliest": next_due.earliest.isoformat(),
            "latest": next_due.latest.isoformat(),
        }
        findings.append(phase.on_start.make_finding(values, {"slot": next_due.to_json()}))
    return findings


def _booster_findings(
    plan: CoursePlan, given: Sequence[DueInfusion], latest_scores: Sequence[ScorePoint]
) -> list[Finding]:
    """A booster suggestion when the latest score after the last infusion crosses the plan's threshold."""
    booster = plan.booster
    checked = [
        ScorePoint(at=check_utc(point.at, f"latest_scores[{index}].at"), total=_check_total(point, index))
        for index, point in enumerate(latest_scores)
    ]
    if booster is None or not checked or len(given) < plan.infusions_through(booster.after_phase):
        return []
    latest = max(checked, key=lambda point: point.at)
    last_given = given[-1].given_on
    if (
        last_given is None
        or latest.at.date() <= last_given
        or not booster.comparison.holds(latest.total, booster.limit)
    ):
        return []
    values = {
        "instrument": booster.instrument,
        "total": str(latest.total),
        "at": format_utc(latest.at),
        "comparison": booster.comparison.wording,
        "limit": format_number(booster.limit),
        "phase": booster.after_phase,
    }
    inputs: dict[str, JsonValue] = {
        "instrument": booster.instrument,
        "score": latest.to_json(),
        "last_infusion_on": last_given.isoformat(),
    }
    return [booster.basis.make_finding(values, inputs)]


def _check_total(point: ScorePoint, index: int) -> int:
    if isinstance(point.total, bool) or not isinstance(point.total, int) or point.total < 0:
        raise InputError(f"latest_scores[{index}].total", "a whole number, 0 or more", point.total)
    return point.total


def _questionnaires(
    plan: CoursePlan, given: Sequence[DueInfusion], next_due: DueInfusion | None, today: date
) -> Iterator[QuestionnaireDue]:
    """The questionnaires due today or later: before the next infusion, after the last one, and weekly between."""
    last = given[-1] if given else None
    next_on = None if next_due is None else max(next_due.earliest, today)
    for reminder in plan.reminders:
        due_on, number = _reminder_date(reminder, last, next_due, next_on, today)
        if due_on is None:
            continue
        for instrument in reminder.instruments:
            values = {"instrument": instrument, "due_on": due_on.isoformat(), "number": str(number or "-")}
            yield QuestionnaireDue(
                instrument=instrument,
                due_on=due_on,
                kind=reminder.kind,
                infusion_number=number,
                rule_id=reminder.basis.rule_id,
                message=reminder.basis.message.format_map(values),
                source=reminder.basis.source,
            )


def _reminder_date(
    reminder: Reminder, last: DueInfusion | None, next_due: DueInfusion | None, next_on: date | None, today: date
) -> tuple[date | None, int | None]:
    if reminder.kind is ReminderKind.BEFORE_INFUSION:
        return (None, None) if next_due is None else (next_on, next_due.number)
    if last is None or last.given_on is None:
        return None, None
    if reminder.kind is ReminderKind.AFTER_INFUSION:
        due_on = last.given_on + timedelta(days=reminder.offset_days)
        return (due_on, last.number) if due_on >= today else (None, None)
    # Weekly: the first interval after the last infusion that is today or later, unless an infusion comes first.
    elapsed = max((today - last.given_on).days, 1)
    periods = -(-elapsed // reminder.interval_days)
    due_on = last.given_on + timedelta(days=periods * reminder.interval_days)
    if next_on is not None and next_on <= due_on:
        return None, None
    return due_on, None
