"""Sign in (password, then TOTP or its enrolment), sign out, keep-alive, own account and password."""

from __future__ import annotations

import io
from typing import Annotated

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ketaflow.domain.access import ROLE_PERMISSIONS, Permission
from ketaflow.domain.errors import AuthenticationFailed, InputError
from ketaflow.services import auth
from ketaflow.services.auth import NextStep, SignedIn
from ketaflow.web.access import SESSION_COOKIE, allow, client_address, public, services_of
from ketaflow.web.errors import remember_form
from ketaflow.web.rendering import home_for, render

router = APIRouter(include_in_schema=False)
Public = Annotated[None, Depends(public())]
Pending = Annotated[SignedIn, Depends(allow(Permission.ACCOUNT_SELF, during_second_factor=True))]
Changing = Annotated[SignedIn, Depends(allow(Permission.ACCOUNT_SELF, during_password_change=True))]
Exiting = Annotated[
    SignedIn, Depends(allow(Permission.ACCOUNT_SELF, during_second_factor=True, during_password_change=True))
]
Self_ = Annotated[SignedIn, Depends(allow(Permission.ACCOUNT_SELF))]


def _safe_next(raw: str) -> str:
    """Only a local path: never an open redirect to another site ("" means the role's home page)."""
    return raw if raw.startswith("/") and not raw.startswith(("//", "/\\")) else ""


@router.get("/login")
async def login_page(request: Request, _: Public, next: str = "") -> HTMLResponse:
    return render(request, "login.html", None, next=_safe_next(next), username="")


@router.post("/login")
async def login(
    request: Request,
    _: Public,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    svc = services_of(request)
    try:
        started = auth.sign_in(svc, username, password, source_address=client_address(request))
    except AuthenticationFailed as exc:
        return render(
            request,
            "login.html",
            None,
            status_code=401,
            error_summary=str(exc),
            username=username,
            next=_safe_next(next),
        )
    target = {
        NextStep.DONE: _safe_next(next) or home_for(started.user.role),
        NextStep.VERIFY_SECOND_FACTOR: "/login/second-factor",
        NextStep.ENROL_SECOND_FACTOR: "/login/enrol",
    }[started.next_step]
    response = RedirectResponse(target, status_code=303)
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        started.token,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
        path="/",
        max_age=settings.session_absolute_timeout_h * 3600,
    )
    return response


@router.get("/login/second-factor")
async def second_factor_page(request: Request, signed_in: Pending) -> Response:
    if signed_in.session.second_factor_done:
        return RedirectResponse(home_for(signed_in.user.role), status_code=303)
    if not signed_in.user.totp_enrolled:
        return RedirectResponse("/login/enrol", status_code=303)
    return render(request, "second_factor.html", signed_in)


@router.post("/login/second-factor")
async def second_factor(
    request: Request, signed_in: Pending, code: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    try:
        auth.verify_second_factor(services_of(request), signed_in, code)
    except AuthenticationFailed as exc:
        return render(request, "second_factor.html", signed_in, status_code=401, error_summary=str(exc))
    return RedirectResponse(home_for(signed_in.user.role), status_code=303)


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8")


@router.get("/login/enrol")
async def enrol_page(request: Request, signed_in: Pending) -> Response:
    if signed_in.user.totp_enrolled:
        return RedirectResponse("/login/second-factor", status_code=303)
    enrolment = auth.start_second_factor_enrolment(services_of(request), signed_in)
    return render(request, "enrol.html", signed_in, secret=enrolment.secret, qr_svg=_qr_svg(enrolment.uri))


@router.post("/login/enrol")
async def enrol(request: Request, signed_in: Pending, code: Annotated[str, Form(max_length=20)] = "") -> Response:
    try:
        auth.confirm_second_factor_enrolment(services_of(request), signed_in, code)
    except InputError as exc:
        # The same secret again: the user has already scanned it.
        enrolment = auth.start_second_factor_enrolment(services_of(request), signed_in)
        return render(
            request,
            "enrol.html",
            signed_in,
            status_code=422,
            error_summary=str(exc).split(": ", 1)[1],
            secret=enrolment.secret,
            qr_svg=_qr_svg(enrolment.uri),
        )
    return RedirectResponse(home_for(signed_in.user.role) + "?notice=enrolled", status_code=303)


@router.post("/logout")
async def logout(request: Request, signed_in: Exiting) -> RedirectResponse:
    auth.sign_out(services_of(request), signed_in)
    response = RedirectResponse("/login?notice=signed_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/session/keepalive", status_code=204)
async def keepalive(_: Self_) -> Response:
    """The idle notice calls this when the user stays signed in; the access rule already touched the session."""
    return Response(status_code=204)


@router.get("/account")
async def account(request: Request, signed_in: Self_) -> HTMLResponse:
    permissions = sorted(p.value for p, roles in ROLE_PERMISSIONS.items() if signed_in.user.role in roles)
    return render(request, "account.html", signed_in, permissions=permissions)


@router.get("/account/password")
async def password_page(request: Request, signed_in: Changing) -> HTMLResponse:
    return render(request, "password.html", signed_in, errors={})


@router.post("/account/password")
async def change_password(
    request: Request,
    signed_in: Changing,
    current_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
    confirm_password: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    remember_form(request, "password.html")
    if new_password != confirm_password:
        raise InputError("confirm_password", "the same new password twice")
    auth.change_own_password(services_of(request), signed_in, current_password, new_password)
    return RedirectResponse("/account?notice=password_changed", status_code=303)
