"""Questionnaire pages: a clinician enters answers, staff send a one-time link, a patient answers it on a phone.

The patient's pages (``/q/{token}``) are public: the token is the only key, it opens those two pages and
nothing else, and no session cookie is ever set. They extend ``patient_base.html``, which has no staff navigation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from uuid import UUID

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ketaflow.domain.access import Permission, Role, can
from ketaflow.domain.scales import Scale
from ketaflow.services import patients, questionnaires
from ketaflow.services.app import AppServices
from ketaflow.services.auth import SignedIn
from ketaflow.services.context import Actor
from ketaflow.services.questionnaires import InstrumentTrajectory
from ketaflow.services.scales import load_scale_library
from ketaflow.web.access import actor_of, allow, client_address, public, services_of
from ketaflow.web.errors import remember_form
from ketaflow.web.rendering import render

router = APIRouter(include_in_schema=False)
Recorder = Annotated[SignedIn, Depends(allow(Permission.QUESTIONNAIRE_RECORD))]
Sender = Annotated[SignedIn, Depends(allow(Permission.QUESTIONNAIRE_SEND))]
Public = Annotated[None, Depends(public())]

DELIVERIES = (("qr", "Show a QR code"), ("print", "Print"), ("email", "E-mail"), ("sms", "SMS"))
_YES_NO = {"true": True, "false": False}


def _form_strings(form: Mapping[str, Any]) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str)}


def answers_from_form(form: Mapping[str, str], scale: Scale, prefix: str) -> dict[str, object]:
    """The answers a form sent (``<prefix>.<item>``), as JSON values; an unanswered item is left out.

    A value that is not one of the item's options is passed on as text, so scoring names the item.
    """
    answers: dict[str, object] = {}
    for item in scale.items:
        raw = form.get(f"{prefix}.{item.id}", "").strip()
        if not raw:
            continue
        if item.is_yes_no:
            answers[item.id] = _YES_NO.get(raw, raw)
        else:
            answers[item.id] = int(raw) if raw.isdigit() else raw
    return answers


# --- the clinician's entry form -------------------------------------------------------------------------


def _entry_context(svc: AppServices, actor: Actor, patient_id: UUID, instrument: str) -> dict[str, Any]:
    library = load_scale_library()
    return {
        "chart": patients.get_patient_chart(svc, actor, patient_id),
        "scale": library.get(instrument),
        "scales": library.scales,
    }


@router.get("/patients/{patient_id}/questionnaires/new")
async def entry_page(request: Request, signed_in: Recorder, patient_id: UUID, instrument: str = "phq9") -> HTMLResponse:
    context = _entry_context(services_of(request), actor_of(request, signed_in), patient_id, instrument)
    respondent = context["scale"].respondent.value
    return render(
        request, "questionnaire_form.html", signed_in, values={"respondent": respondent}, errors={}, **context
    )


@router.post("/patients/{patient_id}/questionnaires/new")
async def record_entry(
    request: Request, signed_in: Recorder, patient_id: UUID, instrument: str = "phq9"
) -> RedirectResponse:
    svc, actor = services_of(request), actor_of(request, signed_in)
    form = _form_strings(await request.form())
    scale = load_scale_library().get(instrument)
    remember_form(
        request,
        "questionnaire_form.html",
        lazy=lambda: _entry_context(svc, actor, patient_id, instrument),
        values=form,
    )
    answers = answers_from_form(form, scale, "items")
    questionnaires.record_response(svc, actor, patient_id, instrument, answers, form.get("respondent"))
    return RedirectResponse(f"/patients/{patient_id}#questionnaires", status_code=303)


# --- the patient page's section -------------------------------------------------------------------------


def trajectory_chart(trajectory: InstrumentTrajectory) -> dict[str, Any]:
    """The ``data-chart="timeseries"`` spec: the totals, and a marker at 0 on each infusion start."""
    scores = {int(p.at.timestamp()): p.total for p in trajectory.points}
    infusions = {int(at.timestamp()) for at in trajectory.infusion_times}
    x = sorted(set(scores) | infusions)
    label = trajectory.title.split(" (")[0]
    series: list[dict[str, Any]] = [
        {
            "label": label,
            "unit": "points",
            "values": [scores.get(t) for t in x],
            "range": [0, trajectory.max_total],
        }
    ]
    if infusions:
        series.append({"label": "Infusion", "unit": "points", "values": [0 if t in infusions else None for t in x]})
    return {"x": x, "series": series}


def questionnaires_context(svc: AppServices, actor: Actor, role: Role, patient_id: UUID) -> dict[str, Any]:
    """What the patient page's Questionnaires section shows to this role (chart_context adds it)."""
    can_read = can(role, Permission.QUESTIONNAIRE_RECORD) or can(role, Permission.OUTCOMES_READ)
    view: dict[str, Any] = {
        "can_read": can_read,
        "can_record": can(role, Permission.QUESTIONNAIRE_RECORD),
        "can_send": can(role, Permission.QUESTIONNAIRE_SEND),
        "scales": load_scale_library().scales,
        "link_scales": questionnaires.link_instruments(),
        "deliveries": DELIVERIES,
        "default_hours": questionnaires.LINK_VALID_FOR_HOURS_DEFAULT,
        "max_hours": questionnaires.LINK_VALID_FOR_HOURS_MAX,
    }
    if can_read:
        overview = questionnaires.get_questionnaire_overview(svc, actor, patient_id)
        view.update(
            responses=overview.responses,
            latest=sorted(overview.latest.values(), key=lambda r: r.instrument),
            urgent=overview.urgent,
            trajectories=[(t, trajectory_chart(t)) for t in overview.trajectories],
        )
    if view["can_send"]:
        view["links"] = questionnaires.list_links(svc, actor, patient_id)[:5]
    return {"questionnaires": view}


