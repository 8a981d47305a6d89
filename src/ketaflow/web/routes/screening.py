"""Screening pages: the intake form, a physician's decision on a hold, consent, information sheets, the gate."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ketaflow.domain.access import Permission, can
from ketaflow.domain.errors import NotFound
from ketaflow.domain.patients import MeasurementKind, age_years
from ketaflow.domain.screening.gate import CONFIRMED_BY_STAFF
from ketaflow.domain.screening.records import Purpose
from ketaflow.domain.screening.vocabulary import ClinicalStatus, Indication, KetamineRoute, Severity, TrialOutcome
from ketaflow.services import information, patients, screening
from ketaflow.services.app import AppServices
from ketaflow.services.auth import SignedIn
from ketaflow.services.context import Actor
from ketaflow.services.information import InformationSheet, list_information_sheets
from ketaflow.web.access import actor_of, allow, services_of
from ketaflow.web.errors import remember_form
from ketaflow.web.intake_form import read_intake_form, row_counts, values_from_intake
from ketaflow.web.rendering import render
from ketaflow.web.routes.patients import chart_context

router = APIRouter(include_in_schema=False)
Screener = Annotated[SignedIn, Depends(allow(Permission.SCREENING_RECORD))]
Reviewer = Annotated[SignedIn, Depends(allow(Permission.SCREENING_REVIEW))]
ConsentTaker = Annotated[SignedIn, Depends(allow(Permission.CONSENT_RECORD))]
Anyone = Annotated[SignedIn, Depends(allow(Permission.ACCOUNT_SELF))]
Sender = Annotated[SignedIn, Depends(allow(Permission.INFORMATION_SEND))]

ICD_RESULTS = 15
GATE_ITEMS = ("fasting", "escort", "medication_holds")


def _options(kind: Any) -> list[tuple[str, str]]:
    return [(m.value, m.value.replace("_", " ").capitalize()) for m in kind]


INDICATION_LABELS = {
    Indication.TREATMENT_RESISTANT_DEPRESSION: "Treatment-resistant depression",
    Indication.MAJOR_DEPRESSIVE_DISORDER: "Major depressive disorder",
    Indication.BIPOLAR_DEPRESSION: "Bipolar depression",
    Indication.POSTPARTUM_DEPRESSION: "Postpartum depression",
    Indication.PTSD: "PTSD",
    Indication.OCD: "OCD",
    Indication.ANXIETY_DISORDER: "Anxiety disorder",
    Indication.CHRONIC_PAIN: "Chronic pain",
    Indication.CRPS: "Complex regional pain syndrome (CRPS)",
    Indication.FIBROMYALGIA: "Fibromyalgia",
}
# Choices the intake form offers, from the domain's own vocabularies.
CHOICES = {
    "indication": [(i.value, INDICATION_LABELS[i]) for i in Indication],
    "ketamine_route": _options(KetamineRoute),
    "clinical_status": _options(ClinicalStatus),
    "severity": _options(Severity),
    "outcome": _options(TrialOutcome),
    "yes_no_unknown": [("yes", "Yes"), ("no", "No"), ("unknown", "Not known")],
    "yes_no": [("yes", "Yes"), ("no", "No")],
    "mania_instrument": [("ymrs", "YMRS total"), ("clinical_interview", "Clinical interview")],
}


def _sheet_or_404(sheet_id: str) -> InformationSheet:
    for sheet in list_information_sheets():
        if sheet.id == sheet_id:
            return sheet
    raise NotFound("information sheet", sheet_id)


def _intake_context(svc: AppServices, actor: Actor, patient_id: UUID, purpose: str) -> dict[str, Any]:
    """The chart (for the header and the prefill), the purpose and the choices of the intake form."""
    chart = patients.get_patient_chart(svc, actor, patient_id)
    return {"chart": chart, "purpose": purpose, "choices": CHOICES}


def _prefill(svc: AppServices, actor: Actor, patient_id: UUID, context: dict[str, Any]) -> dict[str, str]:
    """Age, sex, latest weight and height from the chart; history from the patient's last screening."""
    chart, details = context["chart"], context["chart"].current.details
    values = {
        "patient.age_years": str(age_years(details.date_of_birth, patients.clinic_today(svc))),
        "patient.sex": details.sex.value,
    }
    latest = chart.latest_measurements
    for kind, name in ((MeasurementKind.WEIGHT, "weight_kg"), (MeasurementKind.HEIGHT, "height_cm")):
        if kind in latest:
            values[f"patient.{name}"] = f"{latest[kind].value:g}"
    earlier = screening.get_screening_overview(svc, actor, patient_id).screenings
    return {**(values_from_intake(earlier[0].intake) if earlier else {}), **values}


