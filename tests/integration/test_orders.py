"""Dose orders and protocol versions, on SQLite and PostgreSQL: limits, signing, tamper detection."""

from __future__ import annotations

import json
from typing import Any

import pyotp
import pytest
from sqlalchemy import text

from ketaflow.domain.access import Role
from ketaflow.domain.errors import AccessDenied, AuthenticationFailed, Conflict, DosingError, InputError
from ketaflow.services import orders, patients, screening, users
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor
from ketaflow.services.orders import OrderRequest
from tests.conftest import PASSWORD, Database
from tests.fakes import FakeClock

CONSOLE = Actor.system("test")
NURSE = Actor(None, "nurse", Role.NURSE)
STANDARD = OrderRequest(protocol_id="depression_standard", drug_mg=100, volume_ml=100)


@pytest.fixture
def physician(services: AppServices, clock: FakeClock) -> tuple[Actor, str]:
    """A physician with an enrolled authenticator: (actor, TOTP secret)."""
    user = users.create_user(
        services,
        CONSOLE,
        username="dr.okafor",
        display_name="Dr Okafor",
        role="physician",
        password=PASSWORD,
        must_change_password=False,
    )
    secret = pyotp.random_base32()
    with services.uow_factory() as uow:
        from dataclasses import replace

        uow.users.save(replace(user, totp_enrolled=True, totp_secret_encrypted=services.secret_box.seal(secret)))
        uow.commit()
    return Actor(user.id, user.username, Role.PHYSICIAN), secret


def _patient(services: AppServices, clock: FakeClock, *, weight_kg: float = 70.0, screened: str = "proceed") -> Any:
    pid = patients.register_patient(
        services,
        CONSOLE,
        "KF-ORD",
        {"family_name": "Order", "given_names": "Test", "date_of_birth": "1984-03-02", "sex": "female"},
    ).patient_id
    today = clock.now().date().isoformat()
    patients.record_measurement(services, CONSOLE, pid, kind="weight", value=weight_kg, measured_on=today)
    patients.record_measurement(services, CONSOLE, pid, kind="height", value=168, measured_on=today)
    systolic = 128 if screened == "proceed" else 150
    screening.record_screening(
        services,
        NURSE,
        pid,
        {
            "patient": {
                "age_years": 42,
                "sex": "female",
                "weight_kg": weight_kg,
                "height_cm": 168,
                "pregnant": False,
                "breastfeeding": False,
            },
            "indication": "ptsd",
            "vitals": {
                "systolic_mmhg": systolic,
                "diastolic_mmhg": 80,
                "spo2_pct": 98,
                "measured_at": clock.now().isoformat(),
            },
            "assessments": {
                "cssrs_screener": {"q1": False, "q2": False, "q6_lifetime": False, "q6_past_3_months": False}
            },
        },
        purpose="intake",
        codes=services.codes,
    )
    return pid


def test_the_standard_order_computes_mg_rate_and_pump_numbers(
    services: AppServices, clock: FakeClock, physician: tuple[Actor, str]
) -> None:
    pid = _patient(services, clock)

    order = orders.create_order(services, physician[0], pid, STANDARD)

    plan = order.plan
    assert (plan["dose_mg"], plan["rate_mg_per_h"], plan["rate_ml_per_h"], plan["vtbi_ml"]) == (35.0, 52.5, 52.5, 35.0)
    assert order.protocol.id == "depression_standard" and order.inputs["weight_measured_on"]


def test_a_tenfold_slip_cannot_be_ordered(
    services: AppServices, clock: FakeClock, physician: tuple[Actor, str]
) -> None:
    pid = _patient(services, clock)

    with pytest.raises(DosingError, match="hard limit"):
        orders.create_order(
            services, physician[0], pid, OrderRequest("depression_standard", 100, 100, dose_mg_per_kg=5)
        )


def test_outside_the_soft_range_needs_a_reason(
    services: AppServices, clock: FakeClock, physician: tuple[Actor, str]
) -> None:
    pid = _patient(services, clock)
    request = OrderRequest("depression_standard", 100, 100, dose_mg_per_kg=1.2)

    with pytest.raises(InputError, match="acknowledgement"):
        orders.create_order(services, physician[0], pid, request)
    order = orders.create_order(
        services,
        physician[0],
        pid,
        OrderRequest(
            "depression_standard",
            100,
            100,
            dose_mg_per_kg=1.2,
            acknowledgement="partial response at 1.0 mg/kg over 3 infusions",
        ),
    )

    assert order.decision.value == "hold" and order.acknowledgement.startswith("partial response")


