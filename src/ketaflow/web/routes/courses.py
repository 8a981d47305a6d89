"""The patient page's treatment-course section: plan, schedule, booster, safety signals and their review.

Prescribers start and end a course, decide on a booster and review held safety signals; clinical staff record
the safety answers (bladder questions, a new psychiatric event, liver tests, a cognitive screen). Each form
posts here and returns to the patient page; an error re-renders the page with the form's values.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ketaflow.domain.access import Permission, Role, can
from ketaflow.domain.course import CourseSchedule, DueInfusion, SlotStatus
from ketaflow.services import courses
from ketaflow.services.app import AppServices
from ketaflow.services.auth import SignedIn
from ketaflow.services.context import Actor
from ketaflow.web.access import actor_of, allow, services_of
from ketaflow.web.errors import remember_form
from ketaflow.web.rendering import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[SignedIn, Depends(allow(Permission.COURSE_READ))]
Manager = Annotated[SignedIn, Depends(allow(Permission.COURSE_MANAGE))]
Recorder = Annotated[SignedIn, Depends(allow(Permission.QUESTIONNAIRE_RECORD))]

# The badge each slot status wears (colours come from the effect badges: done, attention, held, neutral).
STATUS_BADGES = {
    SlotStatus.GIVEN: "proceed",
    SlotStatus.GIVEN_EARLY: "warn",
    SlotStatus.GIVEN_LATE: "warn",
    SlotStatus.OVERDUE: "hold",
    SlotStatus.DUE: "info",
    SlotStatus.UPCOMING: "state",
}
STATUS_COLOURS = {"proceed": "#2f7d32", "warn": "#b26a00", "hold": "#b3261e", "info": "#1f5fa8", "state": "#6b7280"}
_TIMELINE_WIDTH = 1000


def _x(day: date, first: date, span_days: int) -> float:
    return round((day - first).days / span_days * _TIMELINE_WIDTH, 1)


def _width(slot: DueInfusion, first: date, span_days: int) -> float:
    """At least a sliver, so a one-day window still shows."""
    return max(round(_x(slot.latest, first, span_days) - _x(slot.earliest, first, span_days), 1), 4.0)


def course_timeline(schedule: CourseSchedule, start: date) -> dict[str, Any]:
    """The small chart: each planned infusion's window as a bar, each given one as a dot, and today as a line."""
    slots: list[DueInfusion] = [*schedule.given, *schedule.due]
    last = max([schedule.today, *(s.latest for s in slots), *(s.given_on for s in slots if s.given_on)])
    span_days = max((last - start).days, 1)
    rows = []
    for slot in slots:
        badge = STATUS_BADGES[slot.status]
        rows.append(
            {
                "slot": slot,
                "badge": badge,
                "colour": STATUS_COLOURS[badge],
                "x": _x(slot.earliest, start, span_days),
                "width": _width(slot, start, span_days),
                "dot": None if slot.given_on is None else _x(slot.given_on, start, span_days),
            }
        )
    return {"rows": rows, "today": _x(schedule.today, start, span_days), "first": start, "last": last}


def course_context(svc: AppServices, actor: Actor, role: Role, patient_id: UUID) -> dict[str, Any]:
    """What the patient page's Treatment course section shows to this role (chart_context adds it)."""
    if not can(role, Permission.COURSE_READ):
        return {"course": None}
    overview = courses.get_course_overview(svc, actor, patient_id)
    safety = overview.safety
    return {
        "course": {
            "patient_id": patient_id,
            "overview": overview,
            "timeline": None
            if overview.schedule is None or overview.course is None
            else course_timeline(overview.schedule, overview.course.start_date),
            "can_manage": can(role, Permission.COURSE_MANAGE),
            "can_answer": can(role, Permission.QUESTIONNAIRE_RECORD),
            "safety": safety,
            "bladder_questions": () if safety is None else safety.rules.bladder_questions,
            "psychiatric_kinds": () if safety is None else safety.rules.psychiatric_kinds,
            "answer_types": courses.SAFETY_ANSWER_TYPES,
            "booster_decisions": courses.BOOSTER_DECISIONS,
        }
    }


def _return_to_page(request: Request, signed_in: SignedIn, patient_id: UUID, **values: Any) -> None:
    """On an error, show the patient page again with what was typed."""
    # Imported here: routes.patients imports this module for course_context.
    from ketaflow.web.routes.patients import chart_context

    remember_form(request, "patient.html", lazy=lambda: chart_context(request, signed_in, patient_id), **values)


async def _form(request: Request) -> dict[str, str]:
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}


def _back(patient_id: UUID) -> RedirectResponse:
    return RedirectResponse(f"/patients/{patient_id}#course", status_code=303)


@router.get("/patients/{patient_id}/course")
async def course_section(request: Request, signed_in: Reader, patient_id: UUID) -> HTMLResponse:
    """The section alone (htmx refresh, tests)."""
    context = course_context(services_of(request), actor_of(request, signed_in), signed_in.user.role, patient_id)
    return render(request, "_course_section.html", signed_in, course_values={}, errors={}, **context)


@router.post("/patients/{patient_id}/course")
async def start_course(request: Request, signed_in: Manager, patient_id: UUID) -> RedirectResponse:
    form = await _form(request)
    _return_to_page(request, signed_in, patient_id, course_values=form)
    courses.start_course(
        services_of(request),
        actor_of(request, signed_in),
        patient_id,
        form.get("plan_id"),
        form.get("start_date"),
        form.get("reason"),
    )
    return _back(patient_id)


@router.post("/patients/{patient_id}/course/end")
async def end_course(request: Request, signed_in: Manager, patient_id: UUID) -> RedirectResponse:
    form = await _form(request)
    _return_to_page(request, signed_in, patient_id, course_values=form)
    courses.end_course(services_of(request), actor_of(request, signed_in), patient_id, form.get("reason"))
    return _back(patient_id)


@router.post("/patients/{patient_id}/course/booster-decision")
async def booster_decision(request: Request, signed_in: Manager, patient_id: UUID) -> RedirectResponse:
    form = await _form(request)
    _return_to_page(request, signed_in, patient_id, course_values=form)
    svc, actor = services_of(request), actor_of(request, signed_in)
    courses.record_booster_decision(svc, actor, patient_id, form.get("decision"), form.get("note"))
    return _back(patient_id)


@router.post("/patients/{patient_id}/course/safety-answers")
async def safety_answer(request: Request, signed_in: Recorder, patient_id: UUID) -> RedirectResponse:
    form = await _form(request)
    _return_to_page(request, signed_in, patient_id, course_values=form)
    answer: dict[str, object] = {key: value for key, value in form.items() if not key.startswith("answers.")}
    if answer.get("type") == courses.BLADDER:
        answer["answers"] = {k.removeprefix("answers."): v for k, v in form.items() if k.startswith("answers.")}
    courses.record_safety_answer(services_of(request), actor_of(request, signed_in), patient_id, answer)
    return _back(patient_id)


@router.post("/patients/{patient_id}/course/safety-reviews")
async def safety_review(request: Request, signed_in: Manager, patient_id: UUID) -> RedirectResponse:
    form = await _form(request)
    _return_to_page(request, signed_in, patient_id, course_values=form)
    svc, actor = services_of(request), actor_of(request, signed_in)
    courses.record_safety_review(svc, actor, patient_id, form.get("signal"), form.get("note"))
    return _back(patient_id)
