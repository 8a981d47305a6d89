"""Signing in and out: password, TOTP second factor (with enrolment), server-side sessions and timeouts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from uuid import uuid4

from ketaflow.domain.audit import ActionCode, AuditOutcome
from ketaflow.domain.errors import AuthenticationFailed, InputError
from ketaflow.domain.users import UserAccount, WebSession, check_new_password
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, record_audit
from ketaflow.services.credentials import (
    matching_totp_step,
    new_token,
    new_totp_secret,
    token_digest,
    totp_uri,
)
from ketaflow.services.ports import UnitOfWork

GENERIC_FAILURE = "The username or password is not correct."


class NextStep(StrEnum):
    DONE = "done"
    VERIFY_SECOND_FACTOR = "verify_second_factor"
    ENROL_SECOND_FACTOR = "enrol_second_factor"


@dataclass(frozen=True, slots=True)
class SignIn:
    """A started session: the cookie token (shown once) and what the user must do next."""

    token: str
    session: WebSession
    user: UserAccount
    next_step: NextStep


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A valid session and its user, resolved from the cookie token on each request."""

    session: WebSession
    user: UserAccount

    def actor(self) -> Actor:
        return Actor(self.user.id, self.user.username, self.user.role, self.session.source_address)


def _actor_for(user: UserAccount | None, username: str, source_address: str) -> Actor:
    if user is None:
        return Actor(None, username[:40], None, source_address)
    return Actor(user.id, user.username, user.role, source_address)


def _failed(uow: UnitOfWork, svc: AppServices, actor: Actor, detail: str) -> AuthenticationFailed:
    record_audit(uow, svc.clock, actor, "login.failed", ActionCode.EXECUTE, outcome=AuditOutcome.FAILED, detail=detail)
    uow.commit()
    return AuthenticationFailed(GENERIC_FAILURE)


def sign_in(svc: AppServices, username: str, password: str, *, source_address: str) -> SignIn:
    """Check the password and open a session; the session is complete only after the second factor."""
    now = svc.clock.now()
    name = username.strip().lower()
    with svc.uow_factory() as uow:
        user = uow.users.get_by_username(name)
        actor = _actor_for(user, name, source_address)
        if user is None:
            svc.hasher.dummy_verify(password)
            raise _failed(uow, svc, actor, "unknown username")
        if user.disabled:
            svc.hasher.dummy_verify(password)
            raise _failed(uow, svc, actor, "account disabled")
        if user.is_locked(now):
            svc.hasher.dummy_verify(password)
            record_audit(
                uow,
                svc.clock,
                actor,
                "login.failed",
                ActionCode.EXECUTE,
                outcome=AuditOutcome.DENIED,
                detail="account locked",
            )
            uow.commit()
            raise AuthenticationFailed(
                "This account is locked after repeated failed sign-ins. Try again later or ask an admin."
            )
        if not svc.hasher.verify(user.password_hash, password):
            _count_failure(uow, svc, user, actor, "wrong password")
            raise AuthenticationFailed(GENERIC_FAILURE)
        user = user.after_successful_login()
        if svc.hasher.needs_rehash(user.password_hash):
            user = replace(user, password_hash=svc.hasher.hash(password))
        uow.users.save(user)
        token = new_token()
        session = WebSession(
            id=uuid4(),
            token_sha256=token_digest(token),
            user_id=user.id,
            created_at_utc=now,
            last_seen_at_utc=now,
            csrf_token=new_token(),
            second_factor_done=not user.needs_second_factor,
            source_address=source_address,
        )
        uow.sessions.add(session)
        if session.second_factor_done:
            step = NextStep.DONE
            record_audit(uow, svc.clock, actor, "login", ActionCode.EXECUTE)
        else:
            step = NextStep.VERIFY_SECOND_FACTOR if user.totp_enrolled else NextStep.ENROL_SECOND_FACTOR
            record_audit(uow, svc.clock, actor, "login.password_ok", ActionCode.EXECUTE, detail=f"next: {step.value}")
        uow.commit()
    return SignIn(token=token, session=session, user=user, next_step=step)


def _count_failure(uow: UnitOfWork, svc: AppServices, user: UserAccount, actor: Actor, detail: str) -> None:
    now = svc.clock.now()
    updated = user.after_failed_login(now, svc.login_policy)
    uow.users.save(updated)
    record_audit(uow, svc.clock, actor, "login.failed", ActionCode.EXECUTE, outcome=AuditOutcome.FAILED, detail=detail)
    if updated.is_locked(now):
        record_audit(
            uow,
            svc.clock,
            actor,
            "account.locked",
            ActionCode.UPDATE,
            resource_type="User",
            resource_id=str(user.id),
            detail="too many failed sign-ins",
        )
    uow.commit()