def test_a_held_screening_without_a_documented_decision_blocks_the_order(
    services: AppServices, clock: FakeClock, physician: tuple[Actor, str]
) -> None:
    pid = _patient(services, clock, screened="hold")

    with pytest.raises(DosingError, match="screening gate not clear"):
        orders.create_order(services, physician[0], pid, STANDARD)


def test_signing_needs_the_password_and_a_fresh_code_and_binds_a_digest(
    database: Database, services: AppServices, clock: FakeClock, physician: tuple[Actor, str]
) -> None:
    actor, secret = physician
    pid = _patient(services, clock)
    order = orders.create_order(services, actor, pid, STANDARD)
    code = pyotp.TOTP(secret).at(clock.now())

    with pytest.raises(AuthenticationFailed):
        orders.sign_order(services, actor, order.id, password="wrong password!", totp_code=code)
    signed = orders.sign_order(services, actor, order.id, password=PASSWORD, totp_code=code)
    with pytest.raises(Conflict):
        orders.sign_order(services, actor, order.id, password=PASSWORD, totp_code=code)

    assert signed.signature is not None and len(signed.signature.sha256) == 64
    assert orders.verify_order(services, actor, order.id).ok


def test_a_code_already_used_cannot_sign(services: AppServices, clock: FakeClock, physician: tuple[Actor, str]) -> None:
    actor, secret = physician
    pid = _patient(services, clock)
    first = orders.create_order(services, actor, pid, STANDARD)
    second = orders.create_order(services, actor, pid, STANDARD)
    code = pyotp.TOTP(secret).at(clock.now())
    orders.sign_order(services, actor, first.id, password=PASSWORD, totp_code=code)

    with pytest.raises(AuthenticationFailed):
        orders.sign_order(services, actor, second.id, password=PASSWORD, totp_code=code)


def test_any_change_to_a_signed_order_is_detected(
    database: Database, services: AppServices, clock: FakeClock, physician: tuple[Actor, str]
) -> None:
    actor, secret = physician
    pid = _patient(services, clock)
    order = orders.create_order(services, actor, pid, STANDARD)
    orders.sign_order(services, actor, order.id, password=PASSWORD, totp_code=pyotp.TOTP(secret).at(clock.now()))
    tampered = json.dumps({**order.plan, "rate_ml_per_h": 525.0})

    with database.engine.begin() as conn:  # what a DBA could do with the guard switched off
        if database.dialect == "postgresql":
            conn.execute(text("ALTER TABLE dose_orders DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER dose_orders_no_update"))
        conn.execute(text("UPDATE dose_orders SET plan = :plan"), {"plan": tampered})

    check = orders.verify_order(services, actor, order.id)
    assert not check.ok and check.stored_sha256 != check.computed_sha256


def test_a_nurse_cannot_order_or_sign(services: AppServices, clock: FakeClock) -> None:
    pid = _patient(services, clock)

    with pytest.raises(AccessDenied):
        orders.create_order(services, NURSE, pid, STANDARD)


def test_a_protocol_revision_is_a_new_version_and_old_orders_keep_theirs(
    services: AppServices, clock: FakeClock, physician: tuple[Actor, str]
) -> None:
    director = Actor(None, "director", Role.MEDICAL_DIRECTOR)
    pid = _patient(services, clock)
    before = orders.create_order(services, physician[0], pid, STANDARD)
    current = orders.get_protocol(services, director, "depression_standard")
    revised = {**current.data, "version": "2026.12.0", "title": current.title + " (clinic revision)"}

    orders.revise_protocol(services, director, revised, "clinic adopts the slower titration policy")
    with pytest.raises(Conflict):
        orders.revise_protocol(services, director, revised, "the same version twice is refused")
    after = orders.create_order(services, physician[0], pid, STANDARD)

    assert before.protocol.version == current.version
    assert after.protocol.version == "2026.12.0"
    assert [v.version for v in orders.list_protocol_versions(services, director, "depression_standard")][:2] == [
        "2026.12.0",
        current.version,
    ]


def test_only_the_medical_director_revises_protocols(services: AppServices, physician: tuple[Actor, str]) -> None:
    with pytest.raises(AccessDenied):
        orders.revise_protocol(services, physician[0], {}, "a physician may not change the library")
