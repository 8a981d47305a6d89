"""A signed order's digest covers everything the signer saw; any change is detected."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.basis import Decision, RuleRef
from ketaflow.domain.dosing.orders import (
    DoseOrder,
    OrderSignature,
    canonical_order,
    check_order_decision,
    order_digest,
    verify_order,
)
from ketaflow.domain.errors import DosingError, InputError

T = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ORDER = DoseOrder(
    id=UUID(int=1),
    patient_id=UUID(int=2),
    protocol=RuleRef("depression_standard", "2026.11.0"),
    inputs={"weight_kg": 70.0, "weight_measured_on": "2026-11-25"},
    plan={"dose_mg": 35.0, "rate_mg_per_h": 52.5, "rate_ml_per_h": 52.5, "vtbi_ml": 35.0},
    decision=Decision.PROCEED,
    acknowledgement="",
    created_at_utc=T,
    created_by="dr.okafor",
)


def signed(order: DoseOrder) -> DoseOrder:
    return dataclasses.replace(order, signature=OrderSignature(order_digest(order), T, "dr.okafor"))


def test_the_digest_is_sha256_of_canonical_json_and_stable() -> None:
    assert order_digest(ORDER) == order_digest(dataclasses.replace(ORDER))
    assert len(order_digest(ORDER)) == 64
    assert canonical_order(ORDER).startswith(b'{"acknowledgement":""')


def test_an_untouched_signed_order_verifies() -> None:
    assert not ORDER.is_signed and signed(ORDER).is_signed
    assert verify_order(signed(ORDER)).ok


@given(
    st.sampled_from(["dose_mg", "rate_mg_per_h", "rate_ml_per_h", "vtbi_ml"]),
    st.floats(min_value=0.1, max_value=1000, allow_nan=False).filter(lambda v: v not in (35.0, 52.5)),
)
def test_changing_any_programmed_number_after_signing_is_detected(field: str, value: float) -> None:
    order = signed(ORDER)
    tampered = dataclasses.replace(order, plan={**order.plan, field: value})

    assert not verify_order(tampered).ok


@pytest.mark.parametrize(
    "change",
    [
        {"created_by": "someone"},
        {"acknowledgement": "added later"},
        {"protocol": RuleRef("depression_standard", "9")},
        {"inputs": {"weight_kg": 80.0}},
        {"decision": Decision.HOLD},
    ],
    ids=["author", "acknowledgement", "protocol-version", "inputs", "decision"],
)
def test_changing_anything_else_is_detected_too(change: dict[str, object]) -> None:
    assert not verify_order(dataclasses.replace(signed(ORDER), **change)).ok  # type: ignore[arg-type]


def test_an_unsigned_order_has_nothing_to_verify() -> None:
    with pytest.raises(DosingError, match="not signed"):
        verify_order(ORDER)


@pytest.mark.parametrize(
    ("decision", "reason", "outcome"),
    [
        (Decision.PROCEED, "", ""),
        (Decision.PROCEED_WITH_WARNINGS, "  ", ""),
        (Decision.HOLD, "partial response at 1.0 mg/kg", "partial response at 1.0 mg/kg"),
        (Decision.HOLD, "because", InputError),
        (Decision.BLOCK, "partial response at 1.0 mg/kg", DosingError),
    ],
)
def test_holds_need_a_reason_and_blocks_are_refused(decision: Decision, reason: str, outcome: object) -> None:
    if isinstance(outcome, type):
        with pytest.raises(outcome):  # type: ignore[call-overload]
            check_order_decision(decision, reason)
    else:
        assert check_order_decision(decision, reason) == outcome
