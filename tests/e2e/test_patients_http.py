"""Patients through the pages and the API: bad input, amendments, stale writes, and one audit event per access."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text

from ketaflow.domain.access import Role
from tests.conftest import Clinic, csrf_of

PATIENT = {
    "mrn": "KF-100",
    "family_name": "Rivera",
    "given_names": "Ana",
    "date_of_birth": "1984-03-02",
    "sex": "female",
}


def _audit(clinic: Clinic) -> list[tuple[str, str | None, str]]:
    with clinic.database.engine.connect() as conn:
        rows = conn.execute(text("SELECT action, patient_id, outcome FROM audit_events ORDER BY seq"))
        # Raw SQL returns SQLite's UUID as 32 hex digits: normalise through uuid.UUID.
        return [(r[0], str(UUID(str(r[1]))) if r[1] else None, r[2]) for r in rows]


def _count(clinic: Clinic, table: str) -> int:
    with clinic.database.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _api(clinic: Clinic, role: Role) -> tuple[Any, dict[str, str]]:
    client = clinic.login(role)
    return client, {"X-CSRF-Token": csrf_of(client)}


def test_registering_through_the_form_shows_the_patient_page(clinic: Clinic) -> None:
    client = clinic.login(Role.FRONT_DESK)

    response = client.post("/patients", data={**PATIENT, "csrf_token": csrf_of(client)})
    page = client.get(response.headers["location"])

    assert response.status_code == 303
    assert "RIVERA, Ana" in page.text and "KF-100" in page.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("date_of_birth", "1984-13-40", "YYYY-MM-DD"), ("family_name", "", "required"), ("mrn", "no spaces", "letters")],
)
def test_a_bad_form_field_is_named_on_the_form_and_nothing_is_saved(
    clinic: Clinic, field: str, value: str, message: str
) -> None:
    client = clinic.login(Role.NURSE)
    before = _count(clinic, "patient_versions")

    response = client.post("/patients", data={**PATIENT, field: value, "csrf_token": csrf_of(client)})

    assert response.status_code == 422
    assert f'id="f-{field.replace("_", "_")}-error"' in response.text
    assert message in response.text
    assert _count(clinic, "patient_versions") == before


def test_the_api_names_the_bad_field_and_saves_nothing(clinic: Clinic) -> None:
    client, headers = _api(clinic, Role.NURSE)

    response = client.post("/api/v1/patients", json={**PATIENT, "sex": "yes"}, headers=headers)

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["sex"]
    assert "'female', 'male', 'other' or 'unknown'" in errors[0]["message"]
    assert _count(clinic, "patients") == 0


def test_an_unknown_json_field_is_refused(clinic: Clinic) -> None:
    client, headers = _api(clinic, Role.NURSE)

    response = client.post("/api/v1/patients", json={**PATIENT, "blood_type": "O+"}, headers=headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "blood_type"


def test_an_amendment_keeps_the_old_version_and_records_reason_and_author(clinic_both: Clinic) -> None:
    client, headers = _api(clinic_both, Role.NURSE)
    created = client.post("/api/v1/patients", json=PATIENT, headers=headers).json()
    details = {k: v for k, v in PATIENT.items() if k != "mrn"}

    amended = client.post(
        f"/api/v1/patients/{created['id']}/amendments",
        json={**details, "date_of_birth": "1984-03-20", "base_version": 1, "reason": "typo at registration"},
        headers=headers,
    )
    history = client.get(f"/api/v1/patients/{created['id']}/history").json()

    assert amended.status_code == 201
    assert [(v["version"], v["date_of_birth"], v["reason"]) for v in history] == [
        (1, "1984-03-02", ""),
        (2, "1984-03-20", "typo at registration"),
    ]
    assert history[1]["recorded_by"] == "nurse"


def test_a_stale_amendment_is_refused_and_overwrites_nothing(clinic_both: Clinic) -> None:
    client, headers = _api(clinic_both, Role.NURSE)
    created = client.post("/api/v1/patients", json=PATIENT, headers=headers).json()
    details = {k: v for k, v in PATIENT.items() if k != "mrn"}
    first = {**details, "phone": "+1 555 0100", "base_version": 1, "reason": "new phone number"}
    second = {**details, "email": "ana@example.org", "base_version": 1, "reason": "new e-mail address"}

    client.post(f"/api/v1/patients/{created['id']}/amendments", json=first, headers=headers)
    stale = client.post(f"/api/v1/patients/{created['id']}/amendments", json=second, headers=headers)

    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]
    assert client.get(f"/api/v1/patients/{created['id']}").json()["patient"]["phone"] == "+1 555 0100"


def test_each_read_and_write_of_a_patient_writes_exactly_one_audit_event(clinic: Clinic) -> None:
    client, headers = _api(clinic, Role.NURSE)
    pid = client.post("/api/v1/patients", json=PATIENT, headers=headers).json()["id"]
    steps = [
        # A clinician's patient page also shows screening, orders, sessions and questionnaires:
        # one read event per resource.
        (
            "patient.read+screening.read+order.list+session.list+questionnaire.read+course.read",
            lambda: client.get(f"/patients/{pid}"),
        ),
        ("patient.read", lambda: client.get(f"/api/v1/patients/{pid}")),
        ("patient.search", lambda: client.get("/patients?q=riv")),
        (
            "measurement.record",
            lambda: client.post(
                f"/api/v1/patients/{pid}/measurements",
                json={"kind": "weight", "value": 70.5, "measured_on": "2026-11-20"},
                headers=headers,
            ),
        ),
    ]

    for action, call in steps:
        before = len(_audit(clinic))
        assert call().status_code in (200, 201)
        new = _audit(clinic)[before:]
        assert [a for a, _, _ in new] == action.split("+"), action
        assert {p for _, p, _ in new} == {pid if action != "patient.search" else None}


def test_a_refused_attempt_is_audited_as_denied(clinic: Clinic) -> None:
    client = clinic.login(Role.AUDITOR)

    response = client.get("/patients")

    assert response.status_code == 403
    assert _audit(clinic)[-1] == ("access.denied", None, "denied")


def test_a_measurement_correction_keeps_the_original(clinic: Clinic) -> None:
    client, headers = _api(clinic, Role.NURSE)
    pid = client.post("/api/v1/patients", json=PATIENT, headers=headers).json()["id"]
    wrong = client.post(
        f"/api/v1/patients/{pid}/measurements",
        json={"kind": "weight", "value": 170, "measured_on": "2026-11-20"},
        headers=headers,
    ).json()

    fixed = client.post(
        f"/api/v1/patients/{pid}/measurements",
        json={
            "kind": "weight",
            "value": 70,
            "measured_on": "2026-11-20",
            "amends_id": wrong["id"],
            "reason": "lb typed as kg",
        },
        headers=headers,
    )
    again = client.post(
        f"/api/v1/patients/{pid}/measurements",
        json={
            "kind": "weight",
            "value": 71,
            "measured_on": "2026-11-20",
            "amends_id": wrong["id"],
            "reason": "second try",
        },
        headers=headers,
    )
    chart = client.get(f"/api/v1/patients/{pid}").json()

    assert fixed.status_code == 201 and again.status_code == 409
    assert [m["value"] for m in chart["measurements"]] == [170, 70]


def test_search_treats_like_wildcards_literally(clinic: Clinic) -> None:
    client, headers = _api(clinic, Role.NURSE)
    client.post("/api/v1/patients", json=PATIENT, headers=headers)

    assert client.get("/api/v1/patients", params={"q": "%"}).json() == []
    assert len(client.get("/api/v1/patients", params={"q": "rIvE"}).json()) == 1


def test_pages_carry_security_headers_and_no_caching(clinic: Clinic) -> None:
    client = clinic.login(Role.NURSE)

    response = client.get("/patients")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"


def test_an_unknown_page_is_a_clean_404_without_internals(clinic: Clinic) -> None:
    client = clinic.login(Role.NURSE)

    page = client.get("/patients/00000000-0000-0000-0000-000000000000")
    api = client.get("/api/v1/nothing-here")

    assert page.status_code == 404 and "Traceback" not in page.text
    assert api.status_code == 404 and api.json()["title"] == "Not found"
