"""Staff accounts: create, list, disable, reset password or second factor. Every change is audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeAlias
from uuid import UUID, uuid4

from ketaflow.domain.access import Permission, Role
from ketaflow.domain.audit import ActionCode
from ketaflow.domain.errors import Conflict, InputError, NotFound
from ketaflow.domain.users import UserAccount, check_display_name, check_new_password, check_username
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, record_audit, require


def _role(raw: object) -> Role:
    try:
        return Role(str(raw))
    except ValueError:
        raise InputError("role", "one of " + ", ".join(r.value for r in Role), raw) from None


def create_user(
    svc: AppServices,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    must_change_password: bool = True,
) -> UserAccount:
    """Open a staff account; the first sign-in asks for a new password unless told otherwise."""
    require(actor, Permission.USER_MANAGE)
    name = check_username(username)
    user_role = _role(role)
    now = svc.clock.now()
    user = UserAccount(
        id=uuid4(),
        username=name,
        display_name=check_display_name(display_name),
        role=user_role,
        password_hash=svc.hasher.hash(check_new_password(password, username=name)),
        created_at_utc=now,
        password_changed_at_utc=now,
        must_change_password=must_change_password,
    )
    with svc.uow_factory() as uow:
        if uow.users.get_by_username(name) is not None:
            raise Conflict(f"username {name} is taken")
        uow.users.add(user)
        record_audit(
            uow,
            svc.clock,
            actor,
            "user.create",
            ActionCode.CREATE,
            resource_type="User",
            resource_id=str(user.id),
            detail=f"{name} as {user_role.value}",
        )
        uow.commit()
    return user


def list_users(svc: AppServices, actor: Actor) -> list[UserAccount]:
    require(actor, Permission.USER_MANAGE)
    with svc.uow_factory() as uow:
        return sorted(uow.users.list_all(), key=lambda u: (u.disabled, u.role.value, u.username))


def _load(svc: AppServices, username_or_id: str | UUID) -> UserAccount:
    with svc.uow_factory() as uow:
        user = (
            uow.users.get(username_or_id)
            if isinstance(username_or_id, UUID)
            else uow.users.get_by_username(username_or_id.strip().lower())
        )
    if user is None:
        raise NotFound("user", username_or_id)
    return user


# Changes after which the user must sign in again (the new state applies at once).
ENDS_SESSIONS = frozenset({"user.disable", "user.password_reset", "user.second_factor_reset", "user.role_change"})


def _save_change(svc: AppServices, actor: Actor, user: UserAccount, action: str, detail: str) -> UserAccount:
    with svc.uow_factory() as uow:
        uow.users.save(user)
        if action in ENDS_SESSIONS:
            uow.sessions.end_all_for_user(user.id, svc.clock.now(), action)
        record_audit(
            uow,
            svc.clock,
            actor,
            action,
            ActionCode.UPDATE,
            resource_type="User",
            resource_id=str(user.id),
            detail=detail,
        )
        uow.commit()
    return user


def disable_user(svc: AppServices, actor: Actor, username_or_id: str | UUID) -> UserAccount:
    """Disable an account and end its sessions; accounts are never deleted (the audit trail names them)."""
    require(actor, Permission.USER_MANAGE)
    user = _load(svc, username_or_id)
    if actor.user_id == user.id:
        raise Conflict("you cannot disable your own account")
    if user.role is Role.ADMIN and not user.disabled:
        active_admins = [u for u in list_users(svc, actor) if u.role is Role.ADMIN and not u.disabled]
        if len(active_admins) <= 1:
            raise Conflict("the last active admin cannot be disabled")
    return _save_change(svc, actor, replace(user, disabled=True), "user.disable", user.username)


def enable_user(svc: AppServices, actor: Actor, username_or_id: str | UUID) -> UserAccount:
    require(actor, Permission.USER_MANAGE)
    user = _load(svc, username_or_id)
    return _save_change(
        svc,
        actor,
        replace(user, disabled=False, failed_logins=0, locked_until_utc=None),
        "user.enable",
        user.username,
    )


def reset_password(svc: AppServices, actor: Actor, username_or_id: str | UUID, new_password: str) -> UserAccount:
    """Set a temporary password (to be changed at next sign-in), unlock, and end the user's sessions."""
    require(actor, Permission.USER_MANAGE)
    user = _load(svc, username_or_id)
    check_new_password(new_password, username=user.username)
    changed = replace(
        user,
        password_hash=svc.hasher.hash(new_password),
        password_changed_at_utc=svc.clock.now(),
        must_change_password=True,
        failed_logins=0,
        locked_until_utc=None,
    )
    return _save_change(svc, actor, changed, "user.password_reset", user.username)


def reset_second_factor(svc: AppServices, actor: Actor, username_or_id: str | UUID) -> UserAccount:
    """Remove a lost authenticator; the user enrols a new one at next sign-in."""
    require(actor, Permission.USER_MANAGE)
    user = _load(svc, username_or_id)
    changed = replace(user, totp_enrolled=False, totp_secret_encrypted="", totp_last_step=0)
    return _save_change(svc, actor, changed, "user.second_factor_reset", user.username)


def change_role(svc: AppServices, actor: Actor, username_or_id: str | UUID, role: str) -> UserAccount:
    """A privilege change; audited as such, ends the user's sessions so the new role applies at once."""
    require(actor, Permission.USER_MANAGE)
    user = _load(svc, username_or_id)
    new_role = _role(role)
    if actor.user_id == user.id:
        raise Conflict("you cannot change your own role")
    detail = f"{user.username}: {user.role.value} -> {new_role.value}"
    return _save_change(svc, actor, replace(user, role=new_role), "user.role_change", detail)


AccountChange: TypeAlias = Callable[[AppServices, Actor, "str | UUID"], UserAccount]
