"""Every route declares who may use it, and each role is allowed or refused exactly as this table says."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.routing import APIRoute

from ketaflow.domain.access import Role
from ketaflow.services import orders, patients, screening, users
from ketaflow.services.context import Actor
from ketaflow.services.information import list_information_sheets
from ketaflow.web.access import AccessRule
from ketaflow.web.app import create_app
from ketaflow.web.routes import sessions as web_sessions
from tests.conftest import Clinic, csrf_of
from tests.session_setup import store_session

PUBLIC = "public"
EVERYONE = frozenset(Role)
CHART_READERS = frozenset({Role.MEDICAL_DIRECTOR, Role.PHYSICIAN, Role.NURSE, Role.FRONT_DESK})
CLINICIANS = frozenset({Role.MEDICAL_DIRECTOR, Role.PHYSICIAN, Role.NURSE})
AUDIT_READERS = frozenset({Role.AUDITOR, Role.ADMIN, Role.MEDICAL_DIRECTOR})
ADMINS = frozenset({Role.ADMIN})
REVIEWERS = frozenset({Role.MEDICAL_DIRECTOR, Role.PHYSICIAN})
PRESCRIBERS = frozenset({Role.MEDICAL_DIRECTOR, Role.PHYSICIAN})
DIRECTOR = frozenset({Role.MEDICAL_DIRECTOR})

# Written by hand from the product rules, not derived from the code under test.
EXPECTED: dict[tuple[str, str], Any] = {
    ("GET", "/"): EVERYONE,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("GET", "/login/second-factor"): EVERYONE,
    ("POST", "/login/second-factor"): EVERYONE,
    ("GET", "/login/enrol"): EVERYONE,
    ("POST", "/login/enrol"): EVERYONE,
    ("POST", "/session/keepalive"): EVERYONE,
    ("GET", "/account"): EVERYONE,
    ("GET", "/account/password"): EVERYONE,
    ("POST", "/account/password"): EVERYONE,
    ("GET", "/patients"): CHART_READERS,
    ("GET", "/patients/_results"): CHART_READERS,
    ("GET", "/patients/new"): CHART_READERS,
    ("POST", "/patients"): CHART_READERS,
    ("GET", "/patients/{patient_id}"): CHART_READERS,
    ("GET", "/patients/{patient_id}/amend"): CHART_READERS,
    ("POST", "/patients/{patient_id}/amend"): CHART_READERS,
    ("POST", "/patients/{patient_id}/measurements"): CLINICIANS,
    ("GET", "/patients/{patient_id}/screenings/new"): CLINICIANS,
    ("POST", "/patients/{patient_id}/screenings/new"): CLINICIANS,
    ("GET", "/icd10cm/search"): CLINICIANS,
    ("POST", "/screenings/{screening_id}/review"): REVIEWERS,
    ("GET", "/patients/{patient_id}/consents/new"): CLINICIANS,
    ("POST", "/patients/{patient_id}/consents/new"): CLINICIANS,
    ("POST", "/patients/{patient_id}/consents/{consent_id}/withdraw"): CLINICIANS,
    ("GET", "/patients/{patient_id}/gate"): CLINICIANS,
    ("POST", "/patients/{patient_id}/gate"): CLINICIANS,
    ("GET", "/information/{sheet_id}"): EVERYONE,
    ("GET", "/patients/{patient_id}/orders/new"): PRESCRIBERS,
    ("POST", "/patients/{patient_id}/orders/preview"): PRESCRIBERS,
    ("POST", "/patients/{patient_id}/orders"): PRESCRIBERS,
    ("GET", "/orders/{order_id}"): CLINICIANS,
    ("POST", "/orders/{order_id}/sign"): PRESCRIBERS,
    ("POST", "/orders/{order_id}/verify"): CLINICIANS,
    ("GET", "/orders/{order_id}/print"): CLINICIANS,
    ("GET", "/protocols"): CLINICIANS,
    ("GET", "/pk/cohort"): CLINICIANS,
    ("POST", "/patients/{patient_id}/information/{sheet_id}/send"): CHART_READERS,
    ("GET", "/api/v1/pk/models"): CLINICIANS,
    ("POST", "/api/v1/pk/simulate"): CLINICIANS,
    ("POST", "/api/v1/pk/tci"): CLINICIANS,
    ("POST", "/api/v1/pk/cohort"): CLINICIANS,
    ("GET", "/orders/{order_id}/sheet.pdf"): CLINICIANS,
    ("GET", "/protocols/{protocol_id}"): CLINICIANS,
    ("GET", "/protocols/{protocol_id}/revise"): DIRECTOR,
    ("POST", "/protocols/{protocol_id}/revise"): DIRECTOR,
    ("GET", "/audit"): AUDIT_READERS,
    ("GET", "/audit/export.csv"): frozenset({Role.AUDITOR}),
    ("POST", "/audit/verify"): AUDIT_READERS,
    ("GET", "/admin/users"): ADMINS,
    ("POST", "/admin/users"): ADMINS,
    ("POST", "/admin/users/{user_id}/reset-password"): ADMINS,
    ("POST", "/admin/users/{user_id}/role"): ADMINS,
    ("POST", "/admin/users/{user_id}/disable"): ADMINS,
    ("POST", "/admin/users/{user_id}/enable"): ADMINS,
    ("POST", "/admin/users/{user_id}/reset-second-factor"): ADMINS,
    ("GET", "/api/v1/me"): EVERYONE,
    ("GET", "/api/v1/patients"): CHART_READERS,
    ("POST", "/api/v1/patients"): CHART_READERS,
    ("GET", "/api/v1/patients/{patient_id}"): CHART_READERS,
    ("GET", "/api/v1/patients/{patient_id}/history"): CHART_READERS,
    ("POST", "/api/v1/patients/{patient_id}/amendments"): CHART_READERS,
    ("POST", "/api/v1/patients/{patient_id}/measurements"): CLINICIANS,
    ("POST", "/api/v1/patients/{patient_id}/screenings"): CLINICIANS,
    ("GET", "/api/v1/patients/{patient_id}/screenings"): CLINICIANS,
    ("POST", "/api/v1/screenings/{screening_id}/review"): REVIEWERS,
    ("POST", "/api/v1/patients/{patient_id}/consents"): CLINICIANS,
    ("POST", "/api/v1/patients/{patient_id}/consents/{consent_id}/withdrawal"): CLINICIANS,
    ("POST", "/api/v1/patients/{patient_id}/gate"): CLINICIANS,
    ("GET", "/api/v1/information-sheets"): EVERYONE,
    ("GET", "/api/v1/audit/events"): AUDIT_READERS,
    ("GET", "/api/v1/protocols"): CLINICIANS,
    ("POST", "/api/v1/patients/{patient_id}/orders"): PRESCRIBERS,
    ("GET", "/api/v1/orders/{order_id}"): CLINICIANS,
    ("POST", "/api/v1/orders/{order_id}/sign"): PRESCRIBERS,
    ("GET", "/board"): CLINICIANS,
    ("GET", "/board/fragment"): CLINICIANS,
    ("GET", "/board/stream"): CLINICIANS,
    ("GET", "/patients/{patient_id}/sessions/new"): CHART_READERS,
    ("POST", "/patients/{patient_id}/sessions"): CHART_READERS,
    ("GET", "/sessions/{session_id}"): CLINICIANS,
    ("POST", "/sessions/{session_id}/chart/{action}"): CLINICIANS,
    ("GET", "/sessions/{session_id}/instructions"): CLINICIANS,
    ("GET", "/patients/{patient_id}/questionnaires/new"): CLINICIANS,
    ("POST", "/patients/{patient_id}/questionnaires/new"): CLINICIANS,
    ("POST", "/patients/{patient_id}/questionnaire-links"): CHART_READERS,
    ("GET", "/q/{token}"): PUBLIC,
    ("POST", "/q/{token}"): PUBLIC,
    ("GET", "/patients/{patient_id}/course"): CHART_READERS,
    ("POST", "/patients/{patient_id}/course"): PRESCRIBERS,
    ("POST", "/patients/{patient_id}/course/end"): PRESCRIBERS,
    ("POST", "/patients/{patient_id}/course/booster-decision"): PRESCRIBERS,
    ("POST", "/patients/{patient_id}/course/safety-answers"): CLINICIANS,
    ("POST", "/patients/{patient_id}/course/safety-reviews"): PRESCRIBERS,
    ("GET", "/outcomes"): PRESCRIBERS,
    ("GET", "/outcomes.csv"): PRESCRIBERS,
    ("GET", "/outcomes.pdf"): PRESCRIBERS,
    ("POST", "/logout"): EVERYONE,
}


def _rules(route: APIRoute) -> list[AccessRule]:
    found: list[AccessRule] = []
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, AccessRule):
            found.append(dep.call)
        stack.extend(dep.dependencies)
    return found


def _walk(routes: list[Any]) -> list[APIRoute]:
    """API routes, including those inside routers that FastAPI includes lazily (our routers carry no include prefix)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            assert not route.include_context.prefix, "the walk assumes include_router() without a prefix"
            found.extend(_walk(route.original_router.routes))
    return found


