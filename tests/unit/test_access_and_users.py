from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from ketaflow.domain.access import ROLE_PERMISSIONS, Permission, Role, can, is_second_factor_required
from ketaflow.domain.basis import Decision, Effect, Finding, decide
from ketaflow.domain.errors import InputError
from ketaflow.domain.users import LoginPolicy, UserAccount, WebSession, check_new_password, check_username

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
POLICY = LoginPolicy(5, timedelta(minutes=15), timedelta(minutes=15), timedelta(hours=12))


def test_every_permission_is_held_by_some_role() -> None:
    assert all(ROLE_PERMISSIONS[p] for p in Permission)


def test_auditors_read_the_trail_but_not_patient_charts() -> None:
    assert can(Role.AUDITOR, Permission.AUDIT_READ)
    assert not can(Role.AUDITOR, Permission.PATIENT_READ)


def test_front_desk_registers_patients_but_does_not_chart_measurements() -> None:
    assert can(Role.FRONT_DESK, Permission.PATIENT_REGISTER)
    assert not can(Role.FRONT_DESK, Permission.MEASUREMENT_RECORD)


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_second_factor_is_required_exactly_for_prescribers_and_admins(role: Role) -> None:
    assert is_second_factor_required(role) == (role in {Role.PHYSICIAN, Role.MEDICAL_DIRECTOR, Role.ADMIN})


def _user() -> UserAccount:
    return UserAccount(UUID(int=1), "nurse", "Nurse", Role.NURSE, "h", T0, T0)


def test_the_fifth_failed_sign_in_locks_the_account_for_the_lockout_period() -> None:
    user = _user()
    for _ in range(4):
        user = user.after_failed_login(T0, POLICY)
    assert not user.is_locked(T0)

    user = user.after_failed_login(T0, POLICY)

    assert user.is_locked(T0 + timedelta(minutes=14))
    assert not user.is_locked(T0 + timedelta(minutes=15))


@pytest.mark.parametrize(
    ("idle_min", "age_h", "reason"),
    [(14, 1, None), (15, 1, "idle timeout"), (1, 12, "absolute timeout")],
)
def test_sessions_end_after_idle_or_absolute_timeout(idle_min: int, age_h: int, reason: str | None) -> None:
    created = T0 - timedelta(hours=age_h)
    session = WebSession(UUID(int=2), "h", UUID(int=1), created, T0 - timedelta(minutes=idle_min), "c", True)

    assert session.expiry_reason(T0, POLICY) == reason


@pytest.mark.parametrize("password", ["short", "x" * 129, "my-nurse-password-123"])
def test_weak_or_username_containing_passwords_are_refused(password: str) -> None:
    with pytest.raises(InputError, match="password"):
        check_new_password(password, username="nurse")


@pytest.mark.parametrize("name", ["ab", "1nurse", "nurse smith", "x" * 41])
def test_usernames_follow_the_pattern(name: str) -> None:
    with pytest.raises(InputError, match="username"):
        check_username(name)


def test_the_strongest_finding_decides() -> None:
    findings = [
        Finding("a", Effect.WARN, "w", "src"),
        Finding("b", Effect.BLOCK, "b", "src"),
        Finding("c", Effect.INSUFFICIENT_DATA, "i", "src"),
    ]

    assert decide(findings) is Decision.BLOCK
    assert findings[0].to_json() == {"rule_id": "a", "effect": "warn", "message": "w", "inputs": {}, "source": "src"}