# --- sending a link ---------------------------------------------------------------------------------------


def _qr_svg(url: str) -> str:
    """The link as an inline SVG QR code (no file, no external service)."""
    return str(
        segno.make(url, error="m").svg_inline(
            scale=5, border=4, light="#fff", title="QR code of the questionnaire link"
        )
    )


def _chosen(form: Sequence[tuple[str, Any]], name: str) -> list[str]:
    return [value for key, value in form if key == name and isinstance(value, str)]


@router.post("/patients/{patient_id}/questionnaire-links")
async def issue_link(request: Request, signed_in: Sender, patient_id: UUID) -> HTMLResponse:
    svc, actor = services_of(request), actor_of(request, signed_in)
    raw = await request.form()
    instruments, delivery = _chosen(raw.multi_items(), "instruments"), str(raw.get("delivery", "qr"))
    hours = raw.get("valid_for_hours")
    if delivery in questionnaires.DELIVERY_CHANNELS:
        issued = questionnaires.send_link(
            svc, actor, patient_id, instruments, hours, channel=delivery, base_url=str(request.base_url)
        )
    else:
        issued = questionnaires.create_link(svc, actor, patient_id, instruments, hours)
    url = str(request.base_url).rstrip("/") + issued.path
    show_url = delivery not in questionnaires.DELIVERY_CHANNELS
    return render(
        request,
        "questionnaire_link_issued.html",
        signed_in,
        issued=issued,
        delivery=delivery,
        patient_id=patient_id,
        url=url if show_url else "",
        qr_svg=_qr_svg(url) if show_url else "",
    )


# --- the patient's pages (public: the token is the key) ----------------------------------------------------


@router.get("/q/{token}")
async def link_page(request: Request, _: Public, token: str) -> HTMLResponse:
    remember_form(request, "questionnaire_link.html", page=None, values={})
    page = questionnaires.open_link(services_of(request), token, source_address=client_address(request))
    return render(request, "questionnaire_link.html", None, page=page, token=token, values={}, errors={})


@router.post("/q/{token}")
async def submit_link_page(request: Request, _: Public, token: str) -> HTMLResponse:
    svc, source = services_of(request), client_address(request)
    form = _form_strings(await request.form())
    remember_form(request, "questionnaire_link.html", page=None, values={})
    page = questionnaires.open_link(svc, token, source_address=source)
    remember_form(request, "questionnaire_link.html", page=page, token=token, values=form)
    answers = {scale.id: answers_from_form(form, scale, scale.id) for scale in page.scales}
    done = questionnaires.submit_link(svc, token, answers, source_address=source)
    return render(request, "questionnaire_link_done.html", None, done=done)
