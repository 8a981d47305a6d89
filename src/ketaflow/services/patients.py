"""Registering, finding, reading and correcting patients. Every read and write is audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from ketaflow.domain.access import Permission
from ketaflow.domain.audit import ActionCode
from ketaflow.domain.errors import Conflict, InputError, InputErrors, NotFound, StaleWrite
from ketaflow.domain.patients import (
    BodyMeasurement,
    MeasurementKind,
    PatientDetails,
    PatientVersion,
    check_measurement,
    check_mrn,
    check_reason,
    latest_measurements,
)
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, record_audit, require
from ketaflow.services.ports import PatientQuery, UnitOfWork


@dataclass(frozen=True, slots=True)
class PatientChart:
    """What the patient page shows: the current record, its history and the body measurements."""

    current: PatientVersion
    history: list[PatientVersion]
    measurements: list[BodyMeasurement]

    @property
    def latest_measurements(self) -> dict[MeasurementKind, BodyMeasurement]:
        return latest_measurements(self.measurements)


def clinic_today(svc: AppServices) -> date:
    return svc.clock.now().astimezone(ZoneInfo(svc.clinic_timezone)).date()


def register_patient(svc: AppServices, actor: Actor, mrn: object, raw: Mapping[str, object]) -> PatientVersion:
    """Register a new patient as version 1 of the record."""
    require(actor, Permission.PATIENT_REGISTER)
    errors: list[InputError] = []
    try:
        checked_mrn = check_mrn(mrn)
    except InputError as exc:
        errors.append(exc)
    try:
        details = PatientDetails.create(raw, today=clinic_today(svc))
    except InputErrors as exc:
        errors.extend(exc.errors)
    if errors:
        raise InputErrors(errors)
    version = PatientVersion(
        patient_id=uuid4(),
        mrn=checked_mrn,
        version=1,
        details=details,
        recorded_at_utc=svc.clock.now(),
        recorded_by=actor.username,
    )
    with svc.uow_factory() as uow:
        if uow.patients.mrn_exists(checked_mrn):
            raise Conflict(f"MRN {checked_mrn} is already registered")
        uow.patients.add_version(version)
        record_audit(
            uow,
            svc.clock,
            actor,
            "patient.register",
            ActionCode.CREATE,
            patient_id=version.patient_id,
            resource_type="Patient",
            resource_id=str(version.patient_id),
        )
        uow.commit()
    return version


def _latest_or_404(uow: UnitOfWork, patient_id: UUID) -> PatientVersion:
    current = uow.patients.latest(patient_id)
    if current is None:
        raise NotFound("patient", patient_id)
    return current


def amend_patient(
    svc: AppServices,
    actor: Actor,
    patient_id: UUID,
    *,
    base_version: int,
    raw: Mapping[str, object],
    reason: object,
) -> PatientVersion:
    """Correct demographics as a new version with reason and author; a stale base version is refused."""
    require(actor, Permission.PATIENT_AMEND)
    checked_reason = check_reason(reason)
    details = PatientDetails.create(raw, today=clinic_today(svc))
    with svc.uow_factory() as uow:
        current = _latest_or_404(uow, patient_id)
        if current.version != base_version:
            raise StaleWrite("patient record", base_version, current.version)
        changed = details.changed_fields(current.details)
        if not changed:
            raise InputError("details", "at least one changed field")
        amended = PatientVersion(
            patient_id=patient_id,
            mrn=current.mrn,
            version=current.version + 1,
            details=details,
            recorded_at_utc=svc.clock.now(),
            recorded_by=actor.username,
            reason=checked_reason,
        )
        uow.patients.add_version(amended)
        record_audit(
            uow,
            svc.clock,
            actor,
            "patient.amend",
            ActionCode.UPDATE,
            patient_id=patient_id,
            resource_type="Patient",
            resource_id=f"{patient_id}/v{amended.version}",
            detail="fields: " + ", ".join(changed),
        )
        uow.commit()
    return amended


def get_patient_chart(svc: AppServices, actor: Actor, patient_id: UUID) -> PatientChart:
    """Read a patient's record (audited as a read of that patient)."""
    require(actor, Permission.PATIENT_READ)
    with svc.uow_factory() as uow:
        current = _latest_or_404(uow, patient_id)
        chart = PatientChart(current, uow.patients.history(patient_id), uow.patients.measurements(patient_id))
        record_audit(
            uow,
            svc.clock,
            actor,
            "patient.read",
            ActionCode.READ,
            patient_id=patient_id,
            resource_type="Patient",
            resource_id=str(patient_id),
        )
        uow.commit()
    return chart


def search_patients(svc: AppServices, actor: Actor, text: str = "", date_of_birth: str = "") -> list[PatientVersion]:
    """Find patients by MRN or name fragment and/or date of birth (audited as one search)."""
    require(actor, Permission.PATIENT_READ)
    dob: date | None = None
    if date_of_birth.strip():
        try:
            dob = date.fromisoformat(date_of_birth.strip())
        except ValueError:
            raise InputError("date_of_birth", "a date as YYYY-MM-DD", date_of_birth) from None
    if len(text) > 100:
        raise InputError("q", "at most 100 characters", text[:20] + "…")
    with svc.uow_factory() as uow:
        found = uow.patients.search(PatientQuery(text=text.strip(), date_of_birth=dob))
        record_audit(
            uow,
            svc.clock,
            actor,
            "patient.search",
            ActionCode.READ,
            resource_type="Patient",
            resource_id=",".join(str(p.patient_id) for p in found[:20]),
            detail=f"{len(found)} result(s)",
        )
        uow.commit()
    return found


def record_measurement(
    svc: AppServices,
    actor: Actor,
    patient_id: UUID,
    *,
    kind: str,
    value: object,
    measured_on: object,
    amends_id: UUID | None = None,
    reason: object = "",
) -> BodyMeasurement:
    """Chart a dated weight or height; with ``amends_id`` it corrects an earlier one (reason required)."""
    require(actor, Permission.MEASUREMENT_RECORD)
    try:
        measurement_kind = MeasurementKind(kind)
    except ValueError:
        raise InputError("kind", "weight or height", kind) from None
    checked_value, checked_date = check_measurement(measurement_kind, value, measured_on, today=clinic_today(svc))
    checked_reason = check_reason(reason) if amends_id is not None else ""
    with svc.uow_factory() as uow:
        _latest_or_404(uow, patient_id)
        if amends_id is not None:
            existing = {m.id: m for m in uow.patients.measurements(patient_id)}
            target = existing.get(amends_id)
            if target is None:
                raise NotFound("measurement", amends_id)
            if target.kind is not measurement_kind:
                raise InputError("kind", f"{target.kind.value} (the kind of the measurement being corrected)", kind)
            if any(m.amends_id == amends_id for m in existing.values()):
                raise Conflict("that measurement has already been corrected; correct the newer entry")
        measurement = BodyMeasurement(
            id=uuid4(),
            patient_id=patient_id,
            kind=measurement_kind,
            value=checked_value,
            measured_on=checked_date,
            recorded_at_utc=svc.clock.now(),
            recorded_by=actor.username,
            amends_id=amends_id,
            reason=checked_reason,
        )
        uow.patients.add_measurement(measurement)
        record_audit(
            uow,
            svc.clock,
            actor,
            "measurement.amend" if amends_id else "measurement.record",
            ActionCode.UPDATE if amends_id else ActionCode.CREATE,
            patient_id=patient_id,
            resource_type="BodyMeasurement",
            resource_id=str(measurement.id),
            detail=measurement_kind.value,
        )
        uow.commit()
    return measurement