def _routes(clinic: Clinic) -> list[APIRoute]:
    routes = _walk(create_app(clinic.services, clinic.settings).routes)
    assert len(routes) > 30
    return routes


def test_every_route_declares_exactly_one_access_rule(clinic: Clinic) -> None:
    undeclared = [f"{sorted(r.methods)} {r.path}" for r in _routes(clinic) if len(_rules(r)) != 1]

    assert undeclared == []


def test_every_route_is_in_the_expected_access_table(clinic: Clinic) -> None:
    actual = {(m, r.path) for r in _routes(clinic) for m in r.methods if m != "HEAD"}

    assert actual == set(EXPECTED)


def test_the_declared_rules_match_the_expected_table(clinic: Clinic) -> None:
    for route in _routes(clinic):
        rule = _rules(route)[0]
        for method in route.methods - {"HEAD"}:
            expected = EXPECTED[(method, route.path)]
            declared = PUBLIC if rule.is_public else frozenset(r for r in Role if rule.permission and _holds(r, rule))
            assert declared == expected, (method, route.path)


def _holds(role: Role, rule: AccessRule) -> bool:
    from ketaflow.domain.access import can

    assert rule.permission is not None
    return can(role, rule.permission)


def _order(clinic: Clinic, console: Actor) -> UUID:
    """An unsigned order for a new patient with a weight, a height and a screening that proceeds."""
    svc = clinic.services
    patient_id = patients.register_patient(
        svc,
        console,
        f"KF-{uuid4().hex[:8]}",
        {"family_name": "Matrix", "given_names": "Order", "date_of_birth": "1980-01-01", "sex": "female"},
    ).patient_id
    for kind, value in (("weight", 70), ("height", 170)):
        patients.record_measurement(
            svc, console, patient_id, kind=kind, value=value, measured_on=patients.clinic_today(svc).isoformat()
        )
    measured = svc.clock.now().isoformat()
    intake = {
        "patient": {"age_years": 46, "sex": "female", "weight_kg": 70, "pregnant": False, "breastfeeding": False},
        "indication": "treatment_resistant_depression",
        "vitals": {"systolic_mmhg": 124, "diastolic_mmhg": 78, "heart_rate_bpm": 70, "measured_at": measured},
        "conditions": [{"code": "F33.2", "clinical_status": "active"}],
        "antidepressant_trials": [
            {"drug": "sertraline", "adequate": True, "outcome": "no_response"},
            {"drug": "bupropion", "adequate": True, "outcome": "no_response"},
        ],
        "labs": {"alt_u_per_l": 20, "ast_u_per_l": 21, "bilirubin_mg_per_dl": 0.6, "egfr_ml_per_min": 95},
        "assessments": {"cssrs_screener": {"q1": False, "q2": False, "q6_lifetime": False}},
    }
    screening.record_screening(svc, console, patient_id, intake, purpose="intake", codes=svc.codes)
    request = orders.OrderRequest.from_form(
        {"protocol_id": "depression_standard", "drug_mg": "100", "volume_ml": "100"}
    )
    return orders.create_order(svc, console, patient_id, request).id


