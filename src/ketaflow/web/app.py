"""The FastAPI app factory: routers, static files, security headers, error handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from ketaflow import __version__
from ketaflow.config import Settings
from ketaflow.services.app import AppServices
from ketaflow.web.errors import install_error_handlers
from ketaflow.web.rendering import STATIC_DIR, build_templates
from ketaflow.web.routes import (
    admin,
    api,
    audit,
    auth,
    courses,
    orders,
    outcomes,
    patients,
    pk,
    questionnaires,
    screening,
    sessions,
    system,
)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def create_app(services: AppServices, settings: Settings) -> FastAPI:
    app = FastAPI(
        title="ketaflow",
        version=__version__,
        description="Clinic API of ketaflow. Every call needs a signed-in session; unsafe methods need the "
        "session's CSRF token in the X-CSRF-Token header.",
        # The stock docs pages load scripts from a CDN and the stock routes carry no access rule:
        # the OpenAPI document is served by routes/system.py instead.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = services
    app.state.settings = settings
    app.state.templates = build_templates(settings.clinic_timezone)
    install_error_handlers(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if not request.url.path.startswith("/static/"):
            # Patient data must not linger in browser or proxy caches (ONC 170.315(d)(7)).
            response.headers["Cache-Control"] = "no-store"
        if settings.cookie_secure and request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    routers = (
        system,
        auth,
        patients,
        screening,
        orders,
        pk,
        sessions,
        questionnaires,
        courses,
        outcomes,
        audit,
        admin,
        api,
    )
    for router in (module.router for module in routers):
        app.include_router(router)
    return app
