"""Templates and the context every page shares (user, navigation, CSRF token, clinic time zone)."""

from __future__ import annotations

from datetime import date, datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ketaflow import __version__
from ketaflow.domain.access import Permission, Role, can
from ketaflow.services.auth import SignedIn
from ketaflow.services.credentials import new_token
from ketaflow.web.access import ANON_CSRF_COOKIE

TEMPLATE_DIR = str(resources.files("ketaflow.web").joinpath("templates"))
STATIC_DIR = str(resources.files("ketaflow.web").joinpath("static"))

NAV = (
    ("Patients", "/patients", Permission.PATIENT_READ),
    ("Board", "/board", Permission.SESSION_READ),
    ("Outcomes", "/outcomes", Permission.CLINIC_REPORT_READ),
    ("Protocols", "/protocols", Permission.PROTOCOL_READ),
    ("Audit trail", "/audit", Permission.AUDIT_READ),
    ("Users", "/admin/users", Permission.USER_MANAGE),
    ("Account", "/account", Permission.ACCOUNT_SELF),
)

# Messages shown after a redirect, chosen by code so no request can put its own text on a page.
NOTICES = {
    "sheet_sent": ("success", "Information sheet sent to the e-mail address on the patient's record."),
    "registered": ("success", "Patient registered."),
    "amended": ("success", "Correction saved as a new version; the earlier version is kept in the history."),
    "measured": ("success", "Measurement recorded."),
    "measurement_corrected": ("success", "Measurement corrected; the original stays in the history."),
    "screened": ("success", "Screening recorded with the rule-set version it used."),
    "reviewed": ("success", "Decision on the hold documented."),
    "consent_recorded": ("success", "Consent recorded."),
    "consent_withdrawn": ("success", "Consent withdrawn; the record stays with the withdrawal beside it."),
    "gate_checked": ("success", "Pre-infusion gate checked."),
    "checked_in": ("success", "Checked in: the patient is on the live board."),
    "charted": ("success", "Charted."),
    "order_created": ("success", "Order created as a draft: check it, then sign it."),
    "order_signed": ("success", "Order signed; it can no longer be changed."),
    "protocol_revised": ("success", "Protocol saved as a new version; orders keep the version they were made with."),
    "user_created": ("success", "User created. Give them the temporary password in person."),
    "user_changed": ("success", "User updated."),
    "password_changed": ("success", "Password changed."),
    "enrolled": ("success", "Authenticator app set up."),
    "signed_out": ("info", "You are signed out."),
    "expired": ("warning", "Your session ended for privacy. Please sign in again."),
}


def home_for(role: Role) -> str:
    """The first page a role may open: charts for clinical staff, the trail for auditors, users for admins."""
    for _label, href, permission in NAV:
        if can(role, permission):
            return href
    return "/account"


def _local_time(settings_tz: str) -> Any:  # Any: Jinja filters are untyped callables
    zone = ZoneInfo(settings_tz)

    def local(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.astimezone(zone).strftime(fmt)
        return value.isoformat()

    return local


def build_templates(clinic_timezone: str) -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATE_DIR)
    templates.env.filters["local"] = _local_time(clinic_timezone)
    templates.env.globals["version"] = __version__
    return templates


def anonymous_csrf_token(request: Request) -> str:
    token = request.cookies.get(ANON_CSRF_COOKIE, "")
    if not token:
        token = request.state.new_anon_csrf = new_token()
    return token


def render(
    request: Request, template: str, signed_in: SignedIn | None, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page with the shared context; ``context`` is the page's own data."""
    settings = request.app.state.settings
    templates: Jinja2Templates = request.app.state.templates
    user = signed_in.user if signed_in else None
    nav = [
        (label, href, request.url.path.startswith(href))
        for label, href, permission in NAV
        if user is not None
        and signed_in is not None
        and signed_in.session.second_factor_done
        and can(user.role, permission)
    ]
    notice = NOTICES.get(request.query_params.get("notice", ""))
    flashes = [notice] if notice else []
    base = {
        "user": user,
        "nav": nav,
        "csrf_token": signed_in.session.csrf_token if signed_in else anonymous_csrf_token(request),
        "session_idle_seconds": settings.session_idle_timeout_min * 60,
        "clinic_name": settings.clinic_name,
        "clinic_timezone": settings.clinic_timezone,
        "flashes": flashes,
    }
    response = templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
    new_cookie = getattr(request.state, "new_anon_csrf", None)
    if new_cookie:
        response.set_cookie(
            ANON_CSRF_COOKIE,
            new_cookie,
            httponly=True,
            samesite="strict",
            secure=settings.cookie_secure,
            path="/",
        )
    return response