def resolve_session(svc: AppServices, token: str, *, touch: bool = True) -> SignedIn:
    """The session and user behind a cookie token; ends the session when it has timed out."""
    now = svc.clock.now()
    with svc.uow_factory() as uow:
        session = uow.sessions.get_by_token(token_digest(token)) if token else None
        if session is None:
            raise AuthenticationFailed("not signed in")
        user = uow.users.get(session.user_id)
        reason = session.expiry_reason(now, svc.login_policy)
        if reason is None and (user is None or user.disabled):
            reason = "account disabled"
        if reason is not None:
            if session.ended_at_utc is None:
                uow.sessions.save(replace(session, ended_at_utc=now, end_reason=reason))
                actor = _actor_for(user, "", session.source_address)
                record_audit(uow, svc.clock, actor, "logout", ActionCode.EXECUTE, detail=reason)
                uow.commit()
            raise AuthenticationFailed(f"session ended: {reason}")
        assert user is not None  # a None user set a reason above
        if touch:
            session = replace(session, last_seen_at_utc=now)
            uow.sessions.save(session)
            uow.commit()
    return SignedIn(session=session, user=user)


def sign_out(svc: AppServices, signed_in: SignedIn) -> None:
    with svc.uow_factory() as uow:
        uow.sessions.save(replace(signed_in.session, ended_at_utc=svc.clock.now(), end_reason="signed out"))
        record_audit(uow, svc.clock, signed_in.actor(), "logout", ActionCode.EXECUTE, detail="signed out")
        uow.commit()


def verify_second_factor(svc: AppServices, signed_in: SignedIn, code: str) -> SignedIn:
    """Complete a sign-in with a TOTP code; a code is accepted once (no replay)."""
    now = svc.clock.now()
    with svc.uow_factory() as uow:
        user = uow.users.get(signed_in.user.id)
        if user is None or not user.totp_enrolled:
            raise AuthenticationFailed("second factor is not set up")
        secret = svc.secret_box.open(user.totp_secret_encrypted)
        step = matching_totp_step(secret, code, now.timestamp())
        actor = signed_in.actor()
        if step is None or step <= user.totp_last_step:
            _count_failure(uow, svc, user, actor, "wrong second-factor code")
            raise AuthenticationFailed("The code is not correct. Use the current code from your authenticator app.")
        uow.users.save(replace(user.after_successful_login(), totp_last_step=step))
        session = replace(signed_in.session, second_factor_done=True, last_seen_at_utc=now)
        uow.sessions.save(session)
        record_audit(uow, svc.clock, actor, "login", ActionCode.EXECUTE, detail="password and TOTP")
        uow.commit()
    return SignedIn(session=session, user=user)


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    uri: str


def start_second_factor_enrolment(svc: AppServices, signed_in: SignedIn) -> Enrolment:
    """The TOTP secret to enrol, as a QR code and as text: the one in progress, or a new one.

    Reloading the page or mistyping the code shows the same secret, which the user may already have scanned.
    """
    if signed_in.user.totp_enrolled:
        raise InputError("totp", "no existing second factor (ask an admin to reset it first)")
    with svc.uow_factory() as uow:
        user = uow.users.get(signed_in.user.id)
        if user is None:
            raise AuthenticationFailed("not signed in")
        if user.totp_secret_encrypted:
            secret = svc.secret_box.open(user.totp_secret_encrypted)
        else:
            secret = new_totp_secret()
            uow.users.save(replace(user, totp_secret_encrypted=svc.secret_box.seal(secret)))
            uow.commit()
    return Enrolment(secret=secret, uri=totp_uri(secret, signed_in.user.username, svc.clinic_name))


def confirm_second_factor_enrolment(svc: AppServices, signed_in: SignedIn, code: str) -> SignedIn:
    """Finish enrolment by proving the authenticator app shows the right code."""
    now = svc.clock.now()
    with svc.uow_factory() as uow:
        user = uow.users.get(signed_in.user.id)
        if user is None or user.totp_enrolled or not user.totp_secret_encrypted:
            raise InputError("code", "an enrolment in progress (reload the page to start again)")
        secret = svc.secret_box.open(user.totp_secret_encrypted)
        step = matching_totp_step(secret, code, now.timestamp())
        if step is None:
            raise InputError("code", "the 6-digit code your authenticator app shows now")
        user = replace(user, totp_enrolled=True, totp_last_step=step)
        uow.users.save(user)
        session = replace(signed_in.session, second_factor_done=True, last_seen_at_utc=now)
        uow.sessions.save(session)
        actor = signed_in.actor()
        record_audit(
            uow,
            svc.clock,
            actor,
            "user.second_factor_enrolled",
            ActionCode.UPDATE,
            resource_type="User",
            resource_id=str(user.id),
        )
        record_audit(uow, svc.clock, actor, "login", ActionCode.EXECUTE, detail="password and new TOTP")
        uow.commit()
    return SignedIn(session=session, user=user)


def change_own_password(svc: AppServices, signed_in: SignedIn, current: str, new: str) -> None:
    user = signed_in.user
    if not svc.hasher.verify(user.password_hash, current):
        raise InputError("current_password", "your current password")
    try:
        check_new_password(new, username=user.username)
    except InputError as exc:
        raise InputError("new_password", exc.expected) from exc
    now = svc.clock.now()
    with svc.uow_factory() as uow:
        fresh = uow.users.get(user.id)
        if fresh is None:
            raise AuthenticationFailed("not signed in")
        uow.users.save(
            replace(
                fresh,
                password_hash=svc.hasher.hash(new),
                password_changed_at_utc=now,
                must_change_password=False,
            )
        )
        record_audit(
            uow,
            svc.clock,
            signed_in.actor(),
            "user.password_changed",
            ActionCode.UPDATE,
            resource_type="User",
            resource_id=str(user.id),
        )
        uow.commit()
