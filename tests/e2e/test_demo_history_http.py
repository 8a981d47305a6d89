"""Synthetic demo patients are marked on the pages that show them."""

from __future__ import annotations

from ketaflow.domain.access import Role
from ketaflow.services import patients, sessions
from ketaflow.services.context import Actor
from ketaflow.services.demo_history import generate_clinic_history
from tests.conftest import Clinic
from tests.session_setup import prepare_patient_for_session

CONSOLE = Actor.system("test")
BADGE = "Synthetic demo patient"


def test_the_patient_page_of_a_synthetic_patient_shows_the_badge_and_a_real_one_does_not(clinic: Clinic) -> None:
    generate_clinic_history(clinic.services, patients=1)
    synthetic = patients.search_patients(clinic.services, CONSOLE, "SYN-")[0]
    real = patients.register_patient(
        clinic.services,
        CONSOLE,
        "KF-9001",
        {"family_name": "Real", "given_names": "Person", "date_of_birth": "1980-01-01", "sex": "female"},
    )
    client = clinic.login(Role.NURSE)

    synthetic_page = client.get(f"/patients/{synthetic.patient_id}")
    real_page = client.get(f"/patients/{real.patient_id}")

    assert synthetic_page.status_code == 200 and 'id="synthetic-badge"' in synthetic_page.text
    assert real_page.status_code == 200 and BADGE not in real_page.text


def test_search_results_mark_only_the_synthetic_patients(clinic: Clinic) -> None:
    generate_clinic_history(clinic.services, patients=2)
    patients.register_patient(
        clinic.services,
        CONSOLE,
        "KF-9002",
        {"family_name": "Real", "given_names": "Person", "date_of_birth": "1980-01-01", "sex": "male"},
    )
    client = clinic.login(Role.FRONT_DESK)

    page = client.get("/patients/_results", params={"q": ""})

    assert page.status_code == 200
    assert page.text.count(BADGE) == 2


def test_a_synthetic_patients_session_and_chair_on_the_board_are_marked(clinic: Clinic) -> None:
    patient_id, order_id = prepare_patient_for_session(clinic.services)
    with clinic.services.uow_factory() as uow:
        uow.courses.mark_synthetic(patient_id, clinic.services.clock.now(), "test", 1)
        uow.commit()
    session_id = sessions.check_in(clinic.services, CONSOLE, patient_id, order_id=str(order_id), chair="S1")
    real_patient, real_order = prepare_patient_for_session(clinic.services, family_name="Real")
    real_session = sessions.check_in(clinic.services, CONSOLE, real_patient, order_id=str(real_order), chair="R1")
    client = clinic.login(Role.NURSE)

    assert 'id="synthetic-badge"' in client.get(f"/sessions/{session_id}").text
    assert BADGE not in client.get(f"/sessions/{real_session}").text
    assert client.get("/board/fragment").text.count(BADGE) == 1
