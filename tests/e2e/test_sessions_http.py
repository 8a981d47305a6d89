"""The session pages as a browser sends them: check-in, charting forms, stale forms, the board and its stream."""

from __future__ import annotations

import re
from uuid import UUID

import pytest

from ketaflow.domain.access import Role
from ketaflow.services import sessions
from ketaflow.services.context import Actor
from ketaflow.web.routes import sessions as web_sessions
from tests.conftest import Clinic, csrf_of
from tests.session_setup import prepare_patient_for_session

NURSE = Actor(None, "nurse", Role.NURSE)


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "every charting form carries the chart version it was opened at"
    return found.group(1)


def _check_in(clinic: Clinic) -> tuple[object, UUID]:
    patient_id, order_id = prepare_patient_for_session(clinic.services)
    desk = clinic.login(Role.FRONT_DESK)
    page = desk.get(f"/patients/{patient_id}/sessions/new")
    assert page.status_code == 200 and str(order_id) in page.text
    response = desk.post(
        f"/patients/{patient_id}/sessions",
        data={"csrf_token": csrf_of(desk, f"/patients/{patient_id}"), "order_id": str(order_id), "chair": "Window"},
    )
    assert response.status_code == 303, response.text
    session_id = sessions.get_board(clinic.services, NURSE)[0].session.id
    return patient_id, session_id


def test_a_nurse_charts_through_the_forms(clinic: Clinic) -> None:
    _, session_id = _check_in(clinic)
    nurse = clinic.login(Role.NURSE)
    token = csrf_of(nurse, "/account")

    def post(action: str, **form: str) -> None:
        page = nurse.get(f"/sessions/{session_id}")
        assert page.status_code == 200
        response = nurse.post(
            f"/sessions/{session_id}/chart/{action}", data={"csrf_token": token, "version": _version(page.text), **form}
        )
        assert response.status_code == 303, (action, response.text[:2000])

    post("gate")
    post("vitals", systolic_mmhg="124", diastolic_mmhg="78", heart_rate_bpm="70", spo2_pct="98")
    post("complete_checks")
    post("start", rate_ml_per_h="52.5")
    post("vitals", systolic_mmhg="186", diastolic_mmhg="112", heart_rate_bpm="90", spo2_pct="97")
    page = nurse.get(f"/sessions/{session_id}")
    assert "Notify physician" in page.text, re.findall(r"alert-card[^>]*>", page.text)
    assert 'id="vitals-chart"' in page.text and 'id="pk-session-chart"' in page.text
    post("pause", reason="BP 186/112")
    assert "Paused" in nurse.get(f"/sessions/{session_id}").text


def test_a_stale_form_is_refused_with_a_message_and_stores_nothing(clinic: Clinic) -> None:
    _, session_id = _check_in(clinic)
    nurse, physician = clinic.login(Role.NURSE), clinic.login(Role.PHYSICIAN)
    stale = _version(physician.get(f"/sessions/{session_id}").text)
    token = csrf_of(nurse, "/account")
    nurse.post(f"/sessions/{session_id}/chart/note", data={"csrf_token": token, "version": stale, "text": "first"})
    refused = physician.post(
        f"/sessions/{session_id}/chart/note",
        data={"csrf_token": csrf_of(physician, "/account"), "version": stale, "text": "second"},
    )
    assert refused.status_code == 409
    assert "changed by someone else" in refused.text
    notes = [
        e.data["text"]
        for e in sessions.get_session(clinic.services, NURSE, session_id).session.events
        if e.kind.value == "note"
    ]
    assert notes == ["first"]


def test_invalid_vitals_come_back_to_the_form_naming_the_field(clinic: Clinic) -> None:
    _, session_id = _check_in(clinic)
    nurse = clinic.login(Role.NURSE)
    page = nurse.get(f"/sessions/{session_id}")
    response = nurse.post(
        f"/sessions/{session_id}/chart/vitals",
        data={"csrf_token": csrf_of(nurse, "/account"), "version": _version(page.text), "systolic_mmhg": "1200"},
    )
    assert response.status_code == 422
    assert "40 to 300" in response.text


def test_the_board_lists_open_chairs_and_its_stream_announces_changes(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_sessions, "STREAM_MAX_S", 0.5)
    monkeypatch.setattr(web_sessions, "STREAM_WAIT_S", 0.1)
    _check_in(clinic)
    nurse = clinic.login(Role.NURSE)
    board = nurse.get("/board")
    assert board.status_code == 200 and "Chair Window" in board.text and "data-live-board" in board.text
    assert "Chair Window" in nurse.get("/board/fragment").text
    stream = nurse.get("/board/stream")
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.text.startswith("retry: ")