def _session(clinic: Clinic, console: Actor) -> UUID:
    order = orders.get_order(clinic.services, console, _order(clinic, console))
    return store_session(clinic.services, order.patient_id, order, chair=uuid4().hex[:6])


def _fill(clinic: Clinic, path: str) -> str:
    console = Actor.system("test")
    patient_id = None
    if "{session_id}" in path:
        path = path.replace("{session_id}", str(_session(clinic, console))).replace("{action}", "note")
    if "{order_id}" in path:
        path = path.replace("{order_id}", str(_order(clinic, console)))
    if "{protocol_id}" in path:
        path = path.replace("{protocol_id}", orders.list_protocols(clinic.services, console)[0].id)
    if "{patient_id}" in path or "{screening_id}" in path:
        patient_id = patients.register_patient(
            clinic.services,
            console,
            f"KF-{uuid4().hex[:8]}",
            {"family_name": "Matrix", "given_names": "Test", "date_of_birth": "1980-01-01", "sex": "other"},
        ).patient_id
        path = path.replace("{patient_id}", str(patient_id))
    if "{screening_id}" in path:
        assert patient_id is not None
        intake = {"patient": {"age_years": 46, "sex": "other", "weight_kg": 70}, "indication": "ptsd"}
        held = screening.record_screening(  # no vitals: holds, so a physician's review is possible
            clinic.services, console, patient_id, intake, purpose="intake", codes=clinic.services.codes
        )
        path = path.replace("{screening_id}", str(held.id))
    if "{consent_id}" in path:
        assert patient_id is not None
        consent = screening.record_consent(
            clinic.services,
            console,
            patient_id,
            sheet_id=list_information_sheets()[0].id,
            signed_by_name="Test Matrix",
            signed_on=patients.clinic_today(clinic.services).isoformat(),
        )
        path = path.replace("{consent_id}", str(consent.id))
    if "{sheet_id}" in path:
        path = path.replace("{sheet_id}", list_information_sheets()[0].id)
    if "{user_id}" in path:
        target = users.create_user(
            clinic.services,
            console,
            username=f"target{uuid4().hex[:8]}",
            display_name="Target",
            role="nurse",
            password="a-long-temporary-password",
        )
        path = path.replace("{user_id}", str(target.id))
    return path


