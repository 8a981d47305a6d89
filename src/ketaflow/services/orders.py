"""Protocol versions and dose orders: preview, create, sign with password and second factor, verify."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import numpy as np

from ketaflow.domain.access import Permission
from ketaflow.domain.audit import ActionCode, AuditOutcome
from ketaflow.domain.basis import Decision, JsonValue
from ketaflow.domain.dosing import (
    DosingPatient,
    InfusionPlan,
    Preparation,
    Protocol,
    WeightBasis,
    plan_infusion,
    plan_stepped_infusion,
)
from ketaflow.domain.dosing.orders import (
    DoseOrder,
    OrderSignature,
    OrderVerification,
    check_order_decision,
    order_digest,
)
from ketaflow.domain.dosing.orders import (
    verify_order as verify_order_digest,
)
from ketaflow.domain.errors import AuthenticationFailed, Conflict, DosingError, InputError, InputErrors, NotFound
from ketaflow.domain.patients import MeasurementKind, age_years, latest_measurements
from ketaflow.domain.pk import Infusion, PkPatient, plan_tci, simulate
from ketaflow.domain.screening.records import Purpose, ReviewOutcome
from ketaflow.rules import list_rule_files, load_rule_file
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, record_audit, require
from ketaflow.services.credentials import matching_totp_step
from ketaflow.services.patients import clinic_today
from ketaflow.services.ports import ProtocolRevision, UnitOfWork

# The order page's predicted curve: Domino (the model most PK peers implement), to two hours after the end.
PREVIEW_MODEL = "domino"
TCI_SITES = ("plasma", "effect")
# A nurse keys each step into the pump by hand, so steps are minutes apart, not a syringe driver's seconds.
TCI_STEP_MIN = 5.0
PREVIEW_AFTER_END_MIN = 120
PREVIEW_STEP_MIN = 1.0


@dataclass(frozen=True, slots=True)
class StoredProtocol:
    id: str
    version: str
    title: str
    data: dict[str, Any]
    protocol: Protocol
    origin: str
    recorded_by: str = ""
    recorded_at_utc: datetime | None = None
    reason: str = ""


def _shipped() -> list[StoredProtocol]:
    found = []
    for name in list_rule_files("protocols"):
        data = load_rule_file("protocols", name)
        protocol = Protocol.from_dict(data)
        found.append(StoredProtocol(protocol.ref.id, protocol.ref.version, protocol.title, data, protocol, "shipped"))
    return found


def _all_versions(uow: UnitOfWork) -> list[StoredProtocol]:
    """Shipped versions first, then the clinic's revisions in the order they were made."""
    clinic = [
        StoredProtocol(
            r.protocol_id,
            r.version,
            str(r.document.get("title", "")),
            dict(r.document),
            Protocol.from_dict(r.document),
            "clinic",
            r.recorded_by,
            r.recorded_at_utc,
            r.reason,
        )
        for r in uow.orders.list_protocol_revisions()
    ]
    return _shipped() + clinic


def _current(uow: UnitOfWork) -> dict[str, StoredProtocol]:
    current: dict[str, StoredProtocol] = {}
    for stored in _all_versions(uow):
        current[stored.id] = stored  # later entries are newer
    return current


def load_protocol_for_order(uow: UnitOfWork, order: DoseOrder) -> Protocol:
    """The exact protocol version an order was made with (shipped or the clinic's revision)."""
    for stored in _all_versions(uow):
        if stored.id == order.protocol.id and stored.version == order.protocol.version:
            return stored.protocol
    raise NotFound("protocol version", f"{order.protocol.id} {order.protocol.version}")


def list_protocols(svc: AppServices, actor: Actor) -> list[StoredProtocol]:
    require(actor, Permission.PROTOCOL_READ)
    with svc.uow_factory() as uow:
        return sorted(_current(uow).values(), key=lambda p: p.title)


def list_protocol_versions(svc: AppServices, actor: Actor, protocol_id: str) -> list[StoredProtocol]:
    require(actor, Permission.PROTOCOL_READ)
    with svc.uow_factory() as uow:
        versions = [p for p in _all_versions(uow) if p.id == protocol_id]
    if not versions:
        raise NotFound("protocol", protocol_id)
    return list(reversed(versions))


