"""Stored questionnaire answers and one-time patient links: the records, and the rules of a link's life.

A response keeps the answers exactly as scored, with the rule set (instrument id and version) that scored them,
so a later version of a scale never changes an old result. A link is answered once, before it expires; the
storage makes "once" hold under concurrency (a second use breaks a unique constraint).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid4

from ketaflow.domain.basis import Effect, Finding, RuleRef
from ketaflow.domain.errors import InputError
from ketaflow.domain.outcomes import ScorePoint
from ketaflow.domain.scales import Answer, Respondent, ScaleResult

_URGENT = frozenset({Effect.BLOCK, Effect.HOLD})
LINK_RECORDED_BY_PREFIX = "patient-link:"


class LinkState(StrEnum):
    """Where a link is in its life: it can be answered, or it is closed for one of two reasons."""

    OPEN = "open"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True, slots=True)
class ScaleResponse:
    """One answered questionnaire as stored: answers, total, band, flags and who gave and recorded them."""

    id: UUID
    patient_id: UUID
    instrument: str
    rules: RuleRef
    items: Mapping[str, Answer | None]
    total: int | None
    band: str | None
    flags: tuple[Finding, ...]
    respondent: Respondent
    answered_at_utc: datetime
    recorded_by: str
    link_id: UUID | None = None
    session_id: UUID | None = None

    @classmethod
    def from_result(
        cls,
        result: ScaleResult,
        *,
        patient_id: UUID,
        respondent: Respondent,
        answered_at_utc: datetime,
        recorded_by: str,
        link_id: UUID | None = None,
        session_id: UUID | None = None,
    ) -> ScaleResponse:
        """A new record of a scored result (a fresh id)."""
        return cls(
            id=uuid4(),
            patient_id=patient_id,
            instrument=result.instrument,
            rules=result.rules,
            items=dict(result.items),
            total=result.total,
            band=result.band,
            flags=result.flags,
            respondent=respondent,
            answered_at_utc=answered_at_utc,
            recorded_by=recorded_by,
            link_id=link_id,
            session_id=session_id,
        )

    @property
    def urgent_flags(self) -> tuple[Finding, ...]:
        """The flags that ask for an urgent alert to the physician (effect block or hold)."""
        return tuple(flag for flag in self.flags if flag.effect in _URGENT)

    @property
    def urgent(self) -> bool:
        return bool(self.urgent_flags)

    @property
    def score_point(self) -> ScorePoint | None:
        """The total at the time it was answered, for outcomes and charts; None for a triage-only instrument."""
        return None if self.total is None else ScorePoint(at=self.answered_at_utc, total=self.total)


@dataclass(frozen=True, slots=True)
class QuestionnaireLink:
    """A one-time link for a patient to answer questionnaires; only the SHA-256 of its token is kept."""

    id: UUID
    patient_id: UUID
    instruments: tuple[str, ...]
    token_sha256: str
    created_at_utc: datetime
    created_by: str
    expires_at_utc: datetime
    used_at_utc: datetime | None = None

    @classmethod
    def create(
        cls,
        *,
        patient_id: UUID,
        instruments: tuple[str, ...],
        token_sha256: str,
        created_at_utc: datetime,
        created_by: str,
        valid_for: timedelta,
        max_valid_for: timedelta,
    ) -> QuestionnaireLink:
        """A new link valid for ``valid_for`` (more than zero, at most ``max_valid_for``), for one or more instruments.

        >>> from datetime import UTC
        >>> at = datetime(2026, 11, 25, 14, tzinfo=UTC)
        >>> link = QuestionnaireLink.create(patient_id=uuid4(), instruments=("phq9",), token_sha256="0" * 64,
        ...     created_at_utc=at, created_by="nurse", valid_for=timedelta(hours=72), max_valid_for=timedelta(days=7))
        >>> link.expires_at_utc.isoformat(), link.state_at(at).value
        ('2026-11-28T14:00:00+00:00', 'open')
        """
        if not instruments:
            raise InputError("instruments", "at least one questionnaire")
        if len(set(instruments)) != len(instruments):
            raise InputError("instruments", "each questionnaire once", list(instruments))
        if not timedelta(0) < valid_for <= max_valid_for:
            hours = max_valid_for.total_seconds() / 3600
            raise InputError("valid_for_hours", f"a number of hours above 0 and at most {hours:g}")
        return cls(
            id=uuid4(),
            patient_id=patient_id,
            instruments=instruments,
            token_sha256=token_sha256,
            created_at_utc=created_at_utc,
            created_by=created_by,
            expires_at_utc=created_at_utc + valid_for,
        )

    @property
    def recorded_by(self) -> str:
        """How answers given through this link name who recorded them."""
        return f"{LINK_RECORDED_BY_PREFIX}{self.id}"

    def state_at(self, now_utc: datetime) -> LinkState:
        """Used beats expired; a link expires at its expiry time exactly.

        >>> from datetime import UTC
        >>> at = datetime(2026, 11, 25, 14, tzinfo=UTC)
        >>> link = QuestionnaireLink(uuid4(), uuid4(), ("phq9",), "0" * 64, at, "nurse", at + timedelta(hours=1))
        >>> [link.state_at(at + timedelta(minutes=m)).value for m in (59, 60)]
        ['open', 'expired']
        """
        if self.used_at_utc is not None:
            return LinkState.USED
        if now_utc >= self.expires_at_utc:
            return LinkState.EXPIRED
        return LinkState.OPEN
