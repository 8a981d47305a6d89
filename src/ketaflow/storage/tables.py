"""The schema. Clinical tables are append-only (enforced by triggers created in the migrations)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ketaflow.storage.types import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Tables whose rows may never be updated or deleted; corrections are new rows.
APPEND_ONLY_TABLES = (
    "patients",
    "patient_versions",
    "body_measurements",
    "audit_events",
    "screenings",
    "screening_reviews",
    "consents",
    "consent_withdrawals",
    "gate_checks",
    "protocol_revisions",
    "dose_orders",
    "order_signatures",
    "infusion_sessions",
    "infusion_events",
    "scale_responses",
    "questionnaire_links",
    "questionnaire_link_uses",
    "treatment_courses",
    "course_events",
    "synthetic_patients",
)
# Tables that hold mutable administrative state (accounts, sign-in sessions), audited on change.
MUTABLE_TABLES = ("users", "web_sessions")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    totp_enrolled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until_utc: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    password_changed_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)


class WebSessionRow(Base):
    __tablename__ = "web_sessions"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    csrf_token: Mapped[str] = mapped_column(String(64))
    second_factor_done: Mapped[bool] = mapped_column(Boolean)
    source_address: Mapped[str] = mapped_column(String(64), default="")
    ended_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    end_reason: Mapped[str] = mapped_column(String(64), default="")


class PatientRow(Base):
    __tablename__ = "patients"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    mrn: Mapped[str] = mapped_column(String(32), unique=True)
    registered_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    registered_by: Mapped[str] = mapped_column(String(40))


class PatientVersionRow(Base):
    __tablename__ = "patient_versions"

    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date, index=True)
    sex: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    emergency_contact_name: Mapped[str] = mapped_column(String(100), default="")
    emergency_contact_phone: Mapped[str] = mapped_column(String(32), default="")
    emergency_contact_relationship: Mapped[str] = mapped_column(String(100), default="")
    recorded_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(300), default="")


class BodyMeasurementRow(Base):
    __tablename__ = "body_measurements"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    measured_on: Mapped[date] = mapped_column(Date)
    recorded_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(40))
    # Unique: a measurement is corrected at most once; a further correction amends the correction.
    amends_id: Mapped[UUID | None] = mapped_column(ForeignKey("body_measurements.id"), unique=True, nullable=True)
    reason: Mapped[str] = mapped_column(String(300), default="")


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    # No foreign keys: the trail must outlive and never block changes elsewhere.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at_utc: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    action_code: Mapped[str] = mapped_column(String(1))
    outcome: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[UUID | None] = mapped_column(Uuid, nullable=True)
    actor_username: Mapped[str] = mapped_column(String(40), index=True)
    actor_role: Mapped[str] = mapped_column(String(32))
    patient_id: Mapped[UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(Text)
    source_address: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ScreeningRow(Base):
    __tablename__ = "screenings"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    intake: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(32))
    ruleset_id: Mapped[str] = mapped_column(String(64))
    ruleset_version: Mapped[str] = mapped_column(String(32))
    urgent_safety_referral: Mapped[bool] = mapped_column(Boolean)
    screened_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    screened_by: Mapped[str] = mapped_column(String(40))


class ScreeningReviewRow(Base):
    __tablename__ = "screening_reviews"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    # Unique: one documented decision per held screening; a changed mind is a new screening.
    screening_id: Mapped[UUID] = mapped_column(ForeignKey("screenings.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    decided_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str] = mapped_column(String(40))
    decided_by_role: Mapped[str] = mapped_column(String(32))


class ConsentRow(Base):
    __tablename__ = "consents"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    sheet_id: Mapped[str] = mapped_column(String(64))
    sheet_version: Mapped[str] = mapped_column(String(32))
    explained_by: Mapped[str] = mapped_column(String(40))
    signed_by_name: Mapped[str] = mapped_column(String(200))
    signed_on: Mapped[date] = mapped_column(Date)
    recorded_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(40))


class ConsentWithdrawalRow(Base):
    __tablename__ = "consent_withdrawals"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    consent_id: Mapped[UUID] = mapped_column(ForeignKey("consents.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    withdrawn_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    withdrawn_by: Mapped[str] = mapped_column(String(40))


class GateCheckRow(Base):
    __tablename__ = "gate_checks"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    screening_id: Mapped[UUID | None] = mapped_column(ForeignKey("screenings.id"), nullable=True)
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(32))
    clear: Mapped[bool] = mapped_column(Boolean)
    checked_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    checked_by: Mapped[str] = mapped_column(String(40))


class ProtocolRevisionRow(Base):
    __tablename__ = "protocol_revisions"
    __table_args__ = (UniqueConstraint("protocol_id", "version"),)

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    protocol_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    recorded_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(40))


class DoseOrderRow(Base):
    __tablename__ = "dose_orders"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    protocol_id: Mapped[str] = mapped_column(String(64))
    protocol_version: Mapped[str] = mapped_column(String(32))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(32))
    acknowledgement: Mapped[str] = mapped_column(Text)
    created_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(40))


class OrderSignatureRow(Base):
    __tablename__ = "order_signatures"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    # Unique: an order is signed once; a signed order is never changed (a new order replaces it).
    order_id: Mapped[UUID] = mapped_column(ForeignKey("dose_orders.id"), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    signed_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    signed_by: Mapped[str] = mapped_column(String(40))


class InfusionSessionRow(Base):
    """One chair visit; everything that happens in it is an ``InfusionEventRow``."""

    __tablename__ = "infusion_sessions"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    order_id: Mapped[UUID] = mapped_column(ForeignKey("dose_orders.id"), index=True)
    chair: Mapped[str] = mapped_column(String(40))
    checked_in_at_utc: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    checked_in_by: Mapped[str] = mapped_column(String(40))


class InfusionEventRow(Base):
    """The session's append-only log. (session_id, seq) is unique: two writers never both append seq N."""

    __tablename__ = "infusion_events"
    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_infusion_events_session_seq"),)

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    session_id: Mapped[UUID] = mapped_column(ForeignKey("infusion_sessions.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(40))
    recorded_by_role: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class ScaleResponseRow(Base):
    """One answered questionnaire, scored with the rule set named by ruleset_id and ruleset_version."""

    __tablename__ = "scale_responses"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    instrument: Mapped[str] = mapped_column(String(64))
    ruleset_id: Mapped[str] = mapped_column(String(64))
    ruleset_version: Mapped[str] = mapped_column(String(32))
    items: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    band: Mapped[str | None] = mapped_column(String(64), nullable=True)
    flags: Mapped[list[Any]] = mapped_column(JSON)
    respondent: Mapped[str] = mapped_column(String(16))
    answered_at_utc: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # A username, or "patient-link:<link id>" for answers a patient gave through a one-time link.
    recorded_by: Mapped[str] = mapped_column(String(64))
    link_id: Mapped[UUID | None] = mapped_column(ForeignKey("questionnaire_links.id"), nullable=True, index=True)
    session_id: Mapped[UUID | None] = mapped_column(ForeignKey("infusion_sessions.id"), nullable=True)


class QuestionnaireLinkRow(Base):
    """A one-time patient link. Only the SHA-256 of its token is stored, never the token."""

    __tablename__ = "questionnaire_links"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    instruments: Mapped[list[Any]] = mapped_column(JSON)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(40))
    expires_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)


