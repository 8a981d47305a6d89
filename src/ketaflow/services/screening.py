"""Eligibility screening: check an intake against the versioned rule set, and keep what was decided."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from uuid import UUID, uuid4

from ketaflow.domain.access import Permission
from ketaflow.domain.audit import ActionCode
from ketaflow.domain.errors import InputError, NotFound
from ketaflow.domain.patients import check_reason
from ketaflow.domain.screening import Intake, ScreeningResult, ScreeningRuleSet, screen_patient
from ketaflow.domain.screening.gate import CONFIRMED_BY_STAFF, GateChecklist, GateRules, evaluate_gate
from ketaflow.domain.screening.records import (
    Consent,
    GateCheck,
    Purpose,
    ScreeningRecord,
    ScreeningReview,
    check_review,
)
from ketaflow.rules import load_rule_file
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, record_audit, require
from ketaflow.services.information import get_information_sheet
from ketaflow.services.patients import clinic_today
from ketaflow.services.ports import CodeSystem, UnitOfWork

DEFAULT_RULESET = "default"
# Consent is recorded on the day it is signed; a paper form may be entered a few days late (our choice).
CONSENT_BACKDATE_MAX_DAYS = 7


@cache
def load_screening_rules(name: str = DEFAULT_RULESET) -> ScreeningRuleSet:
    """The shipped screening rule set, parsed and checked once per process."""
    return ScreeningRuleSet.from_dict(load_rule_file("screening", name))


def check_intake(data: Mapping[str, object], codes: CodeSystem) -> Intake:
    """Parse an intake document and confirm every condition code exists in the official code set."""
    intake = Intake.from_json(data)
    for i, condition in enumerate(intake.conditions):
        if not codes.exists(condition.code):
            raise InputError(f"conditions[{i}].code", f"a code that exists in {codes.name}", condition.code)
    return intake


def screen_intake(
    data: Mapping[str, object], *, codes: CodeSystem, now_utc: datetime, rules: ScreeningRuleSet | None = None
) -> ScreeningResult:
    """Screen one intake document (the `ketaflow screen` contract); raises InputError naming a bad field."""
    return screen_patient(check_intake(data, codes), rules or load_screening_rules(), now_utc=now_utc)


@cache
def load_gate_rules() -> GateRules:
    return GateRules.from_dict(load_rule_file("screening", "gate"))


@dataclass(frozen=True, slots=True)
class ScreeningOverview:
    """Everything the patient page shows about screening, consent and the gate, newest first."""

    screenings: list[ScreeningRecord]
    reviews: dict[UUID, ScreeningReview]
    consents: list[Consent]
    gate_checks: list[GateCheck]

    @property
    def active_consents(self) -> list[Consent]:
        return [c for c in self.consents if c.is_active]


def _patient_or_404(uow: UnitOfWork, patient_id: UUID) -> None:
    if uow.patients.latest(patient_id) is None:
        raise NotFound("patient", patient_id)


def record_screening(
    svc: AppServices, actor: Actor, patient_id: UUID, data: Mapping[str, object], *, purpose: str, codes: CodeSystem
) -> ScreeningRecord:
    """Screen an intake for a patient and keep the input snapshot, the result and the rule-set version."""
    require(actor, Permission.SCREENING_RECORD)
    try:
        checked_purpose = Purpose(purpose)
    except ValueError:
        raise InputError("purpose", "intake or pre_infusion", purpose) from None
    now = svc.clock.now()
    intake = check_intake(data, codes)
    result = screen_patient(intake, load_screening_rules(), now_utc=now)
    record = ScreeningRecord(
        id=uuid4(),
        patient_id=patient_id,
        purpose=checked_purpose,
        intake=intake.to_json(),
        result=result.to_json(),
        decision=result.decision,
        ruleset=result.ruleset,
        urgent_safety_referral=result.urgent_safety_referral,
        screened_at_utc=now,
        screened_by=actor.username,
    )
    with svc.uow_factory() as uow:
        _patient_or_404(uow, patient_id)
        uow.screenings.add_screening(record)
        record_audit(
            uow,
            svc.clock,
            actor,
            "screening.record",
            ActionCode.CREATE,
            patient_id=patient_id,
            resource_type="Screening",
            resource_id=str(record.id),
            detail=f"{purpose}: {result.decision.value}",
        )
        uow.commit()
    return record


def review_screening(
    svc: AppServices, actor: Actor, screening_id: UUID, *, outcome: object, reason: object
) -> ScreeningReview:
    """A physician documents the decision on a held screening (proceed or not, and why)."""
    require(actor, Permission.SCREENING_REVIEW)
    with svc.uow_factory() as uow:
        screening = uow.screenings.get_screening(screening_id)
        if screening is None:
            raise NotFound("screening", screening_id)
        checked_outcome, checked_reason = check_review(screening, outcome, reason)
        review = ScreeningReview(
            id=uuid4(),
            screening_id=screening_id,
            outcome=checked_outcome,
            reason=checked_reason,
            decided_at_utc=svc.clock.now(),
            decided_by=actor.username,
            decided_by_role=actor.role.value if actor.role else "system",
        )
        uow.screenings.add_review(review)
        record_audit(
            uow,
            svc.clock,
            actor,
            "screening.review",
            ActionCode.CREATE,
            patient_id=screening.patient_id,
            resource_type="ScreeningReview",
            resource_id=str(review.id),
            detail=checked_outcome.value,
        )
        uow.commit()
    return review


def record_consent(
    svc: AppServices, actor: Actor, patient_id: UUID, *, sheet_id: str, signed_by_name: object, signed_on: object
) -> Consent:
    """Record informed consent to a protocol's information sheet (the version shown is stored with it)."""
    require(actor, Permission.CONSENT_RECORD)
    sheet = get_information_sheet(sheet_id)
    name = str(signed_by_name or "").strip()
    if not 2 <= len(name) <= 200:
        raise InputError("signed_by_name", "the name the patient signed with (2-200 characters)", signed_by_name)
    try:
        signed = date.fromisoformat(str(signed_on))
    except ValueError:
        raise InputError("signed_on", "a date as YYYY-MM-DD", signed_on) from None
    today = clinic_today(svc)
    if signed > today or (today - signed).days > CONSENT_BACKDATE_MAX_DAYS:
        raise InputError("signed_on", f"today or up to {CONSENT_BACKDATE_MAX_DAYS} days ago", signed_on)
    consent = Consent(
        id=uuid4(),
        patient_id=patient_id,
        sheet_id=sheet.id,
        sheet_version=sheet.version,
        explained_by=actor.username,
        signed_by_name=name,
        signed_on=signed,
        recorded_at_utc=svc.clock.now(),
        recorded_by=actor.username,
    )
    with svc.uow_factory() as uow:
        _patient_or_404(uow, patient_id)
        uow.screenings.add_consent(consent)
        record_audit(
            uow,
            svc.clock,
            actor,
            "consent.record",
            ActionCode.CREATE,
            patient_id=patient_id,
            resource_type="Consent",
            resource_id=str(consent.id),
            detail=f"{sheet.id} {sheet.version}",
        )
        uow.commit()
    return consent