def get_protocol(svc: AppServices, actor: Actor, protocol_id: str, version: str | None = None) -> StoredProtocol:
    for stored in list_protocol_versions(svc, actor, protocol_id):
        if version is None or stored.version == version:
            return stored
    raise NotFound("protocol version", f"{protocol_id} {version}")


def revise_protocol(svc: AppServices, actor: Actor, data: Mapping[str, Any], reason: str) -> StoredProtocol:
    """The medical director adds a protocol version (new or revised); past orders keep theirs."""
    require(actor, Permission.PROTOCOL_MANAGE)
    text = reason.strip()
    if not 10 <= len(text) <= 1000:
        raise InputError("reason", "why the protocol changes (10-1000 characters)")
    protocol = Protocol.from_dict(data)
    now = svc.clock.now()
    with svc.uow_factory() as uow:
        if any(p.id == protocol.ref.id and p.version == protocol.ref.version for p in _all_versions(uow)):
            raise Conflict(
                f"protocol {protocol.ref.id} already has a version {protocol.ref.version}: give a new version"
            )
        document: dict[str, JsonValue] = dict(data)
        uow.orders.add_protocol_revision(
            ProtocolRevision(protocol.ref.id, protocol.ref.version, document, text, now, actor.username)
        )
        record_audit(
            uow,
            svc.clock,
            actor,
            "protocol.revise",
            ActionCode.CREATE,
            resource_type="Protocol",
            resource_id=f"{protocol.ref.id}/{protocol.ref.version}",
            detail=text[:200],
        )
        uow.commit()
    return StoredProtocol(
        protocol.ref.id, protocol.ref.version, protocol.title, dict(data), protocol, "clinic", actor.username, now, text
    )


@dataclass(frozen=True, slots=True)
class OrderRequest:
    protocol_id: str
    drug_mg: float
    volume_ml: float
    dose_mg_per_kg: float | None = None
    rate_mg_per_kg_per_h: float | None = None
    rate_mg_per_h: float | None = None
    duration_min: float | None = None
    dosing_weight: str | None = None
    acknowledgement: str = ""
    # Target-controlled: the pump steps are computed to reach and hold this concentration (PK engine).
    tci_target_ng_per_ml: float | None = None
    tci_site: str = "plasma"
    tci_step_min: float = TCI_STEP_MIN

    @property
    def is_tci(self) -> bool:
        return self.tci_target_ng_per_ml is not None

    @classmethod
    def from_form(cls, form: Mapping[str, object]) -> OrderRequest:
        """Read the order form (strings); every bad field is reported at once, by name."""
        errors: list[InputError] = []

        def number(name: str, *, required: bool = False) -> float | None:
            raw = str(form.get(name) or "").strip()
            if not raw:
                if required:
                    errors.append(InputError(name, "a positive number (required)"))
                return None
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if not math.isfinite(value) or value <= 0:
                errors.append(InputError(name, "a positive number", raw))
                return None
            return value

        protocol_id = str(form.get("protocol_id") or "").strip()
        if not protocol_id:
            errors.append(InputError("protocol_id", "a protocol (required)"))
        site = str(form.get("tci_site") or "plasma").strip()
        if site not in TCI_SITES:
            errors.append(InputError("tci_site", "plasma or effect", site))
        weight = str(form.get("dosing_weight") or "").strip() or None
        if weight is not None and weight not in {w.value for w in WeightBasis}:
            errors.append(InputError("dosing_weight", "actual, ideal or adjusted", weight))
        request = cls(
            protocol_id=protocol_id,
            drug_mg=number("drug_mg", required=True) or 0.0,
            volume_ml=number("volume_ml", required=True) or 0.0,
            dose_mg_per_kg=number("dose_mg_per_kg"),
            rate_mg_per_kg_per_h=number("rate_mg_per_kg_per_h"),
            rate_mg_per_h=number("rate_mg_per_h"),
            duration_min=number("duration_min"),
            dosing_weight=weight,
            acknowledgement=str(form.get("acknowledgement") or ""),
            tci_target_ng_per_ml=number("tci_target_ng_per_ml"),
            tci_site=site,
            tci_step_min=number("tci_step_min") or TCI_STEP_MIN,
        )
        if request.is_tci:
            for name in ("dose_mg_per_kg", "rate_mg_per_kg_per_h", "rate_mg_per_h"):
                if getattr(request, name) is not None:
                    errors.append(InputError(name, "absent: a target-controlled order computes its own rates"))
        if errors:
            raise InputErrors(errors)
        return request