@pytest.mark.parametrize("role", [*Role, None], ids=lambda r: r.value if r else "anonymous")
def test_each_role_is_allowed_or_refused_on_every_route(
    clinic: Clinic, role: Role | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The live board's event stream ends after a moment here, so the test client can read it whole.
    monkeypatch.setattr(web_sessions, "STREAM_MAX_S", 0.2)
    monkeypatch.setattr(web_sessions, "STREAM_WAIT_S", 0.05)
    client = clinic.login(role)
    token = csrf_of(client, "/login" if role is None else "/account")
    ordered = sorted(EXPECTED.items(), key=lambda kv: kv[0][1] == "/logout")
    mismatches: list[str] = []
    public_token = csrf_of(client, "/login")
    for (method, template), allowed in ordered:
        path = _fill(clinic, template)
        if allowed == PUBLIC:
            response = client.request(method, path, data={"csrf_token": public_token} if method == "POST" else None)
            assert response.status_code not in (403, 500), (method, template, response.status_code)
            continue
        if method == "GET":
            response = client.get(path)
        elif path.startswith("/api/"):
            response = client.post(path, json={}, headers={"X-CSRF-Token": token})
        else:
            response = client.post(path, data={"csrf_token": token})
        assert response.status_code < 500, (method, template, response.status_code)
        # A refusal: 403 for a signed-in role; for anonymous, 401 from the API or a redirect to sign in.
        # (A page's own 401, e.g. a wrong TOTP code, means the route was reached.)
        refused = (
            response.status_code == 403
            or (response.status_code == 401 and path.startswith("/api/"))
            or (response.status_code == 303 and response.headers["location"].startswith("/login?next="))
        )
        should_refuse = role is None or role not in allowed
        if refused != should_refuse:
            mismatches.append(
                f"{method} {template}: got {response.status_code}, expected {'refusal' if should_refuse else 'access'}"
            )
        if should_refuse and role is not None:
            assert response.status_code == 403, (method, template, response.status_code)

    assert mismatches == []
