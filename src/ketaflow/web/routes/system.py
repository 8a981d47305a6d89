"""Home redirect, health check and the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse

from ketaflow import __version__
from ketaflow.domain.access import Permission
from ketaflow.services.auth import SignedIn
from ketaflow.web.access import allow, public
from ketaflow.web.rendering import home_for

router = APIRouter()
Public = Annotated[None, Depends(public())]


@router.get("/", include_in_schema=False)
async def home(signed_in: Annotated[SignedIn, Depends(allow(Permission.ACCOUNT_SELF))]) -> RedirectResponse:
    """The signed-in user's home page (anonymous visitors are sent to sign in)."""
    return RedirectResponse(home_for(signed_in.user.role), status_code=303)


@router.get("/healthz", tags=["system"])
async def health(_: Public) -> dict[str, str]:
    """Liveness for the clinic's monitoring: no patient data, no sign-in."""
    return {"status": "ok", "version": __version__}


@router.get("/api/v1/openapi.json", include_in_schema=False)
async def openapi_document(request: Request, _: Public) -> JSONResponse:
    """The generated OpenAPI description of /api/v1 (contains no patient data)."""
    document: dict[str, Any] = request.app.openapi()
    return JSONResponse(document)
