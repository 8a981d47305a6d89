"""The auditor's pages: a filterable, sortable audit trail, CSV export, and chain verification."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from ketaflow.domain.access import Permission, can
from ketaflow.domain.audit import AuditOutcome
from ketaflow.domain.errors import InputError
from ketaflow.services import audit
from ketaflow.services.auth import SignedIn
from ketaflow.services.ports import AuditQuery
from ketaflow.web.access import actor_of, allow, services_of
from ketaflow.web.rendering import render

router = APIRouter(include_in_schema=False)
Auditor = Annotated[SignedIn, Depends(allow(Permission.AUDIT_READ))]
Exporter = Annotated[SignedIn, Depends(allow(Permission.AUDIT_EXPORT))]
PAGE_SIZE = 100


def audit_query(
    request: Request,
    user: str = "",
    patient_id: str = "",
    action: str = "",
    outcome: str = "",
    since: str = "",
    until: str = "",
    order: str = "newest",
    page: int = 1,
) -> AuditQuery:
    """Filters from the query string; dates are clinic-local days, converted to UTC bounds."""
    zone = ZoneInfo(request.app.state.settings.clinic_timezone)

    def local_midnight_utc(name: str, raw: str, *, next_day: bool) -> datetime | None:
        if not raw:
            return None
        try:
            day = date.fromisoformat(raw) + timedelta(days=int(next_day))
        except ValueError:
            raise InputError(name, "a date as YYYY-MM-DD", raw) from None
        return datetime.combine(day, time.min, zone).astimezone(UTC)

    try:
        patient = UUID(patient_id) if patient_id else None
    except ValueError:
        raise InputError("patient_id", "a patient id (UUID)", patient_id) from None
    if outcome and outcome not in {o.value for o in AuditOutcome}:
        raise InputError("outcome", "success, denied or failed", outcome)
    if order not in ("newest", "oldest"):
        raise InputError("order", "newest or oldest", order)
    if not 1 <= page <= 100_000:
        raise InputError("page", "a page number from 1", page)
    return AuditQuery(
        actor_username=user.strip().lower()[:40],
        patient_id=patient,
        action=action.strip()[:64],
        outcome=outcome,
        since_utc=local_midnight_utc("since", since, next_day=False),
        until_utc=local_midnight_utc("until", until, next_day=True),
        newest_first=order == "newest",
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )


Query = Annotated[AuditQuery, Depends(audit_query)]


@router.get("/audit")
async def audit_page(request: Request, signed_in: Auditor, query: Query) -> HTMLResponse:
    result = audit.list_audit_events(services_of(request), actor_of(request, signed_in), query)
    page = query.offset // PAGE_SIZE + 1
    return render(
        request,
        "audit.html",
        signed_in,
        result=result,
        filters=dict(request.query_params),
        page=page,
        pages=max(1, -(-result.total // PAGE_SIZE)),
        can_export=can(signed_in.user.role, Permission.AUDIT_EXPORT),
        outcome_options=[(o.value, o.value) for o in AuditOutcome],
    )


@router.get("/audit/export.csv")
async def audit_export(request: Request, signed_in: Exporter, query: Query) -> Response:
    svc = services_of(request)
    body = audit.export_audit_csv(svc, actor_of(request, signed_in), replace(query, limit=1_000_000, offset=0))
    stamp = svc.clock.now().strftime("%Y%m%dT%H%M%SZ")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="ketaflow-audit-{stamp}.csv"'},
    )


@router.post("/audit/verify")
async def audit_verify(request: Request, signed_in: Auditor) -> HTMLResponse:
    report = audit.verify_audit_trail(services_of(request), actor_of(request, signed_in))
    return render(request, "_audit_verify.html", signed_in, report=report)