@dataclass(frozen=True, slots=True)
class OrderPreview:
    plan: InfusionPlan
    inputs: dict[str, JsonValue]
    screening: dict[str, JsonValue]
    pk_curve: dict[str, Any]

    @property
    def can_create(self) -> bool:
        return self.plan.decision is not Decision.BLOCK and self.screening["status"] != "not_clear"


def _screening_status(uow: UnitOfWork, patient_id: UUID) -> dict[str, JsonValue]:
    """The order needs a clear screening, or a held one with a prescriber's decision to proceed."""
    screenings = uow.screenings.list_screenings(patient_id)
    if not screenings:
        return {
            "status": "not_clear",
            "message": "No screening on file: screen the patient first.",
            "screening_id": None,
        }
    latest = screenings[-1]
    sid = str(latest.id)
    kind = "intake" if latest.purpose is Purpose.INTAKE else "pre-infusion"
    if latest.decision in (Decision.PROCEED, Decision.PROCEED_WITH_WARNINGS):
        return {"status": "clear", "message": f"Latest {kind} screening: {latest.decision.value}.", "screening_id": sid}
    review = uow.screenings.review_for(latest.id) if latest.decision is Decision.HOLD else None
    if review is not None and review.outcome is ReviewOutcome.PROCEED:
        message = (
            f"Latest {kind} screening holds; {review.decided_by} documented the decision to proceed: {review.reason}"
        )
        return {"status": "hold_documented", "message": message, "screening_id": sid}
    return {
        "status": "not_clear",
        "screening_id": sid,
        "message": f"Latest {kind} screening is {latest.decision.value} without a documented decision to proceed.",
    }


def _patient_inputs(uow: UnitOfWork, svc: AppServices, patient_id: UUID) -> tuple[DosingPatient, dict[str, JsonValue]]:
    current = uow.patients.latest(patient_id)
    if current is None:
        raise NotFound("patient", patient_id)
    latest = latest_measurements(uow.patients.measurements(patient_id))
    weight, height = latest.get(MeasurementKind.WEIGHT), latest.get(MeasurementKind.HEIGHT)
    if weight is None or height is None:
        raise InputError(
            "weight_kg" if weight is None else "height_cm", "a weight and a height charted for this patient"
        )
    age = age_years(current.details.date_of_birth, clinic_today(svc))
    patient = DosingPatient.create(
        weight_kg=weight.value, height_cm=height.value, sex=current.details.sex.value, age_years=age
    )
    inputs: dict[str, JsonValue] = {
        "weight_kg": weight.value,
        "weight_measured_on": weight.measured_on.isoformat(),
        "height_cm": height.value,
        "height_measured_on": height.measured_on.isoformat(),
        "sex": current.details.sex.value,
        "age_years": age,
    }
    return patient, inputs


def _pk_patient(patient: DosingPatient) -> PkPatient:
    return PkPatient.create(
        weight_kg=patient.weight_kg, age_years=patient.age_years, sex=patient.sex.value, height_cm=patient.height_cm
    )


def _pk_curve(patient: DosingPatient, inputs: Mapping[str, JsonValue], plan: InfusionPlan) -> dict[str, Any]:
    end_min = plan.duration_min + PREVIEW_AFTER_END_MIN
    times = np.arange(0.0, end_min + PREVIEW_STEP_MIN / 2, PREVIEW_STEP_MIN)
    doses = [Infusion(step.start_min, step.duration_min, step.rate_mg_per_h) for step in plan.steps] or [
        Infusion(0.0, plan.duration_min, plan.rate_mg_per_h)
    ]
    result = simulate(PREVIEW_MODEL, _pk_patient(patient), doses, times)
    return {
        "model": PREVIEW_MODEL,
        "times_min": times.round(3).tolist(),
        "plasma_ng_per_ml": result.plasma_ng_per_ml.round(2).tolist(),
        "effect_ng_per_ml": None if result.effect_ng_per_ml is None else result.effect_ng_per_ml.round(2).tolist(),
        "cmax_ng_per_ml": round(result.cmax_ng_per_ml, 1),
        "tmax_min": round(result.tmax_min, 1),
        "caveats": list(result.caveats),
    }