@router.get("/patients/{patient_id}/screenings/new")
async def intake_page(
    request: Request, signed_in: Screener, patient_id: UUID, purpose: Purpose = Purpose.INTAKE
) -> HTMLResponse:
    svc, actor = services_of(request), actor_of(request, signed_in)
    context = _intake_context(svc, actor, patient_id, purpose.value)
    values = _prefill(svc, actor, patient_id, context)
    return render(
        request, "screening_form.html", signed_in, values=values, rows=row_counts(values), errors={}, **context
    )


@router.post("/patients/{patient_id}/screenings/new")
async def record_intake(
    request: Request, signed_in: Screener, patient_id: UUID, purpose: Purpose = Purpose.INTAKE
) -> RedirectResponse:
    svc, actor = services_of(request), actor_of(request, signed_in)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    intake = read_intake_form(form, svc.clinic_timezone)
    remember_form(
        request,
        "screening_form.html",
        lazy=lambda: _intake_context(svc, actor, patient_id, purpose.value),
        values=intake.values,
        rows=row_counts(intake.values),
    )
    screening.record_screening(svc, actor, patient_id, intake.document, purpose=purpose.value, codes=svc.codes)
    if purpose is Purpose.PRE_INFUSION:
        return RedirectResponse(f"/patients/{patient_id}/gate?notice=screened#today-screening", status_code=303)
    return RedirectResponse(f"/patients/{patient_id}?notice=screened#screening", status_code=303)


@router.get("/icd10cm/search")
async def icd10cm_search(
    request: Request,
    signed_in: Screener,
    q: Annotated[str, Query(max_length=100)] = "",
    row: Annotated[int, Query(ge=0, le=19)] = 0,
) -> HTMLResponse:
    """Matching ICD-10-CM codes as a short list that htmx swaps in under a condition row's search box."""
    found = services_of(request).codes.search(q, ICD_RESULTS) if len(q.strip()) >= 2 else []
    return render(request, "_icd10cm_results.html", signed_in, matches=found, q=q.strip(), row=row)


