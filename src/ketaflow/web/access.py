"""Every route declares who may use it with one of these dependencies; a test walks the route table.

``allow(Permission.X)`` signs the request in from the session cookie, enforces the second factor,
timeouts and CSRF (for unsafe methods), then checks the role. ``public()`` marks the few routes that
need no sign-in (login, health, static files), still with CSRF on its forms.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from ketaflow.domain.access import Permission, can
from ketaflow.domain.audit import ActionCode, AuditOutcome
from ketaflow.domain.errors import AccessDenied, AuthenticationFailed
from ketaflow.services.app import AppServices
from ketaflow.services.auth import SignedIn, resolve_session
from ketaflow.services.context import Actor, record_audit
from ketaflow.services.credentials import tokens_match

SESSION_COOKIE = "kf_session"
ANON_CSRF_COOKIE = "kf_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SecondFactorPending(AuthenticationFailed):
    """Password accepted; the TOTP step is still to do."""


class PasswordChangeRequired(AuthenticationFailed):
    """A temporary password must be replaced before anything else."""


class CsrfRejected(AccessDenied):
    def __init__(self) -> None:
        super().__init__("submit a form without a valid CSRF token (reload the page and try again)", None)


def services_of(request: Request) -> AppServices:
    services: AppServices = request.app.state.services
    return services


def client_address(request: Request) -> str:
    """The peer address; behind a trusted proxy uvicorn has already resolved X-Forwarded-For (proxy_headers)."""
    return (request.client.host if request.client else "")[:64]


async def _submitted_csrf(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER, "")
    if header:
        return header
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD, "")
        return value if isinstance(value, str) else ""
    return ""


@dataclass(frozen=True, slots=True)
class AccessRule:
    """A route's declared access: a permission, or public. Instances are FastAPI dependencies."""

    permission: Permission | None
    during_second_factor: bool = False
    during_password_change: bool = False
    # A background refresh (live board) must not keep an unattended screen signed in.
    passive: bool = False

    @property
    def is_public(self) -> bool:
        return self.permission is None

    async def __call__(self, request: Request) -> SignedIn | None:
        if self.is_public:
            if request.method not in SAFE_METHODS:
                cookie = request.cookies.get(ANON_CSRF_COOKIE, "")
                if not cookie or not tokens_match(cookie, await _submitted_csrf(request)):
                    raise CsrfRejected()
            return None
        svc = services_of(request)
        signed_in = resolve_session(svc, request.cookies.get(SESSION_COOKIE, ""), touch=not self.passive)
        request.state.signed_in = signed_in
        if request.method not in SAFE_METHODS and not tokens_match(
            signed_in.session.csrf_token, await _submitted_csrf(request)
        ):
            raise CsrfRejected()
        if not signed_in.session.second_factor_done and not self.during_second_factor:
            raise SecondFactorPending("second factor required")
        if signed_in.user.must_change_password and not (self.during_password_change or self.during_second_factor):
            raise PasswordChangeRequired("password change required")
        assert self.permission is not None  # public rules returned above
        if not can(signed_in.user.role, self.permission):
            actor = Actor(signed_in.user.id, signed_in.user.username, signed_in.user.role, client_address(request))
            with svc.uow_factory() as uow:
                record_audit(
                    uow,
                    svc.clock,
                    actor,
                    "access.denied",
                    ActionCode.EXECUTE,
                    outcome=AuditOutcome.DENIED,
                    resource_type="Route",
                    resource_id=f"{request.method} {request.url.path}"[:200],
                    detail=self.permission.value,
                )
                uow.commit()
            raise AccessDenied(self.permission.value, signed_in.user.role.value)
        return signed_in


def allow(
    permission: Permission,
    *,
    during_second_factor: bool = False,
    during_password_change: bool = False,
    passive: bool = False,
) -> AccessRule:
    return AccessRule(permission, during_second_factor, during_password_change, passive)


def public() -> AccessRule:
    return AccessRule(None)


def actor_of(request: Request, signed_in: SignedIn) -> Actor:
    return Actor(signed_in.user.id, signed_in.user.username, signed_in.user.role, client_address(request))