def _plan(uow: UnitOfWork, svc: AppServices, patient_id: UUID, request: OrderRequest) -> OrderPreview:
    stored = _current(uow).get(request.protocol_id)
    if stored is None:
        raise InputError("protocol_id", "a protocol from the library", request.protocol_id)
    patient, inputs = _patient_inputs(uow, svc, patient_id)
    preparation = Preparation.create(drug_mg=request.drug_mg, volume_ml=request.volume_ml)
    weight_basis = WeightBasis(request.dosing_weight) if request.dosing_weight else None
    if request.is_tci:
        plan = _plan_tci(patient, stored.protocol, preparation, weight_basis, request)
    else:
        plan = plan_infusion(
            patient,
            stored.protocol,
            preparation=preparation,
            dose_mg_per_kg=request.dose_mg_per_kg,
            rate_mg_per_kg_per_h=request.rate_mg_per_kg_per_h,
            rate_mg_per_h=request.rate_mg_per_h,
            duration_min=request.duration_min,
            dosing_weight=weight_basis,
        )
    inputs = {
        **inputs,
        "preparation": {"drug_mg": request.drug_mg, "volume_ml": request.volume_ml},
        "overrides": {
            k: v
            for k, v in (
                ("dose_mg_per_kg", request.dose_mg_per_kg),
                ("rate_mg_per_kg_per_h", request.rate_mg_per_kg_per_h),
                ("rate_mg_per_h", request.rate_mg_per_h),
                ("duration_min", request.duration_min),
                ("dosing_weight", request.dosing_weight),
            )
            if v is not None
        },
    }
    if request.is_tci:
        inputs["tci"] = {
            "model": PREVIEW_MODEL,
            "site": request.tci_site,
            "target_ng_per_ml": request.tci_target_ng_per_ml,
            "step_min": request.tci_step_min,
        }
    return OrderPreview(plan, inputs, _screening_status(uow, patient_id), _pk_curve(patient, inputs, plan))


def _plan_tci(
    patient: DosingPatient,
    protocol: Protocol,
    preparation: Preparation,
    weight_basis: WeightBasis | None,
    request: OrderRequest,
) -> InfusionPlan:
    """The PK engine's steps to reach and hold the target, no faster than the pump's maximum, through the limits."""
    assert request.tci_target_ng_per_ml is not None  # only called for a target-controlled request
    duration = request.duration_min or protocol.regimen.duration_min
    segments = plan_tci(
        PREVIEW_MODEL,
        _pk_patient(patient),
        request.tci_target_ng_per_ml,
        site="effect" if request.tci_site == "effect" else "plasma",
        duration_min=duration,
        update_s=request.tci_step_min * 60.0,
        max_rate_mg_per_h=protocol.pump.rate_max_ml_per_h * preparation.concentration_mg_per_ml,
    )
    return plan_stepped_infusion(
        patient,
        protocol,
        preparation=preparation,
        segments=[(s.start_min, s.duration_min, s.mg_per_h) for s in segments],
        dosing_weight=weight_basis,
    )


def preview_order(svc: AppServices, actor: Actor, patient_id: UUID, request: OrderRequest) -> OrderPreview:
    """The order as it would be: the computation, every limit finding, the screening status and the PK curve."""
    require(actor, Permission.ORDER_CREATE)
    with svc.uow_factory() as uow:
        preview = _plan(uow, svc, patient_id, request)
        record_audit(
            uow,
            svc.clock,
            actor,
            "order.preview",
            ActionCode.READ,
            patient_id=patient_id,
            resource_type="DoseOrder",
            detail=request.protocol_id,
        )
        uow.commit()
    return preview


def create_order(svc: AppServices, actor: Actor, patient_id: UUID, request: OrderRequest) -> DoseOrder:
    """An unsigned order; refused outside hard limits or without a clear (or documented) screening."""
    require(actor, Permission.ORDER_CREATE)
    with svc.uow_factory() as uow:
        preview = _plan(uow, svc, patient_id, request)
        acknowledgement = check_order_decision(preview.plan.decision, request.acknowledgement)
        if preview.screening["status"] == "not_clear":
            raise DosingError(f"screening gate not clear: {preview.screening['message']}")
        order = DoseOrder(
            id=uuid4(),
            patient_id=patient_id,
            protocol=preview.plan.protocol,
            inputs=preview.inputs,
            plan=preview.plan.to_json(),
            decision=preview.plan.decision,
            acknowledgement=acknowledgement,
            created_at_utc=svc.clock.now(),
            created_by=actor.username,
        )
        uow.orders.add_order(order)
        record_audit(
            uow,
            svc.clock,
            actor,
            "order.create",
            ActionCode.CREATE,
            patient_id=patient_id,
            resource_type="DoseOrder",
            resource_id=str(order.id),
            detail=order.decision.value,
        )
        uow.commit()
    return order


