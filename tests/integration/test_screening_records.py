"""Screenings, reviews, consents and gate checks are kept whole, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import text

from ketaflow.domain.access import Role
from ketaflow.domain.errors import AccessDenied, Conflict, InputError
from ketaflow.services import patients, screening
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor
from tests.conftest import Database
from tests.fakes import FakeClock

NURSE = Actor(None, "nurse", Role.NURSE, "10.0.0.8")
PHYSICIAN = Actor(None, "physician", Role.PHYSICIAN, "10.0.0.9")
PATIENT = {"family_name": "Rivera", "given_names": "Ana", "date_of_birth": "1984-03-02", "sex": "female"}


def intake(clock: FakeClock, **vitals: Any) -> dict[str, Any]:
    return {
        "patient": {
            "age_years": 42,
            "sex": "female",
            "weight_kg": 70.0,
            "height_cm": 168.0,
            "pregnant": False,
            "breastfeeding": False,
        },
        "indication": "treatment_resistant_depression",
        "vitals": {
            "systolic_mmhg": 128,
            "diastolic_mmhg": 82,
            "heart_rate_bpm": 72,
            "spo2_pct": 98,
            "respiratory_rate_per_min": 14,
            "measured_at": clock.now().isoformat(),
            **vitals,
        },
        "conditions": [{"code": "F33.2", "clinical_status": "active"}],
        "antidepressant_trials": [
            {"drug": "escitalopram", "adequate": True, "outcome": "no_response"},
            {"drug": "sertraline", "adequate": True, "outcome": "no_response"},
        ],
        "assessments": {"cssrs_screener": {"q1": False, "q2": False, "q6_lifetime": False, "q6_past_3_months": False}},
    }


@pytest.fixture
def patient_id(services: AppServices) -> Any:
    return patients.register_patient(services, Actor.system("test"), "KF-SCR", PATIENT).patient_id


def test_a_screening_keeps_its_snapshot_result_and_ruleset(
    services: AppServices, clock: FakeClock, patient_id: Any
) -> None:
    record = screening.record_screening(
        services, NURSE, patient_id, intake(clock), purpose="intake", codes=services.codes
    )

    stored = screening.get_screening_overview(services, NURSE, patient_id).screenings[0]

    assert stored == record
    assert stored.ruleset.id == "ketaflow.screening" and stored.ruleset.version
    assert stored.intake["indication"] == "treatment_resistant_depression"


def test_a_hold_is_reviewed_once_by_a_physician_only(services: AppServices, clock: FakeClock, patient_id: Any) -> None:
    held = screening.record_screening(
        services,
        NURSE,
        patient_id,
        intake(clock, systolic_mmhg=150, diastolic_mmhg=95),
        purpose="pre_infusion",
        codes=services.codes,
    )
    assert held.decision.value == "hold"

    with pytest.raises(AccessDenied):
        screening.review_screening(services, NURSE, held.id, outcome="proceed", reason="looks fine to me")
    screening.review_screening(services, PHYSICIAN, held.id, outcome="proceed", reason="recheck 138/88 after rest")
    with pytest.raises(Conflict):
        screening.review_screening(services, PHYSICIAN, held.id, outcome="do_not_proceed", reason="changed my mind")

    assert screening.get_screening_overview(services, NURSE, patient_id).reviews[held.id].reason.startswith("recheck")


def test_the_gate_clears_with_screening_consent_and_checklist(
    services: AppServices, clock: FakeClock, patient_id: Any
) -> None:
    screening.record_screening(services, NURSE, patient_id, intake(clock), purpose="pre_infusion", codes=services.codes)
    blocked = screening.run_pre_infusion_gate(
        services, NURSE, patient_id, confirmed=["fasting", "escort", "medication_holds"], escort_name="Marco Rivera"
    )
    screening.record_consent(
        services,
        NURSE,
        patient_id,
        sheet_id="iv-ketamine-depression",
        signed_by_name="Ana Rivera",
        signed_on=clock.now().date().isoformat(),
    )

    clear = screening.run_pre_infusion_gate(
        services, NURSE, patient_id, confirmed=["fasting", "escort", "medication_holds"], escort_name="Marco Rivera"
    )

    assert not blocked.clear and blocked.decision.value == "block"
    assert clear.clear
    assert [g.clear for g in screening.get_screening_overview(services, NURSE, patient_id).gate_checks] == [True, False]


def test_a_withdrawn_consent_stays_on_record_and_no_longer_counts(
    services: AppServices, clock: FakeClock, patient_id: Any
) -> None:
    given = screening.record_consent(
        services,
        NURSE,
        patient_id,
        sheet_id="iv-ketamine-depression",
        signed_by_name="Ana Rivera",
        signed_on=clock.now().date().isoformat(),
    )

    screening.withdraw_consent(services, NURSE, patient_id, given.id, "patient changed her mind")

    consents = screening.get_screening_overview(services, NURSE, patient_id).consents
    assert len(consents) == 1 and not consents[0].is_active
    assert consents[0].withdrawal_reason == "patient changed her mind"


def test_bad_intake_names_the_field_and_stores_nothing(
    database: Database, services: AppServices, clock: FakeClock, patient_id: Any
) -> None:
    bad = copy.deepcopy(intake(clock))
    bad["conditions"][0]["code"] = "F99.9"

    with pytest.raises(InputError, match=r"conditions\[0\]\.code"):
        screening.record_screening(services, NURSE, patient_id, bad, purpose="intake", codes=services.codes)

    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM screenings")).scalar_one() == 0
