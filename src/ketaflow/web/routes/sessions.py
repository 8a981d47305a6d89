"""The infusion session: check-in, the chair's chart with every charting action, and the live board."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse

from ketaflow.domain.access import Permission, can
from ketaflow.domain.errors import InputError
from ketaflow.domain.monitoring import Phase
from ketaflow.domain.recovery import Instrument
from ketaflow.domain.sessions import EventKind, SessionState
from ketaflow.services import patients, sessions
from ketaflow.services.auth import SignedIn
from ketaflow.services.sessions import SessionView
from ketaflow.web.access import actor_of, allow, services_of
from ketaflow.web.errors import remember_form
from ketaflow.web.rendering import render
from ketaflow.web.session_charts import session_charts

router = APIRouter(include_in_schema=False)
Reader = Annotated[SignedIn, Depends(allow(Permission.SESSION_READ))]
PassiveReader = Annotated[SignedIn, Depends(allow(Permission.SESSION_READ, passive=True))]
CheckIn = Annotated[SignedIn, Depends(allow(Permission.SESSION_CHECK_IN))]
Charter = Annotated[SignedIn, Depends(allow(Permission.SESSION_CHART))]

STREAM_WAIT_S = 10.0  # a board hears a change at once; with none, a keep-alive comment this often
STREAM_MAX_S = 300.0  # then the stream ends and the browser reconnects (bounded server resources per viewer)
MULTI_VALUE_FIELDS = ("side_effects",)


def session_context(request: Request, signed_in: SignedIn, session_id: UUID) -> dict[str, Any]:
    svc, actor = services_of(request), actor_of(request, signed_in)
    view = sessions.get_session(svc, actor, session_id)
    chart = patients.get_patient_chart(svc, actor, view.session.header.patient_id)
    role = signed_in.user.role
    return {
        "view": view,
        "s": view.session,
        "summary": view.summary,
        "chart": chart,
        "states": SessionState,
        "kinds": EventKind,
        "charts": session_charts(view),
        "can_chart": can(role, Permission.SESSION_CHART),
        "can_override": can(role, Permission.DISCHARGE_OVERRIDE),
        "side_effects": [
            (c, view.monitoring_rules.side_effect_label(c)) for c in view.monitoring_rules.side_effect_codes
        ],
        "recovery_forms": [
            (instrument.value, _score_items(view, instrument), title)
            for instrument, title in ((Instrument.PADSS, "PADSS"), (Instrument.ALDRETE, "Modified Aldrete"))
        ],
        "recovery_interval_min": view.monitoring_rules.reading_interval_min(Phase.RECOVERY),
        "failed_action": "",
    }


def _score_items(view: SessionView, instrument: Instrument) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Each item of a recovery score with its levels as select options ("2: oriented and steady gait")."""
    return [
        (item.id, item.label, [(str(level.points), f"{level.points}: {level.wording}") for level in item.levels])
        for item in view.recovery_rules.items(instrument)
    ]


@router.post("/patients/{patient_id}/sessions")
async def check_in(request: Request, signed_in: CheckIn, patient_id: UUID) -> RedirectResponse:
    form = await request.form()
    svc, actor = services_of(request), actor_of(request, signed_in)
    remember_form(
        request,
        "check_in.html",
        lazy=lambda: _check_in_context(request, signed_in, patient_id),
        values={k: str(v) for k, v in form.items()},
    )
    session_id = sessions.check_in(svc, actor, patient_id, order_id=form.get("order_id"), chair=form.get("chair"))
    target = f"/sessions/{session_id}" if can(signed_in.user.role, Permission.SESSION_READ) else "/patients"
    return RedirectResponse(f"{target}?notice=checked_in", status_code=303)


def _check_in_context(request: Request, signed_in: SignedIn, patient_id: UUID) -> dict[str, Any]:
    svc, actor = services_of(request), actor_of(request, signed_in)
    chart = patients.get_patient_chart(svc, actor, patient_id)
    found = sessions.list_orders_to_run(svc, actor, patient_id)
    options = [
        (str(o.order_id), f"{o.protocol_title}: {o.dose_mg:g} mg over {o.duration_min:g} min (signed by {o.signed_by})")
        for o in found
    ]
    return {"chart": chart, "orders": found, "order_options": options}