class QuestionnaireLinkUseRow(Base):
    """The use of a link. Unique link_id: a second use (even at the same moment) breaks the constraint."""

    __tablename__ = "questionnaire_link_uses"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    link_id: Mapped[UUID] = mapped_column(ForeignKey("questionnaire_links.id"), unique=True)
    used_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)


class TreatmentCourseRow(Base):
    """A course started for a patient under a course plan; a later row for the same patient supersedes it."""

    __tablename__ = "treatment_courses"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    plan_version: Mapped[str] = mapped_column(String(32))
    start_date: Mapped[date] = mapped_column(Date)
    created_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)


class CourseEventRow(Base):
    """What happened to a course (ended, booster decision, safety answer/review, reminder sent)."""

    __tablename__ = "course_events"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    course_id: Mapped[UUID] = mapped_column(ForeignKey("treatment_courses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(40))
    # Unique when set: a reminder for one course, day and instrument is recorded (and sent) once, even by two runs.
    once_key: Mapped[str | None] = mapped_column(String(160), unique=True, nullable=True)


class SyntheticPatientRow(Base):
    """Marks a patient whose history was generated for demonstration, never a real person."""

    __tablename__ = "synthetic_patients"

    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    generated_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    generator_version: Mapped[str] = mapped_column(String(32))
    seed: Mapped[int] = mapped_column(Integer)


Index("ix_patient_versions_names", PatientVersionRow.family_name, PatientVersionRow.given_names)
