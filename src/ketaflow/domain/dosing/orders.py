"""A dose order: the plan as computed, the physician's acknowledgement, and a signature bound to a digest.

A signed order never changes: its SHA-256 covers the canonical JSON of everything the signer saw, so any
later change to the stored order is detected by ``verify_order`` (GNU Health's signed-document model).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ketaflow.domain.basis import Decision, JsonValue, RuleRef
from ketaflow.domain.errors import DosingError, InputError

ACKNOWLEDGEMENT_MIN_CHARS = 10


@dataclass(frozen=True, slots=True)
class OrderSignature:
    sha256: str
    signed_at_utc: datetime
    signed_by: str


@dataclass(frozen=True, slots=True)
class DoseOrder:
    id: UUID
    patient_id: UUID
    protocol: RuleRef
    inputs: dict[str, JsonValue]
    plan: dict[str, JsonValue]
    decision: Decision
    acknowledgement: str
    created_at_utc: datetime
    created_by: str
    signature: OrderSignature | None = None

    @property
    def is_signed(self) -> bool:
        return self.signature is not None


def canonical_order(order: DoseOrder) -> bytes:
    """The exact bytes a signature covers: every field of the order, canonical JSON, UTC times."""
    body = {
        "id": str(order.id),
        "patient_id": str(order.patient_id),
        "protocol": order.protocol.to_json(),
        "inputs": order.inputs,
        "plan": order.plan,
        "decision": order.decision.value,
        "acknowledgement": order.acknowledgement,
        "created_at_utc": order.created_at_utc.isoformat(timespec="microseconds"),
        "created_by": order.created_by,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def order_digest(order: DoseOrder) -> str:
    return hashlib.sha256(canonical_order(order)).hexdigest()


def check_order_decision(decision: Decision, acknowledgement: str) -> str:
    """A block cannot be ordered; a hold needs the physician's reason; returns the checked reason.

    >>> check_order_decision(Decision.PROCEED, "")
    ''
    >>> check_order_decision(Decision.BLOCK, "please")
    Traceback (most recent call last):
    ketaflow.domain.errors.DosingError: the plan is outside a hard limit: no order can be made or signed
    """
    text = acknowledgement.strip()
    if decision is Decision.BLOCK:
        raise DosingError("the plan is outside a hard limit: no order can be made or signed")
    if decision is Decision.HOLD and len(text) < ACKNOWLEDGEMENT_MIN_CHARS:
        raise InputError(
            "acknowledgement",
            f"the reason for ordering outside the protocol's range (at least {ACKNOWLEDGEMENT_MIN_CHARS} characters)",
        )
    return text


@dataclass(frozen=True, slots=True)
class OrderVerification:
    ok: bool
    stored_sha256: str
    computed_sha256: str


def verify_order(order: DoseOrder) -> OrderVerification:
    """Recompute the digest of a signed order and compare it with the one stored at signing."""
    if order.signature is None:
        raise DosingError("the order is not signed yet")
    computed = order_digest(order)
    return OrderVerification(computed == order.signature.sha256, order.signature.sha256, computed)