@router.get("/patients/{patient_id}/sessions/new")
async def check_in_page(request: Request, signed_in: CheckIn, patient_id: UUID) -> HTMLResponse:
    context = _check_in_context(request, signed_in, patient_id)
    return render(request, "check_in.html", signed_in, values={}, errors={}, **context)


@router.get("/sessions/{session_id}")
async def session_page(request: Request, signed_in: Reader, session_id: UUID) -> HTMLResponse:
    return render(
        request, "session.html", signed_in, errors={}, values={}, **session_context(request, signed_in, session_id)
    )


@router.post("/sessions/{session_id}/chart/{action}")
async def chart_action(request: Request, signed_in: Charter, session_id: UUID, action: str) -> RedirectResponse:
    raw = await request.form()
    form: dict[str, object] = {k: str(v) for k, v in raw.items() if k not in MULTI_VALUE_FIELDS}
    for key in MULTI_VALUE_FIELDS:
        form[key] = [str(v) for v in raw.getlist(key)]
    remember_form(
        request,
        "session.html",
        lazy=lambda: session_context(request, signed_in, session_id),
        values={k: str(v) for k, v in raw.items()},
        failed_action=action,
    )
    svc = services_of(request)
    form["at"] = _clinical_time(str(raw.get("at_local", "")), svc.clock.now(), svc.clinic_timezone)
    actor = actor_of(request, signed_in)
    sessions.chart(svc, actor, session_id, action, expected_version=raw.get("version"), form=form)
    anchor = "alerts" if action == "acknowledge" else "actions"
    return RedirectResponse(f"/sessions/{session_id}?notice=charted#{anchor}", status_code=303)


def _clinical_time(text: str, now_utc: datetime, tz: str) -> str:
    """'HH:MM' typed for a late entry: that time today (or yesterday, if later than now) in the clinic's zone."""
    text = text.strip()
    if not text:
        return ""
    try:
        hours, minutes = (int(part) for part in text.split(":", 1))
        now_local = now_utc.astimezone(ZoneInfo(tz))
        at = now_local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    except ValueError:
        raise InputError("at_local", "a time of day as HH:MM", text) from None
    if at > now_local:
        at -= timedelta(days=1)
    return at.isoformat()


@router.get("/sessions/{session_id}/instructions")
async def discharge_instructions(request: Request, signed_in: Reader, session_id: UUID) -> HTMLResponse:
    context = session_context(request, signed_in, session_id)
    return render(request, "discharge_instructions.html", signed_in, **context)


def _board_context(request: Request, signed_in: SignedIn) -> dict[str, Any]:
    rows = sessions.get_board(services_of(request), actor_of(request, signed_in))
    return {"rows": rows, "states": SessionState}


@router.get("/board")
async def board(request: Request, signed_in: Reader) -> HTMLResponse:
    return render(request, "board.html", signed_in, **_board_context(request, signed_in))


@router.get("/board/fragment")
async def board_fragment(request: Request, signed_in: PassiveReader) -> HTMLResponse:
    return render(request, "_board.html", signed_in, **_board_context(request, signed_in))


@router.get("/board/stream")
async def board_stream(request: Request, signed_in: PassiveReader) -> StreamingResponse:
    """Server-sent events: 'change' whenever any session is charted, in this process or another."""
    feed = services_of(request).changes

    async def events() -> AsyncIterator[str]:
        seen = await anyio.to_thread.run_sync(feed.current)
        yield "retry: 3000\n\n"
        deadline = anyio.current_time() + STREAM_MAX_S
        while anyio.current_time() < deadline and not await request.is_disconnected():
            wait_s = min(STREAM_WAIT_S, max(0.0, deadline - anyio.current_time()))
            count = await anyio.to_thread.run_sync(feed.wait_for_change, seen, wait_s)
            if count != seen:
                seen = count
                yield f"event: change\ndata: {count}\n\n"
            else:
                yield ": keep-alive\n\n"

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