def _order_or_404(uow: UnitOfWork, order_id: UUID) -> DoseOrder:
    order = uow.orders.get_order(order_id)
    if order is None:
        raise NotFound("order", order_id)
    return order


def _audit_order(
    uow: UnitOfWork,
    svc: AppServices,
    actor: Actor,
    order: DoseOrder,
    action: str,
    code: ActionCode,
    detail: str = "",
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
) -> None:
    record_audit(
        uow,
        svc.clock,
        actor,
        action,
        code,
        outcome=outcome,
        patient_id=order.patient_id,
        resource_type="DoseOrder",
        resource_id=str(order.id),
        detail=detail,
    )


def sign_order(svc: AppServices, actor: Actor, order_id: UUID, *, password: str, totp_code: str) -> DoseOrder:
    """Sign with the password and a fresh TOTP code again; the SHA-256 of the order is stored with it."""
    require(actor, Permission.ORDER_SIGN)
    now = svc.clock.now()
    with svc.uow_factory() as uow:
        user = uow.users.get(actor.user_id) if actor.user_id else None
        if user is None:
            raise AuthenticationFailed("signing needs a signed-in prescriber")
        order = _order_or_404(uow, order_id)
        if order.is_signed:
            raise Conflict("the order is already signed")
        check_order_decision(order.decision, order.acknowledgement)
        step = (
            matching_totp_step(svc.secret_box.open(user.totp_secret_encrypted), totp_code, now.timestamp())
            if user.totp_enrolled
            else None
        )
        if not svc.hasher.verify(user.password_hash, password) or step is None or step <= user.totp_last_step:
            _audit_order(
                uow,
                svc,
                actor,
                order,
                "order.sign",
                ActionCode.EXECUTE,
                "re-authentication failed",
                AuditOutcome.FAILED,
            )
            uow.commit()
            raise AuthenticationFailed(
                "The password or the authenticator code is not correct; the order is not signed."
            )
        uow.users.save(replace(user, totp_last_step=step))
        signature = OrderSignature(order_digest(order), now, actor.username)
        uow.orders.add_signature(order_id, signature)
        _audit_order(uow, svc, actor, order, "order.sign", ActionCode.EXECUTE, f"sha256 {signature.sha256[:16]}…")
        uow.commit()
    return replace(order, signature=signature)


def get_order(svc: AppServices, actor: Actor, order_id: UUID) -> DoseOrder:
    require(actor, Permission.ORDER_READ)
    with svc.uow_factory() as uow:
        order = _order_or_404(uow, order_id)
        _audit_order(uow, svc, actor, order, "order.read", ActionCode.READ)
        uow.commit()
    return order


def list_orders(svc: AppServices, actor: Actor, patient_id: UUID) -> list[DoseOrder]:
    require(actor, Permission.ORDER_READ)
    with svc.uow_factory() as uow:
        orders = uow.orders.list_orders(patient_id)
        record_audit(
            uow,
            svc.clock,
            actor,
            "order.list",
            ActionCode.READ,
            patient_id=patient_id,
            resource_type="DoseOrder",
            detail=f"{len(orders)} order(s)",
        )
        uow.commit()
    return orders


def verify_order(svc: AppServices, actor: Actor, order_id: UUID) -> OrderVerification:
    """Recompute the signed order's SHA-256: any change since signing is detected."""
    require(actor, Permission.ORDER_READ)
    with svc.uow_factory() as uow:
        order = _order_or_404(uow, order_id)
        result = verify_order_digest(order)
        _audit_order(uow, svc, actor, order, "order.verify", ActionCode.EXECUTE, "ok" if result.ok else "MISMATCH")
        uow.commit()
    return result


def record_order_export(svc: AppServices, actor: Actor, order_id: UUID, fmt: str) -> None:
    """An order leaving the system as a file is an export: one audit event."""
    require(actor, Permission.ORDER_READ)
    with svc.uow_factory() as uow:
        order = _order_or_404(uow, order_id)
        _audit_order(uow, svc, actor, order, "order.export", ActionCode.EXECUTE, fmt)
        uow.commit()