@router.post("/screenings/{screening_id}/review")
async def review_hold(
    request: Request,
    signed_in: Reviewer,
    screening_id: UUID,
    patient_id: Annotated[UUID, Form()],
    outcome: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    remember_form(
        request,
        "patient.html",
        lazy=lambda: chart_context(request, signed_in, patient_id),
        review_values={"outcome": outcome, "reason": reason},
    )
    screening.review_screening(
        services_of(request), actor_of(request, signed_in), screening_id, outcome=outcome, reason=reason
    )
    return RedirectResponse(f"/patients/{patient_id}?notice=reviewed#screening", status_code=303)


def _consent_context(svc: AppServices, actor: Actor, patient_id: UUID) -> dict[str, Any]:
    return {"chart": patients.get_patient_chart(svc, actor, patient_id), "sheets": list_information_sheets()}


@router.get("/patients/{patient_id}/consents/new")
async def consent_page(request: Request, signed_in: ConsentTaker, patient_id: UUID, sheet_id: str = "") -> HTMLResponse:
    svc, actor = services_of(request), actor_of(request, signed_in)
    values = {"sheet_id": sheet_id, "signed_on": patients.clinic_today(svc).isoformat()}
    return render(
        request, "consent_form.html", signed_in, values=values, errors={}, **_consent_context(svc, actor, patient_id)
    )


@router.post("/patients/{patient_id}/consents/new")
async def record_consent(
    request: Request,
    signed_in: ConsentTaker,
    patient_id: UUID,
    sheet_id: Annotated[str, Form(max_length=100)] = "",
    signed_by_name: Annotated[str, Form(max_length=300)] = "",
    signed_on: Annotated[str, Form(max_length=20)] = "",
) -> RedirectResponse:
    svc, actor = services_of(request), actor_of(request, signed_in)
    values = {"sheet_id": sheet_id, "signed_by_name": signed_by_name, "signed_on": signed_on}
    remember_form(request, "consent_form.html", lazy=lambda: _consent_context(svc, actor, patient_id), values=values)
    screening.record_consent(
        svc, actor, patient_id, sheet_id=sheet_id, signed_by_name=signed_by_name, signed_on=signed_on
    )
    return RedirectResponse(f"/patients/{patient_id}?notice=consent_recorded#consents", status_code=303)


@router.post("/patients/{patient_id}/consents/{consent_id}/withdraw")
async def withdraw_consent(
    request: Request,
    signed_in: ConsentTaker,
    patient_id: UUID,
    consent_id: UUID,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    remember_form(
        request,
        "patient.html",
        lazy=lambda: chart_context(request, signed_in, patient_id),
        withdraw_values={"consent_id": str(consent_id), "reason": reason},
    )
    screening.withdraw_consent(services_of(request), actor_of(request, signed_in), patient_id, consent_id, reason)
    return RedirectResponse(f"/patients/{patient_id}?notice=consent_withdrawn#consents", status_code=303)


@router.post("/patients/{patient_id}/information/{sheet_id}/send")
async def send_information_sheet(
    request: Request, signed_in: Sender, patient_id: UUID, sheet_id: str
) -> RedirectResponse:
    """E-mail the filled sheet to the address on the patient's record (recorded as a disclosure)."""
    remember_form(request, "patient.html", lazy=lambda: chart_context(request, signed_in, patient_id))
    information.send_information_sheet(services_of(request), actor_of(request, signed_in), patient_id, sheet_id)
    return RedirectResponse(f"/patients/{patient_id}?notice=sheet_sent#consents", status_code=303)


@router.get("/information/{sheet_id}")
async def information_sheet(request: Request, signed_in: Anyone, sheet_id: str) -> HTMLResponse:
    settings = request.app.state.settings
    sheet = _sheet_or_404(sheet_id).filled(clinic_name=settings.clinic_name, clinic_phone=settings.clinic_phone)
    return render(request, "information_sheet.html", signed_in, sheet=sheet)


def _gate_context(request: Request, signed_in: SignedIn, patient_id: UUID) -> dict[str, Any]:
    """The chart, today's pre-infusion screening, consent, the last gate check and the checklist questions."""
    svc, actor = services_of(request), actor_of(request, signed_in)
    overview = screening.get_screening_overview(svc, actor, patient_id)
    zone, today = ZoneInfo(svc.clinic_timezone), patients.clinic_today(svc)
    todays = [
        s
        for s in overview.screenings
        if s.purpose is Purpose.PRE_INFUSION and s.screened_at_utc.astimezone(zone).date() == today
    ]
    items = screening.load_gate_rules().items
    return {
        "chart": patients.get_patient_chart(svc, actor, patient_id),
        "overview": overview,
        "today_screening": todays[0] if todays else None,
        "questions": {item: items[item].question for item in GATE_ITEMS},
        "can_review": can(signed_in.user.role, Permission.SCREENING_REVIEW),
    }


@router.get("/patients/{patient_id}/gate")
async def gate_page(request: Request, signed_in: Screener, patient_id: UUID) -> HTMLResponse:
    context = _gate_context(request, signed_in, patient_id)
    return render(request, "gate.html", signed_in, values={}, errors={}, **context)


@router.post("/patients/{patient_id}/gate")
async def run_gate(
    request: Request,
    signed_in: Screener,
    patient_id: UUID,
    confirmed: Annotated[list[str] | None, Form(max_length=len(CONFIRMED_BY_STAFF) + 1)] = None,
    escort_name: Annotated[str, Form(max_length=300)] = "",
) -> RedirectResponse:
    values = {"confirmed": confirmed or [], "escort_name": escort_name}
    remember_form(request, "gate.html", lazy=lambda: _gate_context(request, signed_in, patient_id), values=values)
    screening.run_pre_infusion_gate(
        services_of(request),
        actor_of(request, signed_in),
        patient_id,
        confirmed=confirmed or [],
        escort_name=escort_name,
    )
    return RedirectResponse(f"/patients/{patient_id}/gate?notice=gate_checked#gate-result", status_code=303)
