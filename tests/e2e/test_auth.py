"""Signing in: lock-out, timeouts, second factor, CSRF, temporary passwords."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from sqlalchemy import text

from ketaflow.domain.access import Role
from ketaflow.services import users
from ketaflow.services.context import Actor
from tests.conftest import PASSWORD, Clinic, csrf_of, form_login


def _audit_actions(clinic: Clinic) -> list[str]:
    with clinic.database.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT action FROM audit_events ORDER BY seq"))]


def test_a_wrong_password_is_refused_without_saying_whether_the_user_exists(clinic: Clinic) -> None:
    client = clinic.app_client()

    wrong_password = form_login(client, "nurse", "not-the-password")
    unknown_user = form_login(client, "nobody", "not-the-password")

    assert wrong_password.status_code == unknown_user.status_code == 401  # type: ignore[attr-defined]
    assert "username or password is not correct" in wrong_password.text  # type: ignore[attr-defined]
    assert _audit_actions(clinic).count("login.failed") == 2


def test_five_failures_lock_the_account_even_for_the_right_password(clinic: Clinic) -> None:
    client = clinic.app_client()
    for _ in range(5):
        form_login(client, "nurse", "wrong-wrong-wrong")

    response = form_login(client, "nurse", PASSWORD)

    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "locked" in response.text  # type: ignore[attr-defined]
    assert "account.locked" in _audit_actions(clinic)
    clinic.clock.advance(minutes=16)
    assert form_login(client, "nurse", PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_an_idle_session_ends_after_fifteen_minutes(clinic: Clinic) -> None:
    client = clinic.login(Role.NURSE)
    clinic.clock.advance(minutes=14)
    assert client.get("/patients").status_code == 200

    clinic.clock.advance(minutes=15, seconds=1)
    response = client.get("/patients")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/patients&notice=expired"
    assert _audit_actions(clinic)[-1] == "logout"


def test_a_busy_session_still_ends_at_the_absolute_timeout(clinic: Clinic) -> None:
    client = clinic.login(Role.NURSE)
    started = clinic.clock.now()
    while clinic.clock.now() - started < timedelta(hours=11, minutes=50):
        clinic.clock.advance(minutes=10)
        assert client.get("/account").status_code == 200

    clinic.clock.advance(minutes=10)

    assert client.get("/account").status_code == 303


def test_signing_out_ends_the_session_on_the_server(clinic: Clinic) -> None:
    client = clinic.login(Role.NURSE)
    cookie = client.cookies.get("kf_session")

    client.post("/logout", data={"csrf_token": csrf_of(client)})
    replay = clinic.app_client()
    replay.cookies.set("kf_session", cookie or "")

    assert replay.get("/account").status_code == 303


def test_a_form_post_without_the_csrf_token_is_refused_and_changes_nothing(clinic: Clinic) -> None:
    client = clinic.login(Role.NURSE)
    before = len(_audit_actions(clinic))

    response = client.post(
        "/patients",
        data={"mrn": "KF-9", "family_name": "X", "given_names": "Y", "date_of_birth": "1990-01-01", "sex": "male"},
    )

    assert response.status_code == 403
    assert "CSRF" in response.text
    assert "patient.register" not in _audit_actions(clinic)[before:]


def test_the_login_form_itself_needs_its_csrf_cookie(clinic: Clinic) -> None:
    client = clinic.app_client()

    response = client.post("/login", data={"username": "nurse", "password": PASSWORD, "csrf_token": "forged"})

    assert response.status_code == 403


def test_a_physician_cannot_use_the_app_until_the_second_factor_is_done(clinic: Clinic) -> None:
    client = clinic.app_client()
    form_login(client, "physician", PASSWORD)

    response = client.get("/patients")

    assert response.status_code == 303
    assert response.headers["location"] == "/login/second-factor"


def test_a_totp_code_cannot_be_replayed(clinic: Clinic) -> None:
    clinic.login(Role.PHYSICIAN)  # enrols
    secret = clinic.totp_secret(Role.PHYSICIAN)
    clinic.clock.advance(seconds=31)
    code = pyotp.TOTP(secret).at(clinic.clock.now())
    first, second = clinic.app_client(), clinic.app_client()
    for client in (first, second):
        form_login(client, "physician", PASSWORD)

    ok = first.post("/login/second-factor", data={"code": code, "csrf_token": csrf_of(first, "/login/second-factor")})
    replay = second.post(
        "/login/second-factor", data={"code": code, "csrf_token": csrf_of(second, "/login/second-factor")}
    )

    assert ok.status_code == 303
    assert replay.status_code == 401


def test_a_temporary_password_must_be_changed_before_anything_else(clinic: Clinic) -> None:
    users.create_user(
        clinic.services,
        Actor.system("test"),
        username="newnurse",
        display_name="New Nurse",
        role="nurse",
        password="temporary-password-1",
    )
    client = clinic.app_client()
    form_login(client, "newnurse", "temporary-password-1")

    blocked = client.get("/patients")
    token = csrf_of(client, "/account/password")
    changed = client.post(
        "/account/password",
        data={
            "current_password": "temporary-password-1",
            "new_password": "my own long passphrase",
            "confirm_password": "my own long passphrase",
            "csrf_token": token,
        },
    )

    assert blocked.headers["location"] == "/account/password"
    assert changed.status_code == 303
    assert client.get("/patients").status_code == 200


def test_cookies_are_secure_httponly_and_same_site_strict(clinic: Clinic) -> None:
    client = clinic.app_client()
    token = csrf_of(client, "/login")

    response = client.post("/login", data={"username": "nurse", "password": PASSWORD, "csrf_token": token})

    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie
