"""Dose orders and protocols: order with a live preview, sign, verify, the pump sheet; protocol pages and revisions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ketaflow.domain.access import Permission, can
from ketaflow.domain.errors import AuthenticationFailed, DosingError, InputError, RuleDataError
from ketaflow.services import orders, patients
from ketaflow.services.auth import SignedIn
from ketaflow.services.orders import OrderRequest
from ketaflow.web.access import actor_of, allow, services_of
from ketaflow.web.errors import remember_form
from ketaflow.web.pdf import render_pdf
from ketaflow.web.rendering import STATIC_DIR, render

router = APIRouter(include_in_schema=False)
OrderReader = Annotated[SignedIn, Depends(allow(Permission.ORDER_READ))]
Prescriber = Annotated[SignedIn, Depends(allow(Permission.ORDER_CREATE))]
Signer = Annotated[SignedIn, Depends(allow(Permission.ORDER_SIGN))]
ProtocolReader = Annotated[SignedIn, Depends(allow(Permission.PROTOCOL_READ))]
ProtocolManager = Annotated[SignedIn, Depends(allow(Permission.PROTOCOL_MANAGE))]

ORDER_FIELDS = (
    "protocol_id",
    "drug_mg",
    "volume_ml",
    "dose_mg_per_kg",
    "rate_mg_per_kg_per_h",
    "rate_mg_per_h",
    "duration_min",
    "dosing_weight",
    "acknowledgement",
    "tci_target_ng_per_ml",
    "tci_site",
    "tci_step_min",
)
DEFAULT_PREPARATION = {"drug_mg": "100", "volume_ml": "100"}
DEFAULT_PROTOCOL = "depression_standard"  # the one most orders use; the form offers every protocol
WEIGHT_BASES = [("actual", "Actual body weight"), ("ideal", "Ideal body weight"), ("adjusted", "Adjusted body weight")]
MAX_DOCUMENT_CHARS = 200_000


async def _order_values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name, "")).strip() for name in ORDER_FIELDS}


def pk_chart(curve: dict[str, Any] | None, start: datetime) -> dict[str, Any] | None:
    """The predicted concentration as the chart's data-series: minutes from ``start`` as unix seconds."""
    if not curve or not curve.get("times_min"):
        return None
    origin = int(start.replace(second=0, microsecond=0).timestamp())
    series = [{"label": "Plasma", "unit": "ng/mL", "values": curve["plasma_ng_per_ml"]}]
    if curve.get("effect_ng_per_ml") is not None:
        series.append({"label": "Effect site", "unit": "ng/mL", "values": curve["effect_ng_per_ml"]})
    return {"x": [origin + round(float(t) * 60) for t in curve["times_min"]], "series": series}


def _form_context(request: Request, signed_in: SignedIn, patient_id: UUID) -> dict[str, Any]:
    svc, actor = services_of(request), actor_of(request, signed_in)
    found = orders.list_protocols(svc, actor)
    return {
        "chart": patients.get_patient_chart(svc, actor, patient_id),
        "protocols": found,
        "regimen_kinds": {p.id: p.protocol.regimen.kind.value for p in found},
        "weight_bases": WEIGHT_BASES,
    }


@router.get("/patients/{patient_id}/orders/new")
async def order_page(request: Request, signed_in: Prescriber, patient_id: UUID, protocol_id: str = "") -> HTMLResponse:
    context = _form_context(request, signed_in, patient_id)
    ids = [p.id for p in context["protocols"]]
    chosen = protocol_id or (DEFAULT_PROTOCOL if DEFAULT_PROTOCOL in ids else next(iter(ids), ""))
    values = {**DEFAULT_PREPARATION, "protocol_id": chosen}
    return render(request, "order_form.html", signed_in, values=values, errors={}, **context)


@router.post("/patients/{patient_id}/orders/preview")
async def order_preview(request: Request, signed_in: Prescriber, patient_id: UUID) -> HTMLResponse:
    """The computation, findings, screening and PK curve for the form as it stands (swapped in by htmx)."""
    svc, values = services_of(request), await _order_values(request)
    remember_form(request, "_order_preview.html", values=values, patient_id=patient_id)
    preview = orders.preview_order(svc, actor_of(request, signed_in), patient_id, OrderRequest.from_form(values))
    chart = pk_chart(preview.pk_curve, svc.clock.now())
    plan = preview.plan.to_json()
    return render(
        request, "_order_preview.html", signed_in, preview=preview, plan=plan, pk=chart, values=values, errors={}
    )


@router.post("/patients/{patient_id}/orders")
async def create_order(request: Request, signed_in: Prescriber, patient_id: UUID) -> Response:
    values = await _order_values(request)
    remember_form(request, "order_form.html", lazy=lambda: _form_context(request, signed_in, patient_id), values=values)
    svc, actor = services_of(request), actor_of(request, signed_in)
    try:
        order = orders.create_order(svc, actor, patient_id, OrderRequest.from_form(values))
    except DosingError as exc:  # a hard limit or a screening that is not clear: the form again, with why
        context = _form_context(request, signed_in, patient_id)
        return render(
            request,
            "order_form.html",
            signed_in,
            status_code=409,
            values=values,
            errors={},
            error_summary=str(exc),
            **context,
        )
    return RedirectResponse(f"/orders/{order.id}?notice=order_created", status_code=303)


def _order_context(request: Request, signed_in: SignedIn, order_id: UUID) -> dict[str, Any]:
    svc, actor = services_of(request), actor_of(request, signed_in)
    order = orders.get_order(svc, actor, order_id)
    return {
        "order": order,
        "chart": patients.get_patient_chart(svc, actor, order.patient_id),
        "can_sign": can(signed_in.user.role, Permission.ORDER_SIGN),
    }


@router.get("/orders/{order_id}")
async def order_view(request: Request, signed_in: OrderReader, order_id: UUID) -> HTMLResponse:
    return render(request, "order.html", signed_in, errors={}, **_order_context(request, signed_in, order_id))


@router.post("/orders/{order_id}/sign")
async def sign_order(
    request: Request,
    signed_in: Signer,
    order_id: UUID,
    password: Annotated[str, Form(max_length=1000)] = "",
    totp_code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    remember_form(request, "order.html", lazy=lambda: _order_context(request, signed_in, order_id))
    svc, actor = services_of(request), actor_of(request, signed_in)
    try:
        orders.sign_order(svc, actor, order_id, password=password, totp_code=totp_code)
    except (AuthenticationFailed, DosingError) as exc:
        status = 401 if isinstance(exc, AuthenticationFailed) else 409
        context = _order_context(request, signed_in, order_id)
        return render(request, "order.html", signed_in, status_code=status, sign_error=str(exc), errors={}, **context)
    return RedirectResponse(f"/orders/{order_id}?notice=order_signed#order-status", status_code=303)


@router.post("/orders/{order_id}/verify")
async def verify_order(request: Request, signed_in: OrderReader, order_id: UUID) -> HTMLResponse:
    result = orders.verify_order(services_of(request), actor_of(request, signed_in), order_id)
    return render(request, "_order_verify.html", signed_in, verification=result)


@router.get("/orders/{order_id}/print")
async def order_sheet(request: Request, signed_in: OrderReader, order_id: UUID) -> HTMLResponse:
    """The order and pump-programming sheet, laid out for the printer (and the browser's Save as PDF)."""
    return render(request, "order_print.html", signed_in, **_order_context(request, signed_in, order_id))


@router.get("/orders/{order_id}/sheet.pdf")
async def order_sheet_pdf(request: Request, signed_in: OrderReader, order_id: UUID) -> Response:
    """The same sheet as a PDF file (recorded in the audit trail as an export)."""
    context = _order_context(request, signed_in, order_id)
    page = render(request, "order_print.html", signed_in, pdf=True, **context)
    pdf = render_pdf(bytes(page.body).decode("utf-8"), STATIC_DIR)
    orders.record_order_export(services_of(request), actor_of(request, signed_in), order_id, "pdf")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="ketaflow-order-{order_id}.pdf"'},
    )


def source_uses(doc: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """For each source key: where the protocol cites it (a JSON path, or a limit's id) and with what confidence."""
    uses: dict[str, list[tuple[str, str]]] = {}

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            cited = node.get("sources")
            for key in cited if isinstance(cited, list) else []:
                uses.setdefault(str(key), []).append((where, str(node.get("confidence", ""))))
            for key, value in node.items():
                if key != "sources":
                    walk(value, f"{where}.{key}" if where else key)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                named = value.get("id") if isinstance(value, dict) else None
                walk(value, str(named) if named else f"{where}[{index}]")

    walk(doc, "")
    return uses


@router.get("/protocols")
async def protocol_list(request: Request, signed_in: ProtocolReader) -> HTMLResponse:
    found = orders.list_protocols(services_of(request), actor_of(request, signed_in))
    return render(request, "protocols.html", signed_in, protocols=found)


@router.get("/protocols/{protocol_id}")
async def protocol_page(
    request: Request, signed_in: ProtocolReader, protocol_id: str, version: str | None = None
) -> HTMLResponse:
    svc, actor = services_of(request), actor_of(request, signed_in)
    stored = orders.get_protocol(svc, actor, protocol_id, version)
    return render(
        request,
        "protocol.html",
        signed_in,
        stored=stored,
        doc=stored.data,
        source_uses=source_uses(stored.data),
        versions=orders.list_protocol_versions(svc, actor, protocol_id),
        can_manage=can(signed_in.user.role, Permission.PROTOCOL_MANAGE),
    )


def _revise_context(request: Request, signed_in: SignedIn, protocol_id: str) -> dict[str, Any]:
    return {"stored": orders.get_protocol(services_of(request), actor_of(request, signed_in), protocol_id)}


@router.get("/protocols/{protocol_id}/revise")
async def revise_page(request: Request, signed_in: ProtocolManager, protocol_id: str) -> HTMLResponse:
    context = _revise_context(request, signed_in, protocol_id)
    values = {"document": json.dumps(context["stored"].data, indent=2, ensure_ascii=False), "reason": ""}
    return render(request, "protocol_revise.html", signed_in, values=values, errors={}, **context)


@router.post("/protocols/{protocol_id}/revise")
async def revise_protocol(
    request: Request,
    signed_in: ProtocolManager,
    protocol_id: str,
    document: Annotated[str, Form(max_length=MAX_DOCUMENT_CHARS)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    values = {"document": document, "reason": reason}

    def lazy() -> dict[str, Any]:  # the current version, read only when the form must be shown again
        return _revise_context(request, signed_in, protocol_id)

    remember_form(request, "protocol_revise.html", lazy=lazy, values=values)
    try:
        data = json.loads(document)
    except ValueError as exc:
        raise InputError("document", f"a JSON document (line {getattr(exc, 'lineno', '?')}: {exc})") from None
    try:
        stored = orders.revise_protocol(services_of(request), actor_of(request, signed_in), data, reason)
    except RuleDataError as exc:
        return render(
            request,
            "protocol_revise.html",
            signed_in,
            status_code=422,
            values=values,
            errors={"document": str(exc)},
            error_summary="The protocol was not saved: the document is not a valid protocol.",
            **lazy(),
        )
    return RedirectResponse(f"/protocols/{stored.id}?notice=protocol_revised", status_code=303)
