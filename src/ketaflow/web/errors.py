"""The one place that maps error families to HTTP status, page or JSON body. Nothing leaks a stack trace."""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ketaflow.domain.errors import (
    AccessDenied,
    AuthenticationFailed,
    ClinicError,
    Conflict,
    InputError,
    InputErrors,
    IntegrityViolation,
    NotFound,
)
from ketaflow.web.access import PasswordChangeRequired, SecondFactorPending
from ketaflow.web.rendering import render

log = logging.getLogger("ketaflow.web")


@dataclass(slots=True)
class FormContext:
    """Set by a route before it calls a service, so a bad input re-renders the same form with errors."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    # Context that costs a (audited) read is built only when the form must be shown again.
    lazy: Callable[[], dict[str, Any]] | None = None


def remember_form(
    request: Request, template: str, *, lazy: Callable[[], dict[str, Any]] | None = None, **context: Any
) -> None:
    request.state.form = FormContext(template, context, lazy)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _field_errors(exc: ClinicError, *, for_people: bool) -> dict[str, str]:
    """Per field: the full "expected …, got …" for programs; for a person, what to enter, as a sentence."""
    errors = exc.errors if isinstance(exc, InputErrors) else (exc,) if isinstance(exc, InputError) else ()
    if for_people:
        return {e.field: f"Enter {e.expected}." for e in errors}
    return {e.field: str(e).split(": ", 1)[1] for e in errors}


def _problem(request: Request, status: int, title: str, detail: str, errors: dict[str, str] | None = None) -> Response:
    """JSON for the API, the form again (when the route left one) or an error page for browsers."""
    if _wants_json(request):
        body: dict[str, Any] = {"status": status, "title": title, "detail": detail}
        if errors:
            body["errors"] = [{"field": k, "message": v} for k, v in errors.items()]
        return JSONResponse(body, status_code=status)
    signed_in = getattr(request.state, "signed_in", None)
    form: FormContext | None = getattr(request.state, "form", None)
    if form is not None and status in (409, 422):
        context = {**(form.lazy() if form.lazy else {}), **form.context}
        return render(
            request,
            form.template,
            signed_in,
            status_code=status,
            errors=errors or {},
            error_summary=detail,
            **context,
        )
    return render(request, "error.html", signed_in, status_code=status, title=title, detail=detail)


def _login_redirect(request: Request, expired: bool) -> Response:
    if _wants_json(request):
        return JSONResponse({"status": 401, "title": "Not signed in", "detail": "sign in first"}, status_code=401)
    target = "/login?next=" + quote(request.url.path, safe="/")
    if expired:
        target += "&notice=expired"
    return RedirectResponse(target, status_code=303)


async def handle_clinic_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SecondFactorPending):
        return (
            _problem(request, 401, "Second factor required", str(exc))
            if _wants_json(request)
            else RedirectResponse("/login/second-factor", status_code=303)
        )
    if isinstance(exc, PasswordChangeRequired):
        return (
            _problem(request, 403, "Password change required", str(exc))
            if _wants_json(request)
            else RedirectResponse("/account/password", status_code=303)
        )
    if isinstance(exc, AuthenticationFailed):
        return _login_redirect(request, expired="session ended" in str(exc))
    if isinstance(exc, AccessDenied):
        return _problem(request, 403, "Not allowed", str(exc))
    if isinstance(exc, NotFound):
        return _problem(request, 404, "Not found", str(exc))
    if isinstance(exc, InputError | InputErrors):
        people = not _wants_json(request)
        errors = _field_errors(exc, for_people=people)
        # The summary says what to do too: not every field has an input on the page it comes back to.
        detail = "Please check: " + " ".join(errors.values()) if people else str(exc)
        return _problem(request, 422, "Please check the highlighted fields", detail, errors)
    if isinstance(exc, Conflict):
        return _problem(request, 409, "Could not save", str(exc))
    if isinstance(exc, IntegrityViolation):
        log.error("integrity violation on %s %s", request.method, request.url.path)
        return _problem(
            request, 500, "Integrity check failed", "stored data failed its integrity check; IT has been told"
        )
    return _problem(request, 400, "Request refused", str(exc))


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        errors[".".join(loc) or "request"] = str(err.get("msg", "invalid value"))
    detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
    return _problem(request, 422, "Please check the highlighted fields", detail, errors)


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed"}
    response = _problem(request, exc.status_code, titles.get(exc.status_code, "Request refused"), str(exc.detail))
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    # Process edge: log the type and a reference, never the request body or patient data.
    reference = uuid.uuid4().hex[:12]
    # Frames only (file, line, function): exception messages can carry SQL parameters, i.e. patient data.
    frames = " < ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}"
        for f in reversed(traceback.extract_tb(exc.__traceback__))
    )
    log.error(
        "unhandled %s on %s %s (ref %s) at %s",
        type(exc).__name__,
        request.method,
        request.url.path,
        reference,
        frames,
    )
    return _problem(
        request,
        500,
        "Something went wrong",
        f"The request was not completed and nothing was saved. Reference {reference}.",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ClinicError, handle_clinic_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected)
