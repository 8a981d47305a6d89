"""/api/v1: the same use cases as the pages, as JSON, for clinic integrations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from ketaflow.domain.access import Permission
from ketaflow.domain.errors import InputError
from ketaflow.services import audit, orders, patients, pk, screening
from ketaflow.services.auth import SignedIn
from ketaflow.services.information import list_information_sheets
from ketaflow.services.ports import AuditQuery
from ketaflow.web.access import actor_of, allow, services_of
from ketaflow.web.routes.audit import audit_query
from ketaflow.web.schemas import (
    AuditEventOut,
    AuditPageOut,
    ConsentIn,
    ConsentOut,
    GateIn,
    GateOut,
    InformationSheetOut,
    MeasurementIn,
    MeasurementOut,
    OrderIn,
    OrderOut,
    OrderSignatureIn,
    PatientAmendmentIn,
    PatientChartOut,
    PatientOut,
    PatientRegistrationIn,
    ProblemOut,
    ProtocolOut,
    ReviewIn,
    ReviewOut,
    ScreeningIn,
    ScreeningOut,
    ScreeningOverviewOut,
    UserOut,
    WithdrawalIn,
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


ScreeningReader = Annotated[SignedIn, Depends(allow(Permission.SCREENING_READ))]
Screener = Annotated[SignedIn, Depends(allow(Permission.SCREENING_RECORD))]
Reviewer = Annotated[SignedIn, Depends(allow(Permission.SCREENING_REVIEW))]
ConsentTaker = Annotated[SignedIn, Depends(allow(Permission.CONSENT_RECORD))]


@router.post("/patients/{patient_id}/screenings", status_code=201)
async def screen_patient(request: Request, signed_in: Screener, patient_id: UUID, body: ScreeningIn) -> ScreeningOut:
    """Screen an intake for this patient; the snapshot, result and rule-set version are kept."""
    svc = services_of(request)
    record = screening.record_screening(
        svc, actor_of(request, signed_in), patient_id, body.intake, purpose=body.purpose, codes=svc.codes
    )
    return ScreeningOut.of(record)


@router.get("/patients/{patient_id}/screenings")
async def screening_overview(request: Request, signed_in: ScreeningReader, patient_id: UUID) -> ScreeningOverviewOut:
    found = screening.get_screening_overview(services_of(request), actor_of(request, signed_in), patient_id)
    return ScreeningOverviewOut(
        screenings=[ScreeningOut.of(s) for s in found.screenings],
        reviews=[ReviewOut.of(r) for r in found.reviews.values()],
        consents=[ConsentOut.of(c) for c in found.consents],
        gate_checks=[GateOut.of(g) for g in found.gate_checks],
    )


@router.post("/screenings/{screening_id}/review", status_code=201)
async def review(request: Request, signed_in: Reviewer, screening_id: UUID, body: ReviewIn) -> ReviewOut:
    """A physician's documented decision on a held screening."""
    done = screening.review_screening(
        services_of(request), actor_of(request, signed_in), screening_id, outcome=body.outcome, reason=body.reason
    )
    return ReviewOut.of(done)


@router.post("/patients/{patient_id}/consents", status_code=201)
async def consent(request: Request, signed_in: ConsentTaker, patient_id: UUID, body: ConsentIn) -> ConsentOut:
    done = screening.record_consent(
        services_of(request),
        actor_of(request, signed_in),
        patient_id,
        sheet_id=body.sheet_id,
        signed_by_name=body.signed_by_name,
        signed_on=body.signed_on.isoformat(),
    )
    return ConsentOut.of(done)


@router.post("/patients/{patient_id}/consents/{consent_id}/withdrawal", status_code=204)
async def withdraw(
    request: Request, signed_in: ConsentTaker, patient_id: UUID, consent_id: UUID, body: WithdrawalIn
) -> None:
    screening.withdraw_consent(services_of(request), actor_of(request, signed_in), patient_id, consent_id, body.reason)


@router.post("/patients/{patient_id}/gate", status_code=201)
async def gate(request: Request, signed_in: Screener, patient_id: UUID, body: GateIn) -> GateOut:
    """Evaluate the pre-infusion gate now; an infusion may start only when `clear` is true."""
    check = screening.run_pre_infusion_gate(
        services_of(request),
        actor_of(request, signed_in),
        patient_id,
        confirmed=list(body.confirmed),
        escort_name=body.escort_name,
    )
    return GateOut.of(check)