def withdraw_consent(svc: AppServices, actor: Actor, patient_id: UUID, consent_id: UUID, reason: object) -> None:
    """The patient withdraws consent; the record stays, with the withdrawal beside it."""
    require(actor, Permission.CONSENT_RECORD)
    text = check_reason(reason)
    with svc.uow_factory() as uow:
        if consent_id not in {c.id for c in uow.screenings.list_consents(patient_id)}:
            raise NotFound("consent", consent_id)
        uow.screenings.withdraw_consent(consent_id, text, svc.clock.now(), actor.username)
        record_audit(
            uow,
            svc.clock,
            actor,
            "consent.withdraw",
            ActionCode.UPDATE,
            patient_id=patient_id,
            resource_type="Consent",
            resource_id=str(consent_id),
        )
        uow.commit()


def run_pre_infusion_gate(
    svc: AppServices, actor: Actor, patient_id: UUID, *, confirmed: list[str], escort_name: str = ""
) -> GateCheck:
    """Evaluate the gate now from today's pre-infusion screening, its review, consent and the checklist."""
    require(actor, Permission.SCREENING_RECORD)
    unknown = sorted(set(confirmed) - set(CONFIRMED_BY_STAFF) - {"escort"})
    if unknown:
        raise InputError("confirmed", "items among " + ", ".join(CONFIRMED_BY_STAFF), unknown)
    if len(escort_name) > 200:
        raise InputError("escort_name", "at most 200 characters")
    checklist = GateChecklist(confirmed=frozenset(confirmed), escort_name=escort_name.strip())
    now = svc.clock.now()
    with svc.uow_factory() as uow:
        _patient_or_404(uow, patient_id)
        screenings = [s for s in uow.screenings.list_screenings(patient_id) if s.purpose is Purpose.PRE_INFUSION]
        latest = screenings[-1] if screenings else None
        review = uow.screenings.review_for(latest.id) if latest else None
        consents = [c for c in uow.screenings.list_consents(patient_id) if c.is_active]
        result = evaluate_gate(
            latest, review, consents[-1] if consents else None, checklist, load_gate_rules(), now_utc=now
        )
        check = GateCheck(
            id=uuid4(),
            patient_id=patient_id,
            screening_id=latest.id if latest else None,
            checklist=checklist.to_json(),
            result=result.to_json(),
            decision=result.decision,
            clear=result.is_clear,
            checked_at_utc=now,
            checked_by=actor.username,
        )
        uow.screenings.add_gate_check(check)
        record_audit(
            uow,
            svc.clock,
            actor,
            "gate.check",
            ActionCode.EXECUTE,
            patient_id=patient_id,
            resource_type="GateCheck",
            resource_id=str(check.id),
            detail=result.decision.value,
        )
        uow.commit()
    return check


def get_screening_overview(svc: AppServices, actor: Actor, patient_id: UUID) -> ScreeningOverview:
    """A patient's screenings, reviews, consents and gate checks (audited as one read)."""
    require(actor, Permission.SCREENING_READ)
    with svc.uow_factory() as uow:
        _patient_or_404(uow, patient_id)
        screenings = uow.screenings.list_screenings(patient_id)
        reviews = {s.id: r for s in screenings if (r := uow.screenings.review_for(s.id)) is not None}
        overview = ScreeningOverview(
            screenings=list(reversed(screenings)),
            reviews=reviews,
            consents=list(reversed(uow.screenings.list_consents(patient_id))),
            gate_checks=list(reversed(uow.screenings.list_gate_checks(patient_id))),
        )
        record_audit(
            uow, svc.clock, actor, "screening.read", ActionCode.READ, patient_id=patient_id, resource_type="Screening"
        )
        uow.commit()
    return overview
