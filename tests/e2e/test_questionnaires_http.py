"""Questionnaires through the pages: a clinician's entry, sending a link, and a patient answering it.

The link holder is an anonymous client: it reaches the two pages of its link and nothing else.
"""

from __future__ import annotations

import json
import re
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from ketaflow.domain.access import Role
from ketaflow.services import patients
from ketaflow.services.context import Actor
from tests.conftest import Clinic, csrf_of

PHQ9_ZEROS = {f"phq9.q{i}": "0" for i in range(1, 10)}


def _patient(clinic: Clinic, **details: str) -> UUID:
    raw = {"family_name": "Rivera", "given_names": "Ana Maria", "date_of_birth": "1984-03-02", "sex": "female"}
    version = patients.register_patient(clinic.services, Actor.system("test"), "KF-400", {**raw, **details})
    return version.patient_id


def _issue(clinic: Clinic, patient_id: UUID, *instruments: str, delivery: str = "qr") -> Any:  # Any: httpx.Response
    nurse = clinic.login(Role.NURSE)
    data = {"instruments": list(instruments or ("phq9",)), "delivery": delivery, "csrf_token": csrf_of(nurse)}
    return nurse.post(f"/patients/{patient_id}/questionnaire-links", data=data)


def _link_path(clinic: Clinic, patient_id: UUID, *instruments: str) -> str:
    page = _issue(clinic, patient_id, *instruments).text
    found = re.search(r'id="link-url">https://testserver(/q/[A-Za-z0-9_-]{43})<', page)
    assert found is not None, "no link on the page"
    return found.group(1)


def _form_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _count(clinic: Clinic, table: str) -> int:
    with clinic.database.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())  # fixed table names


