"""What the clinic keeps of a screening: the snapshot, the result, a physician's review of a hold, consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from ketaflow.domain.basis import Decision, JsonValue, RuleRef
from ketaflow.domain.errors import Conflict, InputError

REASON_MIN_CHARS = 10
REASON_MAX_CHARS = 1000


class Purpose(StrEnum):
    """Why the rules were run: at intake, or as the gate before an infusion."""

    INTAKE = "intake"
    PRE_INFUSION = "pre_infusion"


class ReviewOutcome(StrEnum):
    """A physician's documented decision on a held screening."""

    PROCEED = "proceed"
    DO_NOT_PROCEED = "do_not_proceed"


@dataclass(frozen=True, slots=True)
class ScreeningRecord:
    """A screening as it was run: the intake snapshot, the full result and the rule set that made it."""

    id: UUID
    patient_id: UUID
    purpose: Purpose
    intake: dict[str, JsonValue]
    result: dict[str, JsonValue]
    decision: Decision
    ruleset: RuleRef
    urgent_safety_referral: bool
    screened_at_utc: datetime
    screened_by: str


@dataclass(frozen=True, slots=True)
class ScreeningReview:
    """A physician's decision on a hold, with the reason; the screening itself is never changed."""

    id: UUID
    screening_id: UUID
    outcome: ReviewOutcome
    reason: str
    decided_at_utc: datetime
    decided_by: str
    decided_by_role: str


def check_review(screening: ScreeningRecord, outcome: object, reason: object) -> tuple[ReviewOutcome, str]:
    """Only a hold needs (and admits) a physician's decision; a block is contraindicated today.

    >>> from uuid import uuid4
    >>> from ketaflow.domain.basis import RuleRef
    >>> s = ScreeningRecord(uuid4(), uuid4(), Purpose.INTAKE, {}, {}, Decision.BLOCK, RuleRef("r", "1"),
    ...                     False, datetime(2026, 1, 1), "nurse")
    >>> check_review(s, "proceed", "reviewed the history in person")
    Traceback (most recent call last):
    ketaflow.domain.errors.Conflict: only a held screening can be reviewed; this one is block (contraindicated today)
    """
    if screening.decision is not Decision.HOLD:
        detail = " (contraindicated today)" if screening.decision is Decision.BLOCK else ""
        raise Conflict(f"only a held screening can be reviewed; this one is {screening.decision.value}{detail}")
    try:
        checked_outcome = ReviewOutcome(str(outcome))
    except ValueError:
        raise InputError("outcome", "proceed or do_not_proceed", outcome) from None
    text = str(reason or "").strip()
    if not REASON_MIN_CHARS <= len(text) <= REASON_MAX_CHARS:
        raise InputError("reason", f"the clinical reasoning ({REASON_MIN_CHARS}-{REASON_MAX_CHARS} characters)", reason)
    return checked_outcome, text


@dataclass(frozen=True, slots=True)
class Consent:
    """Informed consent for a protocol: which sheet (and version) was explained, by whom, signed when."""

    id: UUID
    patient_id: UUID
    sheet_id: str
    sheet_version: str
    explained_by: str
    signed_by_name: str
    signed_on: date
    recorded_at_utc: datetime
    recorded_by: str
    withdrawn_at_utc: datetime | None = None
    withdrawal_reason: str = ""

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at_utc is None


@dataclass(frozen=True, slots=True)
class GateCheck:
    """A pre-infusion gate as it was evaluated: the checklist, the result and whether it was clear."""

    id: UUID
    patient_id: UUID
    screening_id: UUID | None
    checklist: dict[str, JsonValue]
    result: dict[str, JsonValue]
    decision: Decision
    clear: bool
    checked_at_utc: datetime
    checked_by: str
