"""The audit trail as a hash chain: each event's hash covers its content and the previous event's hash.

Changing, removing or inserting a row breaks the chain at that row, which ``verify_chain`` names.
Removing rows from the end is only visible against an anchor kept elsewhere: the ``SEQ:HASH`` of the
head that ``ketaflow audit verify`` prints, which IT records outside the database and passes back with
``--anchor``; the event must still be there with that hash, however much the chain has grown since.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from ketaflow.domain.errors import InputError

GENESIS_HASH = "0" * 64


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    DENIED = "denied"
    FAILED = "failed"


class ActionCode(StrEnum):
    """FHIR AuditEvent action codes (C/R/U/D/E), so the trail exports to FHIR directly."""

    CREATE = "C"
    READ = "R"
    UPDATE = "U"
    DELETE = "D"
    EXECUTE = "E"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What happened, before it is placed in the chain."""

    action: str
    action_code: ActionCode
    outcome: AuditOutcome
    actor_user_id: UUID | None = None
    actor_username: str = ""
    actor_role: str = ""
    patient_id: UUID | None = None
    resource_type: str = ""
    resource_id: str = ""
    source_address: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """An entry placed in the chain: its sequence number, time, previous hash and own hash."""

    seq: int
    at_utc: datetime
    entry: AuditEntry
    prev_hash: str
    hash: str


def canonical_audit_payload(seq: int, at_utc: datetime, entry: AuditEntry, prev_hash: str) -> bytes:
    """The exact bytes that an event's hash covers: canonical JSON, sorted keys, UTC ISO time."""
    payload = {
        "seq": seq,
        "at_utc": at_utc.isoformat(timespec="microseconds"),
        "prev_hash": prev_hash,
        "action": entry.action,
        "action_code": entry.action_code.value,
        "outcome": entry.outcome.value,
        "actor_user_id": str(entry.actor_user_id) if entry.actor_user_id else None,
        "actor_username": entry.actor_username,
        "actor_role": entry.actor_role,
        "patient_id": str(entry.patient_id) if entry.patient_id else None,
        "resource_type": entry.resource_type,
        "resource_id": entry.resource_id,
        "source_address": entry.source_address,
        "detail": entry.detail,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_event(entry: AuditEntry, *, seq: int, at_utc: datetime, prev_hash: str) -> AuditEvent:
    """Place an entry after the event whose hash is ``prev_hash``.

    >>> from datetime import UTC
    >>> e = AuditEntry("login", ActionCode.EXECUTE, AuditOutcome.SUCCESS, actor_username="nurse")
    >>> first = chain_event(e, seq=1, at_utc=datetime(2026, 11, 25, tzinfo=UTC), prev_hash=GENESIS_HASH)
    >>> verify_chain([first]).ok
    True
    """
    digest = hashlib.sha256(canonical_audit_payload(seq, at_utc, entry, prev_hash)).hexdigest()
    return AuditEvent(seq=seq, at_utc=at_utc, entry=entry, prev_hash=prev_hash, hash=digest)


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    problem: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of checking the chain: how many events, the head hash, and every problem found."""

    events_checked: int
    head_seq: int
    head_hash: str
    problems: tuple[ChainProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def head(self) -> ChainAnchor:
        return ChainAnchor(self.head_seq, self.head_hash)


@dataclass(frozen=True, slots=True)
class ChainAnchor:
    """An event's sequence number and hash, recorded outside the database."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> ChainAnchor:
        """Read ``SEQ:HASH``.

        >>> ChainAnchor.parse("12:" + "a" * 64).seq
        12
        """
        seq, _, digest = text.strip().partition(":")
        if not seq.isdigit() or int(seq) < 1 or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise InputError(
                "anchor", "SEQ:HASH as printed by `ketaflow audit verify` (e.g. 42:3fa9…, 64 hex digits)", text
            )
        return cls(int(seq), digest)

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


def verify_chain(events: Iterable[AuditEvent], *, anchor: ChainAnchor | None = None) -> ChainReport:
    """Recompute every hash in sequence order and name each altered, removed or inserted event."""
    problems: list[ChainProblem] = []
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    head_seq = 0
    anchor_found = anchor is None
    for event in events:
        if anchor is not None and event.seq == anchor.seq:
            anchor_found = True
            if event.hash != anchor.hash:
                problems.append(ChainProblem(event.seq, "differs from the recorded anchor: the chain was rewritten"))
        count += 1
        if event.seq != expected_seq:
            what = "missing" if event.seq > expected_seq else "duplicated or out of order"
            problems.append(ChainProblem(event.seq, f"sequence jumps from {expected_seq - 1} to {event.seq}: {what}"))
        if event.prev_hash != prev_hash:
            problems.append(
                ChainProblem(
                    event.seq,
                    "previous-hash link broken: an event before it was removed, inserted or altered",
                )
            )
        recomputed = hashlib.sha256(
            canonical_audit_payload(event.seq, event.at_utc, event.entry, event.prev_hash)
        ).hexdigest()
        if recomputed != event.hash:
            problems.append(ChainProblem(event.seq, "content does not match its hash: the event was altered"))
        prev_hash = event.hash
        expected_seq = event.seq + 1
        head_seq = event.seq
    if not anchor_found:
        assert anchor is not None  # anchor_found starts True without one
        problems.append(
            ChainProblem(
                anchor.seq, f"the recorded anchor event is gone (chain ends at {head_seq}): events were removed"
            )
        )
    return ChainReport(events_checked=count, head_seq=head_seq, head_hash=prev_hash, problems=tuple(problems))