def _open(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return page.text


# --- the clinician's entry page ----------------------------------------------------------------------------


def test_the_entry_form_lists_every_item_with_its_answer_options(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)

    page = nurse.get(f"/patients/{patient_id}/questionnaires/new?instrument=phq9").text

    for i in range(1, 10):
        assert len(re.findall(rf'name="items\.q{i}" value="[0-3]"', page)) == 4
    assert "Little interest or pleasure in doing things" in page


def test_a_clinician_records_a_phq9_and_the_patient_page_shows_it_with_an_urgent_banner(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)
    data = {f"items.q{i}": "1" for i in range(1, 10)} | {"respondent": "patient", "csrf_token": csrf_of(nurse)}

    earlier = nurse.post(f"/patients/{patient_id}/questionnaires/new?instrument=phq9", data={**data, "items.q9": "0"})
    clinic.clock.advance(minutes=5)  # within the session's idle timeout

    response = nurse.post(f"/patients/{patient_id}/questionnaires/new?instrument=phq9", data=data)
    page = nurse.get(f"/patients/{patient_id}").text

    assert earlier.status_code == response.status_code == 303
    assert 'id="urgent-phq9"' in page and "assess suicide risk today" in page
    assert re.search(r"<code>phq9</code>.*?<td class=\"num\">9</td>\s*<td>mild</td>", page, re.S)
    spec = json.loads(re.search(r"data-series='([^']+)'", page).group(1))  # type: ignore[union-attr]
    assert spec["series"][0]["values"] == [8, 9]
    assert spec["x"][1] - spec["x"][0] == 300


def test_a_bad_entry_names_each_item_and_stores_nothing(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)
    data = {f"items.q{i}": "1" for i in range(1, 10) if i not in (4, 8)} | {"csrf_token": csrf_of(nurse)}

    response = nurse.post(f"/patients/{patient_id}/questionnaires/new?instrument=phq9", data=data)

    assert response.status_code == 422
    assert 'id="err-q4"' in response.text and 'id="err-q8"' in response.text
    assert 'id="err-q1"' not in response.text
    assert 'name="items.q1" value="1" checked' in response.text  # the answers given are kept
    assert _count(clinic, "scale_responses") == 0


# --- sending a link -----------------------------------------------------------------------------------------


def test_the_front_desk_makes_a_link_shown_once_as_a_qr_code(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    desk = clinic.login(Role.FRONT_DESK)

    page = desk.post(
        f"/patients/{patient_id}/questionnaire-links",
        data={"instruments": ["phq9", "gad7"], "delivery": "qr", "csrf_token": csrf_of(desk)},
    ).text

    assert '<svg width="' in page and 'class="segno"' in page
    assert re.search(r'id="link-url">https://testserver/q/[A-Za-z0-9_-]{43}<', page)


def test_a_link_sent_by_sms_goes_to_the_phone_on_record_and_is_not_shown(clinic: Clinic) -> None:
    patient_id = _patient(clinic, phone="+1 555 0101")

    page = _issue(clinic, patient_id, "phq9", delivery="sms").text

    message = clinic.services.sender.outbox[-1]  # type: ignore[attr-defined]  # the console sender's outbox
    assert message.to == "+1 555 0101"
    assert re.search(r"https://testserver/q/[A-Za-z0-9_-]{43}", message.body)
    assert "Sent by SMS" in page and 'id="link-url"' not in page


def test_a_link_by_email_without_an_address_on_record_is_refused_by_name(clinic: Clinic) -> None:
    patient_id = _patient(clinic)

    response = _issue(clinic, patient_id, "phq9", delivery="email")

    assert response.status_code == 422
    assert "e-mail address on the patient" in response.text
    assert _count(clinic, "questionnaire_links") == 0


# --- the patient's page -------------------------------------------------------------------------------------


def test_the_link_page_shows_the_first_name_and_questionnaires_and_nothing_of_the_staff_app(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    path = _link_path(clinic, patient_id, "phq9", "gad7")
    phone = clinic.app_client()

    response = phone.get(path)

    page = response.text
    assert "Hello Ana</h1>" in page
    assert "Rivera" not in page and "KF-400" not in page and "1984" not in page
    assert page.count("<fieldset") == 16 and page.count("<legend>") == 16  # 9 PHQ-9 + 7 GAD-7 items
    assert 'class="topnav' not in page and "Sign out" not in page and "<script" not in page
    assert "kf_session" not in response.headers.get("set-cookie", "")


def test_a_patient_answers_and_the_link_then_stops_working(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    path = _link_path(clinic, patient_id)
    phone = clinic.app_client()
    token = _form_token(_open(phone, path))

    done = phone.post(path, data={**PHQ9_ZEROS, "csrf_token": token})
    again = phone.get(path)

    assert done.status_code == 200 and "Thank you" in done.text
    assert "988" in done.text
    assert again.status_code == 409 and "already been used" in again.text
    assert _count(clinic, "scale_responses") == 1


def test_a_second_submission_of_the_same_link_is_refused_and_stores_nothing_more(clinic: Clinic) -> None:
    path = _link_path(clinic, _patient(clinic))
    first, second = clinic.app_client(), clinic.app_client()
    tokens = [_form_token(_open(first, path)), _form_token(_open(second, path))]

    ok = first.post(path, data={**PHQ9_ZEROS, "csrf_token": tokens[0]})
    refused = second.post(path, data={**PHQ9_ZEROS, "phq9.q9": "2", "csrf_token": tokens[1]})

    assert ok.status_code == 200
    assert refused.status_code == 409 and "already been used" in refused.text
    assert _count(clinic, "scale_responses") == 1


def test_an_expired_link_is_refused(clinic: Clinic) -> None:
    path = _link_path(clinic, _patient(clinic))
    phone = clinic.app_client()
    token = _form_token(_open(phone, path))
    clinic.clock.advance(hours=72)

    page = phone.get(path)
    post = phone.post(path, data={**PHQ9_ZEROS, "csrf_token": token})

    assert page.status_code == 409 and "This link has expired" in page.text
    assert post.status_code == 409
    assert _count(clinic, "scale_responses") == 0


def test_unanswered_questions_are_named_and_the_link_stays_open(clinic: Clinic) -> None:
    path = _link_path(clinic, _patient(clinic))
    phone = clinic.app_client()
    token = _form_token(_open(phone, path))
    partial = {k: v for k, v in PHQ9_ZEROS.items() if k not in ("phq9.q2", "phq9.q9")}

    response = phone.post(path, data={**partial, "csrf_token": token})

    assert response.status_code == 422
    assert 'href="#phq9-q2">PHQ-9, question 2<' in response.text
    assert 'href="#phq9-q9">PHQ-9, question 9<' in response.text
    assert 'href="#phq9-q1"' not in response.text
    assert _count(clinic, "scale_responses") == 0
    assert phone.get(path).status_code == 200


def test_an_urgent_answer_shows_the_patient_the_crisis_line_and_the_clinic_an_urgent_banner(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    path = _link_path(clinic, patient_id)
    phone = clinic.app_client()
    token = _form_token(_open(phone, path))

    done = phone.post(path, data={**PHQ9_ZEROS, "phq9.q9": "1", "csrf_token": token})
    chart = clinic.login(Role.PHYSICIAN).get(f"/patients/{patient_id}").text

    assert "Please talk to someone today" in done.text and "988" in done.text
    assert 'id="urgent-phq9"' in chart
    with clinic.database.engine.connect() as conn:
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_events"))]
    assert "questionnaire.urgent_flag" in actions


def test_a_post_without_the_anonymous_csrf_cookie_is_refused(clinic: Clinic) -> None:
    path = _link_path(clinic, _patient(clinic))
    page = _open(clinic.app_client(), path)

    response = clinic.app_client().post(path, data={**PHQ9_ZEROS, "csrf_token": _form_token(page)})

    assert response.status_code == 403
    assert _count(clinic, "scale_responses") == 0


@pytest.mark.parametrize("target", ["/patients", "/board", "/account", "/audit"])
def test_a_link_holder_gets_the_sign_in_page_anywhere_else(clinic: Clinic, target: str) -> None:
    patient_id = _patient(clinic)
    phone = clinic.app_client()
    _open(phone, _link_path(clinic, patient_id))

    response = phone.get(target)

    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("target", ["/api/v1/patients", "/api/v1/me"])
def test_a_link_holder_gets_401_from_the_api(clinic: Clinic, target: str) -> None:
    phone = clinic.app_client()
    _open(phone, _link_path(clinic, _patient(clinic)))

    response = phone.get(target)

    assert response.status_code == 401


def test_the_link_page_sets_no_session_cookie_and_is_not_cached(clinic: Clinic) -> None:
    path = _link_path(clinic, _patient(clinic))
    phone = clinic.app_client()

    response = phone.get(path)

    assert set(phone.cookies.keys()) == {"kf_csrf"}
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert '<meta name="csrf-token"' not in response.text
