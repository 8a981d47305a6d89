"""SQL storage of screenings, physicians' reviews, consents and gate checks (all append-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaflow.domain.basis import Decision, JsonValue, RuleRef
from ketaflow.domain.errors import Conflict
from ketaflow.domain.screening.records import (
    Consent,
    GateCheck,
    Purpose,
    ReviewOutcome,
    ScreeningRecord,
    ScreeningReview,
)
from ketaflow.storage.tables import (
    ConsentRow,
    ConsentWithdrawalRow,
    GateCheckRow,
    ScreeningReviewRow,
    ScreeningRow,
)


def _json(value: dict[str, Any]) -> dict[str, JsonValue]:
    return cast(dict[str, JsonValue], value)  # stored JSON read back is JSON


def _screening(row: ScreeningRow) -> ScreeningRecord:
    return ScreeningRecord(
        id=row.id,
        patient_id=row.patient_id,
        purpose=Purpose(row.purpose),
        intake=_json(row.intake),
        result=_json(row.result),
        decision=Decision(row.decision),
        ruleset=RuleRef(row.ruleset_id, row.ruleset_version),
        urgent_safety_referral=row.urgent_safety_referral,
        screened_at_utc=row.screened_at_utc,
        screened_by=row.screened_by,
    )


def _review(row: ScreeningReviewRow) -> ScreeningReview:
    return ScreeningReview(
        id=row.id,
        screening_id=row.screening_id,
        outcome=ReviewOutcome(row.outcome),
        reason=row.reason,
        decided_at_utc=row.decided_at_utc,
        decided_by=row.decided_by,
        decided_by_role=row.decided_by_role,
    )


class SqlScreeningRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_screening(self, record: ScreeningRecord) -> None:
        self.session.add(
            ScreeningRow(
                id=record.id,
                patient_id=record.patient_id,
                purpose=record.purpose.value,
                intake=record.intake,
                result=record.result,
                decision=record.decision.value,
                ruleset_id=record.ruleset.id,
                ruleset_version=record.ruleset.version,
                urgent_safety_referral=record.urgent_safety_referral,
                screened_at_utc=record.screened_at_utc,
                screened_by=record.screened_by,
            )
        )
        self.session.flush()

    def get_screening(self, screening_id: UUID) -> ScreeningRecord | None:
        row = self.session.get(ScreeningRow, screening_id)
        return _screening(row) if row else None

    def list_screenings(self, patient_id: UUID) -> list[ScreeningRecord]:
        rows = self.session.scalars(
            select(ScreeningRow).where(ScreeningRow.patient_id == patient_id).order_by(ScreeningRow.screened_at_utc)
        )
        return [_screening(r) for r in rows]

    def add_review(self, review: ScreeningReview) -> None:
        self.session.add(
            ScreeningReviewRow(
                id=review.id,
                screening_id=review.screening_id,
                outcome=review.outcome.value,
                reason=review.reason,
                decided_at_utc=review.decided_at_utc,
                decided_by=review.decided_by,
                decided_by_role=review.decided_by_role,
            )
        )
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict("this screening already has a documented decision") from exc

    def review_for(self, screening_id: UUID) -> ScreeningReview | None:
        row = self.session.scalars(
            select(ScreeningReviewRow).where(ScreeningReviewRow.screening_id == screening_id)
        ).first()
        return _review(row) if row else None

    def add_consent(self, consent: Consent) -> None:
        self.session.add(
            ConsentRow(
                id=consent.id,
                patient_id=consent.patient_id,
                sheet_id=consent.sheet_id,
                sheet_version=consent.sheet_version,
                explained_by=consent.explained_by,
                signed_by_name=consent.signed_by_name,
                signed_on=consent.signed_on,
                recorded_at_utc=consent.recorded_at_utc,
                recorded_by=consent.recorded_by,
            )
        )
        self.session.flush()

    def withdraw_consent(self, consent_id: UUID, reason: str, at_utc: datetime, by: str) -> None:
        self.session.add(
            ConsentWithdrawalRow(
                id=uuid4(), consent_id=consent_id, reason=reason, withdrawn_at_utc=at_utc, withdrawn_by=by
            )
        )
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict("this consent has already been withdrawn") from exc

    def list_consents(self, patient_id: UUID) -> list[Consent]:
        rows = self.session.execute(
            select(ConsentRow, ConsentWithdrawalRow)
            .outerjoin(ConsentWithdrawalRow, ConsentWithdrawalRow.consent_id == ConsentRow.id)
            .where(ConsentRow.patient_id == patient_id)
            .order_by(ConsentRow.recorded_at_utc)
        )
        return [
            Consent(
                id=c.id,
                patient_id=c.patient_id,
                sheet_id=c.sheet_id,
                sheet_version=c.sheet_version,
                explained_by=c.explained_by,
                signed_by_name=c.signed_by_name,
                signed_on=c.signed_on,
                recorded_at_utc=c.recorded_at_utc,
                recorded_by=c.recorded_by,
                withdrawn_at_utc=w.withdrawn_at_utc if w else None,
                withdrawal_reason=w.reason if w else "",
            )
            for c, w in rows
        ]

    def add_gate_check(self, check: GateCheck) -> None:
        self.session.add(
            GateCheckRow(
                id=check.id,
                patient_id=check.patient_id,
                screening_id=check.screening_id,
                checklist=check.checklist,
                result=check.result,
                decision=check.decision.value,
                clear=check.clear,
                checked_at_utc=check.checked_at_utc,
                checked_by=check.checked_by,
            )
        )
        self.session.flush()

    def list_gate_checks(self, patient_id: UUID) -> list[GateCheck]:
        rows = self.session.scalars(
            select(GateCheckRow).where(GateCheckRow.patient_id == patient_id).order_by(GateCheckRow.checked_at_utc)
        )
        return [
            GateCheck(
                id=r.id,
                patient_id=r.patient_id,
                screening_id=r.screening_id,
                checklist=_json(r.checklist),
                result=_json(r.result),
                decision=Decision(r.decision),
                clear=r.clear,
                checked_at_utc=r.checked_at_utc,
                checked_by=r.checked_by,
            )
            for r in rows
        ]