@router.get("/information-sheets")
async def information_sheets(_: Anyone) -> list[InformationSheetOut]:
    return [
        InformationSheetOut(
            id=s.id, version=s.version, title=s.title, applies_to_indications=list(s.applies_to_indications)
        )
        for s in list_information_sheets()
    ]


ProtocolReader = Annotated[SignedIn, Depends(allow(Permission.PROTOCOL_READ))]
OrderReader = Annotated[SignedIn, Depends(allow(Permission.ORDER_READ))]
Prescriber = Annotated[SignedIn, Depends(allow(Permission.ORDER_CREATE))]
Signer = Annotated[SignedIn, Depends(allow(Permission.ORDER_SIGN))]


@router.get("/protocols")
async def protocols(request: Request, signed_in: ProtocolReader) -> list[ProtocolOut]:
    """The current version of each protocol (shipped, or revised by the clinic's medical director)."""
    found = orders.list_protocols(services_of(request), actor_of(request, signed_in))
    return [ProtocolOut(id=p.id, version=p.version, title=p.title, origin=p.origin) for p in found]


@router.post("/patients/{patient_id}/orders", status_code=201)
async def create_order(request: Request, signed_in: Prescriber, patient_id: UUID, body: OrderIn) -> OrderOut:
    """An unsigned dose order; refused outside hard limits or without a clear screening."""
    order = orders.create_order(
        services_of(request), actor_of(request, signed_in), patient_id, orders.OrderRequest(**body.model_dump())
    )
    return OrderOut.of(order)


@router.get("/orders/{order_id}")
async def get_order(request: Request, signed_in: OrderReader, order_id: UUID) -> OrderOut:
    return OrderOut.of(orders.get_order(services_of(request), actor_of(request, signed_in), order_id))


@router.post("/orders/{order_id}/sign")
async def sign_order(request: Request, signed_in: Signer, order_id: UUID, body: OrderSignatureIn) -> OrderOut:
    """Sign with the password and a fresh authenticator code; the order's SHA-256 is stored with it."""
    order = orders.sign_order(
        services_of(request),
        actor_of(request, signed_in),
        order_id,
        password=body.password,
        totp_code=body.totp_code,
    )
    return OrderOut.of(order)


# The API answers within a request: bound the work (a cohort's grid is n_patients x times).
PK_COHORT_API_MAX = 200_000
PK_COHORT_API_GRID_MAX = 20_000_000


@router.get("/pk/models")
async def pk_models(_: ProtocolReader) -> list[dict[str, Any]]:
    """The PK models with their citation, fitted population, confirmation status and caveats."""
    return pk.describe_models()


@router.post("/pk/simulate")
async def pk_simulate(_: ProtocolReader, body: dict[str, Any]) -> dict[str, Any]:
    """Concentrations for one patient and dosing history: the `ketaflow pk simulate` contract."""
    return pk.simulate_document(body)


@router.post("/pk/tci")
async def pk_tci(_: ProtocolReader, body: dict[str, Any]) -> dict[str, Any]:
    """Pump rates that reach and hold a target: the `ketaflow pk tci` contract (a calculation, not an order)."""
    return pk.tci_document(body)


@router.post("/pk/cohort")
async def pk_cohort(_: ProtocolReader, body: dict[str, Any]) -> dict[str, Any]:
    """A virtual cohort's exceedance and bands: the `ketaflow pk cohort` contract, at most 200,000 patients here."""
    n = body.get("n_patients")
    times = body.get("times_min")
    if isinstance(n, int) and not isinstance(n, bool):
        if n > PK_COHORT_API_MAX:
            raise InputError(
                "n_patients", f"at most {PK_COHORT_API_MAX:,} through the API (use `ketaflow pk cohort`)", n
            )
        if isinstance(times, list) and n * len(times) > PK_COHORT_API_GRID_MAX:
            raise InputError(
                "times_min", f"n_patients x times at most {PK_COHORT_API_GRID_MAX:,} through the API", len(times)
            )
    return pk.cohort_document(body)
