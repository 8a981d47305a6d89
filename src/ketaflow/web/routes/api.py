"""/api/v1: the same use cases as the pages, as JSON, for clinic integrations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from ketaflow.domain.access import Permission
from ketaflow.services import audit, patients
from ketaflow.services.auth import SignedIn
from ketaflow.services.ports import AuditQuery
from ketaflow.web.access import actor_of, allow, services_of
from ketaflow.web.routes.audit import audit_query
from ketaflow.web.schemas import (
    AuditEventOut,
    AuditPageOut,
    MeasurementIn,
    MeasurementOut,
    PatientAmendmentIn,
    PatientChartOut,
    PatientOut,
    PatientRegistrationIn,
    ProblemOut,
    UserOut,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemOut, "description": text}
    for code, text in (
        (401, "not signed in"),
        (403, "role not allowed or CSRF token missing"),
        (404, "not found"),
        (409, "conflict: duplicate or stale version"),
        (422, "invalid input; each error names its field"),
    )
}
router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)
Anyone = Annotated[SignedIn, Depends(allow(Permission.ACCOUNT_SELF))]
Reader = Annotated[SignedIn, Depends(allow(Permission.PATIENT_READ))]
Registrar = Annotated[SignedIn, Depends(allow(Permission.PATIENT_REGISTER))]
Amender = Annotated[SignedIn, Depends(allow(Permission.PATIENT_AMEND))]
Charter = Annotated[SignedIn, Depends(allow(Permission.MEASUREMENT_RECORD))]
Auditor = Annotated[SignedIn, Depends(allow(Permission.AUDIT_READ))]


def _details(body: PatientRegistrationIn | PatientAmendmentIn) -> dict[str, object]:
    return body.model_dump(exclude={"mrn", "base_version", "reason"})


@router.get("/me")
async def me(signed_in: Anyone) -> UserOut:
    return UserOut.of(signed_in.user)


@router.get("/patients")
async def search(
    request: Request,
    signed_in: Reader,
    q: Annotated[str, Query(max_length=100)] = "",
    date_of_birth: date | None = None,
) -> list[PatientOut]:
    dob = date_of_birth.isoformat() if date_of_birth else ""
    found = patients.search_patients(services_of(request), actor_of(request, signed_in), q, dob)
    return [PatientOut.of(v) for v in found]


@router.post("/patients", status_code=201)
async def register(request: Request, signed_in: Registrar, body: PatientRegistrationIn) -> PatientOut:
    version = patients.register_patient(services_of(request), actor_of(request, signed_in), body.mrn, _details(body))
    return PatientOut.of(version)


@router.get("/patients/{patient_id}")
async def chart(request: Request, signed_in: Reader, patient_id: UUID) -> PatientChartOut:
    found = patients.get_patient_chart(services_of(request), actor_of(request, signed_in), patient_id)
    return PatientChartOut(
        patient=PatientOut.of(found.current),
        versions=len(found.history),
        measurements=[MeasurementOut.of(m) for m in found.measurements],
    )


@router.get("/patients/{patient_id}/history")
async def history(request: Request, signed_in: Reader, patient_id: UUID) -> list[PatientOut]:
    found = patients.get_patient_chart(services_of(request), actor_of(request, signed_in), patient_id)
    return [PatientOut.of(v) for v in found.history]


@router.post("/patients/{patient_id}/amendments", status_code=201)
async def amend(request: Request, signed_in: Amender, patient_id: UUID, body: PatientAmendmentIn) -> PatientOut:
    version = patients.amend_patient(
        services_of(request),
        actor_of(request, signed_in),
        patient_id,
        base_version=body.base_version,
        raw=_details(body),
        reason=body.reason,
    )
    return PatientOut.of(version)


@router.post("/patients/{patient_id}/measurements", status_code=201)
async def measure(request: Request, signed_in: Charter, patient_id: UUID, body: MeasurementIn) -> MeasurementOut:
    measurement = patients.record_measurement(
        services_of(request),
        actor_of(request, signed_in),
        patient_id,
        kind=body.kind,
        value=body.value,
        measured_on=body.measured_on,
        amends_id=body.amends_id,
        reason=body.reason,
    )
    return MeasurementOut.of(measurement)


@router.get("/audit/events")
async def audit_events(
    request: Request, signed_in: Auditor, query: Annotated[AuditQuery, Depends(audit_query)]
) -> AuditPageOut:
    page = audit.list_audit_events(services_of(request), actor_of(request, signed_in), query)
    return AuditPageOut(total=page.total, events=[AuditEventOut.of(e) for e in page.events])
