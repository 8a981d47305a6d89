"""Patient pages: search, register, chart, correct demographics, chart and correct weight and height."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ketaflow.domain.access import Permission, can
from ketaflow.domain.patients import MeasurementKind, Sex
from ketaflow.services import demo_history, orders, patients, screening, sessions
from ketaflow.services.auth import SignedIn
from ketaflow.services.information import list_information_sheets
from ketaflow.web.access import actor_of, allow, services_of
from ketaflow.web.errors import remember_form
from ketaflow.web.rendering import render
from ketaflow.web.routes.courses import course_context
from ketaflow.web.routes.questionnaires import questionnaires_context

router = APIRouter(include_in_schema=False)
Reader = Annotated[SignedIn, Depends(allow(Permission.PATIENT_READ))]
Registrar = Annotated[SignedIn, Depends(allow(Permission.PATIENT_REGISTER))]
Amender = Annotated[SignedIn, Depends(allow(Permission.PATIENT_AMEND))]
Charter = Annotated[SignedIn, Depends(allow(Permission.MEASUREMENT_RECORD))]

DETAIL_FIELDS = (
    "family_name",
    "given_names",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
)
SEX_OPTIONS = [(s.value, s.value.capitalize()) for s in Sex]


async def _details_from_form(request: Request) -> dict[str, object]:
    form = await request.form()
    return {name: str(form.get(name, "")) for name in DETAIL_FIELDS}


@router.get("/patients")
async def patient_list(request: Request, signed_in: Reader, q: str = "", date_of_birth: str = "") -> HTMLResponse:
    svc, actor = services_of(request), actor_of(request, signed_in)
    found = patients.search_patients(svc, actor, q, date_of_birth)
    can_register = can(signed_in.user.role, Permission.PATIENT_REGISTER)
    return render(
        request,
        "patients.html",
        signed_in,
        patients=found,
        synthetic=demo_history.list_synthetic_patient_ids(svc, actor),
        q=q,
        date_of_birth=date_of_birth,
        can_register=can_register,
    )


@router.get("/patients/_results")
async def patient_results(request: Request, signed_in: Reader, q: str = "", date_of_birth: str = "") -> HTMLResponse:
    """The results table alone, swapped in by htmx as the user types."""
    svc, actor = services_of(request), actor_of(request, signed_in)
    found = patients.search_patients(svc, actor, q, date_of_birth)
    synthetic = demo_history.list_synthetic_patient_ids(svc, actor)
    return render(request, "_patient_results.html", signed_in, patients=found, synthetic=synthetic, q=q)


@router.get("/patients/new")
async def new_patient_page(request: Request, signed_in: Registrar) -> HTMLResponse:
    return render(
        request,
        "patient_form.html",
        signed_in,
        mode="register",
        values={},
        errors={},
        sex_options=SEX_OPTIONS,
    )


@router.post("/patients")
async def register_patient(request: Request, signed_in: Registrar) -> RedirectResponse:
    form = await request.form()
    values = {**await _details_from_form(request), "mrn": str(form.get("mrn", ""))}
    remember_form(request, "patient_form.html", mode="register", values=values, sex_options=SEX_OPTIONS)
    details = {k: v for k, v in values.items() if k != "mrn"}
    version = patients.register_patient(services_of(request), actor_of(request, signed_in), values["mrn"], details)
    return RedirectResponse(f"/patients/{version.patient_id}?notice=registered", status_code=303)


def chart_context(request: Request, signed_in: SignedIn, patient_id: UUID) -> dict[str, Any]:
    """What the patient page shows; screening and orders only for roles that may read them."""
    svc, actor, role = services_of(request), actor_of(request, signed_in), signed_in.user.role
    context: dict[str, Any] = {
        "chart": patients.get_patient_chart(svc, actor, patient_id),
        "can_amend": can(role, Permission.PATIENT_AMEND),
        "can_measure": can(role, Permission.MEASUREMENT_RECORD),
        "kinds": [k.value for k in MeasurementKind],
        "can_screen": can(role, Permission.SCREENING_READ),
        "synthetic": demo_history.is_synthetic(svc, actor, patient_id),
    }
    if context["can_screen"]:
        context.update(
            screening=screening.get_screening_overview(svc, actor, patient_id),
            can_record_screening=can(role, Permission.SCREENING_RECORD),
            can_review=can(role, Permission.SCREENING_REVIEW),
            can_consent=can(role, Permission.CONSENT_RECORD),
            sheets=list_information_sheets(),
        )
    if can(role, Permission.ORDER_READ):
        context.update(orders=orders.list_orders(svc, actor, patient_id), can_order=can(role, Permission.ORDER_CREATE))
    context["can_check_in"] = can(role, Permission.SESSION_CHECK_IN)
    if can(role, Permission.SESSION_READ):
        context["infusion_sessions"] = list(reversed(sessions.list_patient_sessions(svc, actor, patient_id)))
    context.update(questionnaires_context(svc, actor, role, patient_id))
    context.update(course_context(svc, actor, role, patient_id))
    return context


@router.get("/patients/{patient_id}")
async def patient_chart(request: Request, signed_in: Reader, patient_id: UUID) -> HTMLResponse:
    return render(request, "patient.html", signed_in, errors={}, **chart_context(request, signed_in, patient_id))


@router.get("/patients/{patient_id}/amend")
async def amend_page(request: Request, signed_in: Amender, patient_id: UUID) -> HTMLResponse:
    chart = patients.get_patient_chart(services_of(request), actor_of(request, signed_in), patient_id)
    values = {**chart.current.details.to_json(), "base_version": str(chart.current.version)}
    return render(
        request,
        "patient_form.html",
        signed_in,
        mode="amend",
        patient=chart.current,
        values=values,
        errors={},
        sex_options=SEX_OPTIONS,
    )


@router.post("/patients/{patient_id}/amend")
async def amend_patient(
    request: Request,
    signed_in: Amender,
    patient_id: UUID,
    base_version: Annotated[int, Form(ge=1)],
    reason: Annotated[str, Form(max_length=300)] = "",
) -> RedirectResponse:
    svc, actor = services_of(request), actor_of(request, signed_in)
    values = {**await _details_from_form(request), "reason": reason, "base_version": str(base_version)}
    remember_form(
        request,
        "patient_form.html",
        mode="amend",
        values=values,
        sex_options=SEX_OPTIONS,
        lazy=lambda: {"patient": patients.get_patient_chart(svc, actor, patient_id).current},
    )
    details = {k: v for k, v in values.items() if k in DETAIL_FIELDS}
    patients.amend_patient(svc, actor, patient_id, base_version=base_version, raw=details, reason=reason)
    return RedirectResponse(f"/patients/{patient_id}?notice=amended", status_code=303)


@router.post("/patients/{patient_id}/measurements")
async def record_measurement(
    request: Request,
    signed_in: Charter,
    patient_id: UUID,
    kind: Annotated[str, Form(max_length=16)],
    value: Annotated[str, Form(max_length=20)],
    measured_on: Annotated[str, Form(max_length=20)],
    amends_id: Annotated[UUID | None, Form()] = None,
    reason: Annotated[str, Form(max_length=300)] = "",
) -> RedirectResponse:
    svc, actor = services_of(request), actor_of(request, signed_in)
    remember_form(
        request,
        "patient.html",
        lazy=lambda: chart_context(request, signed_in, patient_id),
        measurement_values={
            "kind": kind,
            "value": value,
            "measured_on": measured_on,
            "amends_id": amends_id,
            "reason": reason,
        },
    )
    patients.record_measurement(
        svc,
        actor,
        patient_id,
        kind=kind,
        value=value,
        measured_on=measured_on,
        amends_id=amends_id,
        reason=reason,
    )
    notice = "measurement_corrected" if amends_id else "measured"
    return RedirectResponse(f"/patients/{patient_id}?notice={notice}", status_code=303)
