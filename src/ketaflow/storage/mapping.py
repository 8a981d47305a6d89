"""Explicit row <-> domain conversions; domain classes never subclass an ORM base."""

from __future__ import annotations

from ketaflow.domain.access import Role
from ketaflow.domain.audit import ActionCode, AuditEntry, AuditEvent, AuditOutcome
from ketaflow.domain.patients import BodyMeasurement, MeasurementKind, PatientDetails, PatientVersion, Sex
from ketaflow.domain.users import UserAccount, WebSession
from ketaflow.storage.tables import (
    AuditEventRow,
    BodyMeasurementRow,
    PatientVersionRow,
    UserRow,
    WebSessionRow,
)

_USER_FIELDS = (
    "id",
    "username",
    "display_name",
    "password_hash",
    "totp_secret_encrypted",
    "totp_enrolled",
    "totp_last_step",
    "disabled",
    "failed_logins",
    "locked_until_utc",
    "must_change_password",
    "created_at_utc",
    "password_changed_at_utc",
)
_SESSION_FIELDS = (
    "id",
    "token_sha256",
    "user_id",
    "created_at_utc",
    "last_seen_at_utc",
    "csrf_token",
    "second_factor_done",
    "source_address",
    "ended_at_utc",
    "end_reason",
)
_DETAIL_FIELDS = (
    "family_name",
    "given_names",
    "date_of_birth",
    "phone",
    "email",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
)


def user_from_row(row: UserRow) -> UserAccount:
    return UserAccount(role=Role(row.role), **{f: getattr(row, f) for f in _USER_FIELDS})


def user_to_row(user: UserAccount, row: UserRow | None = None) -> UserRow:
    row = row or UserRow()
    for f in _USER_FIELDS:
        setattr(row, f, getattr(user, f))
    row.role = user.role.value
    return row


def session_from_row(row: WebSessionRow) -> WebSession:
    return WebSession(**{f: getattr(row, f) for f in _SESSION_FIELDS})


def session_to_row(session: WebSession, row: WebSessionRow | None = None) -> WebSessionRow:
    row = row or WebSessionRow()
    for f in _SESSION_FIELDS:
        setattr(row, f, getattr(session, f))
    return row


def version_from_row(row: PatientVersionRow, mrn: str) -> PatientVersion:
    details = PatientDetails(sex=Sex(row.sex), **{f: getattr(row, f) for f in _DETAIL_FIELDS})
    return PatientVersion(
        patient_id=row.patient_id,
        mrn=mrn,
        version=row.version,
        details=details,
        recorded_at_utc=row.recorded_at_utc,
        recorded_by=row.recorded_by,
        reason=row.reason,
    )


def version_to_row(version: PatientVersion) -> PatientVersionRow:
    row = PatientVersionRow(
        patient_id=version.patient_id,
        version=version.version,
        sex=version.details.sex.value,
        recorded_at_utc=version.recorded_at_utc,
        recorded_by=version.recorded_by,
        reason=version.reason,
    )
    for f in _DETAIL_FIELDS:
        setattr(row, f, getattr(version.details, f))
    return row


def measurement_from_row(row: BodyMeasurementRow) -> BodyMeasurement:
    return BodyMeasurement(
        id=row.id,
        patient_id=row.patient_id,
        kind=MeasurementKind(row.kind),
        value=row.value,
        measured_on=row.measured_on,
        recorded_at_utc=row.recorded_at_utc,
        recorded_by=row.recorded_by,
        amends_id=row.amends_id,
        reason=row.reason,
    )


def measurement_to_row(m: BodyMeasurement) -> BodyMeasurementRow:
    return BodyMeasurementRow(
        id=m.id,
        patient_id=m.patient_id,
        kind=m.kind.value,
        value=m.value,
        measured_on=m.measured_on,
        recorded_at_utc=m.recorded_at_utc,
        recorded_by=m.recorded_by,
        amends_id=m.amends_id,
        reason=m.reason,
    )


def audit_from_row(row: AuditEventRow) -> AuditEvent:
    entry = AuditEntry(
        action=row.action,
        action_code=ActionCode(row.action_code),
        outcome=AuditOutcome(row.outcome),
        actor_user_id=row.actor_user_id,
        actor_username=row.actor_username,
        actor_role=row.actor_role,
        patient_id=row.patient_id,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        source_address=row.source_address,
        detail=row.detail,
    )
    return AuditEvent(seq=row.seq, at_utc=row.at_utc, entry=entry, prev_hash=row.prev_hash, hash=row.hash)


def audit_to_row(event: AuditEvent) -> AuditEventRow:
    e = event.entry
    return AuditEventRow(
        seq=event.seq,
        at_utc=event.at_utc,
        action=e.action,
        action_code=e.action_code.value,
        outcome=e.outcome.value,
        actor_user_id=e.actor_user_id,
        actor_username=e.actor_username,
        actor_role=e.actor_role,
        patient_id=e.patient_id,
        resource_type=e.resource_type,
        resource_id=e.resource_id,
        source_address=e.source_address,
        detail=e.detail,
        prev_hash=event.prev_hash,
        hash=event.hash,
    )
