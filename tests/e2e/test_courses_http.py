"""The treatment-course section of the patient page: start and end a course, the schedule, safety answers, the
banner for held safety signals and its review, and who sees which part."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import UUID

from ketaflow.domain.access import Role
from ketaflow.services import courses, orders, patients
from ketaflow.services.context import Actor
from tests.conftest import Clinic, csrf_of
from tests.session_setup import prepare_patient_for_session, store_session

CONSOLE = Actor.system("test")
PLAN = "depression_induction_maintenance"
BANNER = "Safety signal — physician review needed"


def _patient(clinic: Clinic) -> UUID:
    raw = {"family_name": "Rivera", "given_names": "Ana", "date_of_birth": "1984-03-02", "sex": "female"}
    return patients.register_patient(clinic.services, CONSOLE, "KF-500", raw).patient_id


def _treated(clinic: Clinic) -> UUID:
    """A course started 11-09 with one infusion that day (the clinic's clock stands at 2026-11-25)."""
    patient_id, order_id = prepare_patient_for_session(clinic.services)
    courses.start_course(clinic.services, CONSOLE, patient_id, PLAN, "2026-11-09", "depression")
    order = orders.get_order(clinic.services, CONSOLE, order_id)
    store_session(clinic.services, patient_id, order, started_at=datetime(2026, 11, 9, 15, tzinfo=UTC))
    return patient_id


def _section(html: str) -> str:
    found = re.search(r'<section class="section" id="course".*?</section>\s*(?=<section|\Z)', html, re.S)
    assert found is not None, "no course section on the page"
    return found.group(0)


def test_a_physician_starts_a_course_from_the_patient_page(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    physician = clinic.login(Role.PHYSICIAN)
    form = {"plan_id": PLAN, "start_date": "2026-11-25", "reason": "TRD", "csrf_token": csrf_of(physician)}

    response = physician.post(f"/patients/{patient_id}/course", data=form)
    page = physician.get(f"/patients/{patient_id}").text

    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{patient_id}#course"
    assert 'id="course-status">active' in page
    assert "phq9 before infusion 1, on 2026-11-25." in page


def test_a_course_without_a_reason_comes_back_with_the_field_named(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    physician = clinic.login(Role.PHYSICIAN)
    form = {"plan_id": PLAN, "start_date": "2026-11-25", "reason": "", "csrf_token": csrf_of(physician)}

    response = physician.post(f"/patients/{patient_id}/course", data=form)

    assert response.status_code == 422
    assert "Please check" in response.text and "reason" in response.text
    assert courses.get_course_overview(clinic.services, CONSOLE, patient_id).course is None


def test_ending_a_course_shows_it_ended_with_the_reason(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    courses.start_course(clinic.services, CONSOLE, patient_id, PLAN, "2026-11-25", "depression")
    physician = clinic.login(Role.PHYSICIAN)

    response = physician.post(
        f"/patients/{patient_id}/course/end", data={"reason": "moved away", "csrf_token": csrf_of(physician)}
    )
    page = physician.get(f"/patients/{patient_id}").text

    assert response.status_code == 303
    assert re.search(r'id="course-status">ended [^<]* by physician: moved away', page)


def test_the_schedule_shows_given_and_overdue_infusions_with_a_timeline(clinic: Clinic) -> None:
    patient_id = _treated(clinic)
    nurse = clinic.login(Role.NURSE)

    section = nurse.get(f"/patients/{patient_id}/course").text

    assert "1 given · 1 missed" in section
    assert '<svg class="course-timeline"' in section
    assert section.count("badge--proceed") == 1 and section.count("badge--hold") == 1


def test_the_front_desk_sees_the_schedule_but_no_safety_or_forms(clinic: Clinic) -> None:
    patient_id = _treated(clinic)
    desk = clinic.login(Role.FRONT_DESK)

    section = desk.get(f"/patients/{patient_id}/course").text

    assert 'id="course-schedule"' in section
    assert 'id="safety-signals"' not in section
    assert 'id="start-course-form"' not in section


def test_a_nurse_records_bladder_answers_and_the_due_signal_goes(clinic: Clinic) -> None:
    patient_id = _treated(clinic)
    nurse = clinic.login(Role.NURSE)
    answers = {f"answers.{key}": "no" for key in ("frequency", "urgency", "dysuria", "nocturia", "haematuria")}
    before = nurse.get(f"/patients/{patient_id}/course").text

    response = nurse.post(
        f"/patients/{patient_id}/course/safety-answers",
        data={"type": "bladder", "on": "2026-11-25", **answers, "csrf_token": csrf_of(nurse)},
    )
    after = nurse.get(f"/patients/{patient_id}/course").text

    assert response.status_code == 303
    assert "safety.bladder_screen_due" in before
    assert "safety.bladder_screen_due" not in after


def test_an_unanswered_bladder_question_is_named(clinic: Clinic) -> None:
    patient_id = _treated(clinic)
    nurse = clinic.login(Role.NURSE)

    response = nurse.post(
        f"/patients/{patient_id}/course/safety-answers",
        data={"type": "bladder", "on": "2026-11-25", "answers.frequency": "no", "csrf_token": csrf_of(nurse)},
    )

    assert response.status_code == 422
    assert "answers.urgency" in response.text or "yes or no" in response.text


def test_a_held_signal_shows_a_banner_to_prescribers_until_reviewed(clinic: Clinic) -> None:
    patient_id = _treated(clinic)
    courses.record_safety_answer(
        clinic.services, CONSOLE, patient_id, {"type": "psychiatric_event", "on": "2026-11-20", "kind": "mania"}
    )
    physician, nurse = clinic.login(Role.PHYSICIAN), clinic.login(Role.NURSE)
    shown = physician.get(f"/patients/{patient_id}").text
    to_nurse = nurse.get(f"/patients/{patient_id}").text
    key = re.search(r'name="signal" value="([^"]+)"', shown)
    assert key is not None

    response = physician.post(
        f"/patients/{patient_id}/course/safety-reviews",
        data={"signal": key.group(1), "note": "seen; euthymic now", "csrf_token": csrf_of(physician)},
    )
    after = physician.get(f"/patients/{patient_id}").text

    assert BANNER in shown and "mania on 2026-11-20" in shown
    assert BANNER not in to_nurse and "Awaiting a physician's review" in to_nurse
    assert response.status_code == 303
    assert BANNER not in after and "seen; euthymic now" in after


def test_a_booster_decision_is_recorded_from_the_page(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    courses.start_course(clinic.services, CONSOLE, patient_id, PLAN, "2026-11-25", "depression")
    physician = clinic.login(Role.PHYSICIAN)

    response = physician.post(
        f"/patients/{patient_id}/course/booster-decision",
        data={"decision": "give_booster", "note": "PHQ-9 back to 14", "csrf_token": csrf_of(physician)},
    )
    page = physician.get(f"/patients/{patient_id}").text

    assert response.status_code == 303
    assert re.search(r'id="booster-decision">Booster decision: <strong>give booster</strong>', page)
