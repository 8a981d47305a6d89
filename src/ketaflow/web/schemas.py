"""JSON shapes of /api/v1. Values are checked by the domain (one set of rules for forms and API)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ketaflow.domain.audit import AuditEvent
from ketaflow.domain.dosing.orders import DoseOrder
from ketaflow.domain.patients import BodyMeasurement, PatientVersion
from ketaflow.domain.screening.records import Consent, GateCheck, ScreeningRecord, ScreeningReview
from ketaflow.domain.users import UserAccount


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PatientDetailsIn(_In):
    family_name: str = Field(max_length=100)
    given_names: str = Field(max_length=100)
    date_of_birth: date = Field(description="YYYY-MM-DD", examples=["1984-03-02"])
    sex: Literal["female", "male", "other", "unknown"]
    phone: str = Field(default="", max_length=32)
    email: str = Field(default="", max_length=255)
    address: str = Field(default="", max_length=300)
    emergency_contact_name: str = Field(default="", max_length=100)
    emergency_contact_phone: str = Field(default="", max_length=32)
    emergency_contact_relationship: str = Field(default="", max_length=100)


class PatientRegistrationIn(PatientDetailsIn):
    mrn: str = Field(
        max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$", description="the clinic's medical record number"
    )


class PatientAmendmentIn(PatientDetailsIn):
    base_version: int = Field(ge=1, le=1_000_000, description="the version you edited (stale versions are refused)")
    reason: str = Field(max_length=300, description="why the record is corrected")


class MeasurementIn(_In):
    kind: Literal["weight", "height"] = Field(description="weight (kg) or height (cm)")
    value: float = Field(allow_inf_nan=False, description="kg for weight, cm for height")
    measured_on: date = Field(description="YYYY-MM-DD")
    amends_id: UUID | None = Field(default=None, description="the measurement this one corrects")
    reason: str = Field(default="", max_length=300, description="required when correcting")


class PatientOut(BaseModel):
    id: UUID
    mrn: str
    version: int
    family_name: str
    given_names: str
    date_of_birth: date
    sex: str
    phone: str
    email: str
    address: str
    emergency_contact_name: str
    emergency_contact_phone: str
    emergency_contact_relationship: str
    recorded_at_utc: datetime
    recorded_by: str
    reason: str

    @classmethod
    def of(cls, v: PatientVersion) -> PatientOut:
        d = v.details
        return cls(
            id=v.patient_id,
            mrn=v.mrn,
            version=v.version,
            family_name=d.family_name,
            given_names=d.given_names,
            date_of_birth=d.date_of_birth,
            sex=d.sex.value,
            phone=d.phone,
            email=d.email,
            address=d.address,
            emergency_contact_name=d.emergency_contact_name,
            emergency_contact_phone=d.emergency_contact_phone,
            emergency_contact_relationship=d.emergency_contact_relationship,
            recorded_at_utc=v.recorded_at_utc,
            recorded_by=v.recorded_by,
            reason=v.reason,
        )


class MeasurementOut(BaseModel):
    id: UUID
    kind: str
    value: float
    unit: str
    measured_on: date
    recorded_at_utc: datetime
    recorded_by: str
    amends_id: UUID | None
    reason: str

    @classmethod
    def of(cls, m: BodyMeasurement) -> MeasurementOut:
        return cls(
            id=m.id,
            kind=m.kind.value,
            value=m.value,
            unit=m.unit,
            measured_on=m.measured_on,
            recorded_at_utc=m.recorded_at_utc,
            recorded_by=m.recorded_by,
            amends_id=m.amends_id,
            reason=m.reason,
        )


class PatientChartOut(BaseModel):
    patient: PatientOut
    versions: int
    measurements: list[MeasurementOut]


class UserOut(BaseModel):
    id: UUID
    username: str
    display_name: str
    role: str

    @classmethod
    def of(cls, u: UserAccount) -> UserOut:
        return cls(id=u.id, username=u.username, display_name=u.display_name, role=u.role.value)


class AuditEventOut(BaseModel):
    seq: int
    at_utc: datetime
    actor_username: str
    actor_role: str
    action: str
    action_code: str
    outcome: str
    patient_id: UUID | None
    resource_type: str
    resource_id: str
    source_address: str
    detail: str
    hash: str

    @classmethod
    def of(cls, e: AuditEvent) -> AuditEventOut:
        x = e.entry
        return cls(
            seq=e.seq,
            at_utc=e.at_utc,
            actor_username=x.actor_username,
            actor_role=x.actor_role,
            action=x.action,
            action_code=x.action_code.value,
            outcome=x.outcome.value,
            patient_id=x.patient_id,
            resource_type=x.resource_type,
            resource_id=x.resource_id,
            source_address=x.source_address,
            detail=x.detail,
            hash=e.hash,
        )


class AuditPageOut(BaseModel):
    total: int
    events: list[AuditEventOut]


class ProblemOut(BaseModel):
    status: int
    title: str
    detail: str
    errors: list[dict[str, str]] = []


class ScreeningIn(_In):
    purpose: Literal["intake", "pre_infusion"] = Field(description="at intake, or the gate before an infusion")
    intake: dict[str, Any] = Field(description="the intake document of `ketaflow screen` (docs/cli-contracts.md)")


class ReviewIn(_In):
    outcome: Literal["proceed", "do_not_proceed"]
    reason: str = Field(max_length=1000, description="the physician's clinical reasoning")


class ConsentIn(_In):
    sheet_id: str = Field(max_length=64, description="the information sheet explained (GET /api/v1/information-sheets)")
    signed_by_name: str = Field(max_length=200)
    signed_on: date


class WithdrawalIn(_In):
    reason: str = Field(max_length=300)


class GateIn(_In):
    confirmed: list[Literal["fasting", "escort", "medication_holds"]] = Field(
        default_factory=list, max_length=3, description="checklist items the nurse confirmed at the chair"
    )
    escort_name: str = Field(default="", max_length=200)


class ScreeningOut(BaseModel):
    id: UUID
    patient_id: UUID
    purpose: str
    decision: str
    urgent_safety_referral: bool
    result: dict[str, Any]
    screened_at_utc: datetime
    screened_by: str

    @classmethod
    def of(cls, r: ScreeningRecord) -> ScreeningOut:
        return cls(
            id=r.id,
            patient_id=r.patient_id,
            purpose=r.purpose.value,
            decision=r.decision.value,
            urgent_safety_referral=r.urgent_safety_referral,
            result=dict(r.result),
            screened_at_utc=r.screened_at_utc,
            screened_by=r.screened_by,
        )


class ReviewOut(BaseModel):
    id: UUID
    screening_id: UUID
    outcome: str
    reason: str
    decided_at_utc: datetime
    decided_by: str

    @classmethod
    def of(cls, r: ScreeningReview) -> ReviewOut:
        return cls(
            id=r.id,
            screening_id=r.screening_id,
            outcome=r.outcome.value,
            reason=r.reason,
            decided_at_utc=r.decided_at_utc,
            decided_by=r.decided_by,
        )


class ConsentOut(BaseModel):
    id: UUID
    sheet_id: str
    sheet_version: str
    explained_by: str
    signed_by_name: str
    signed_on: date
    active: bool
    withdrawn_at_utc: datetime | None
    withdrawal_reason: str

    @classmethod
    def of(cls, c: Consent) -> ConsentOut:
        return cls(
            id=c.id,
            sheet_id=c.sheet_id,
            sheet_version=c.sheet_version,
            explained_by=c.explained_by,
            signed_by_name=c.signed_by_name,
            signed_on=c.signed_on,
            active=c.is_active,
            withdrawn_at_utc=c.withdrawn_at_utc,
            withdrawal_reason=c.withdrawal_reason,
        )


class GateOut(BaseModel):
    id: UUID
    clear: bool
    decision: str
    result: dict[str, Any]
    checked_at_utc: datetime
    checked_by: str

    @classmethod
    def of(cls, g: GateCheck) -> GateOut:
        return cls(
            id=g.id,
            clear=g.clear,
            decision=g.decision.value,
            result=dict(g.result),
            checked_at_utc=g.checked_at_utc,
            checked_by=g.checked_by,
        )


class ScreeningOverviewOut(BaseModel):
    screenings: list[ScreeningOut]
    reviews: list[ReviewOut]
    consents: list[ConsentOut]
    gate_checks: list[GateOut]


class InformationSheetOut(BaseModel):
    id: str
    version: str
    title: str
    applies_to_indications: list[str]


class OrderIn(_In):
    protocol_id: str = Field(max_length=64, description="GET /api/v1/protocols")
    drug_mg: float = Field(gt=0, le=100_000, description="ketamine in the bag or syringe (mg)")
    volume_ml: float = Field(gt=0, le=10_000, description="its total volume (mL)")
    dose_mg_per_kg: float | None = Field(default=None, gt=0, le=100)
    rate_mg_per_kg_per_h: float | None = Field(default=None, gt=0, le=100)
    rate_mg_per_h: float | None = Field(default=None, gt=0, le=10_000)
    duration_min: float | None = Field(default=None, gt=0, le=100_000)
    dosing_weight: Literal["actual", "ideal", "adjusted"] | None = None
    acknowledgement: str = Field(default="", max_length=1000, description="required when the plan holds")


class OrderSignatureIn(_In):
    password: str = Field(max_length=200)
    totp_code: str = Field(max_length=12)


class ProtocolOut(BaseModel):
    id: str
    version: str
    title: str
    origin: str


class OrderOut(BaseModel):
    id: UUID
    patient_id: UUID
    protocol: dict[str, str]
    decision: str
    plan: dict[str, Any]
    inputs: dict[str, Any]
    acknowledgement: str
    created_at_utc: datetime
    created_by: str
    signed: bool
    sha256: str | None
    signed_at_utc: datetime | None
    signed_by: str | None

    @classmethod
    def of(cls, o: DoseOrder) -> OrderOut:
        s = o.signature
        return cls(
            id=o.id,
            patient_id=o.patient_id,
            protocol={"id": o.protocol.id, "version": o.protocol.version},
            decision=o.decision.value,
            plan=dict(o.plan),
            inputs=dict(o.inputs),
            acknowledgement=o.acknowledgement,
            created_at_utc=o.created_at_utc,
            created_by=o.created_by,
            signed=s is not None,
            sha256=s.sha256 if s else None,
            signed_at_utc=s.signed_at_utc if s else None,
            signed_by=s.signed_by if s else None,
        )
