"""The infusion session's use cases: check in, chart every event, read the chart and the live board.

Every write loads the session's log, lets ``InfusionSession`` check the new event against its state, and
stores the event with its audit record in one transaction; a writer whose view is older than the log is
refused (StaleWrite) so two people charting at once never overwrite each other. Every read of a chart or
the board is audited.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from uuid import UUID, uuid4

from ketaflow.domain.access import Permission
from ketaflow.domain.audit import ActionCode
from ketaflow.domain.basis import JsonValue
from ketaflow.domain.errors import InputError, NotFound, StaleWrite
from ketaflow.domain.monitoring import (
    Action,
    MonitoringResult,
    MonitoringRules,
    Observation,
    Phase,
    ReadingDue,
    TimedObservation,
    evaluate_observation,
    evaluate_reading_schedule,
    is_escalation_due,
)
from ketaflow.domain.recovery import (
    DischargeEvaluation,
    Instrument,
    RecoveryRules,
    RecoveryScore,
    evaluate_discharge,
    score_recovery,
)
from ketaflow.domain.ruledata.fields import input_error
from ketaflow.domain.sessions import Alert, Author, EventKind, InfusionSession, SessionHeader, SessionState
from ketaflow.domain.vitals import Vitals
from ketaflow.rules import load_rule_file
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, record_audit, require
from ketaflow.services.monitoring import load_monitoring_rules
from ketaflow.services.orders import load_protocol_for_order
from ketaflow.services.ports import UnitOfWork
from ketaflow.services.screening import load_gate_rules

BOARD_TOPIC = "board"
# Alerts are raised for these actions; a recheck is a reminder (the next reading falls due sooner).
ALERTING_ACTIONS = frozenset({Action.NOTIFY_PHYSICIAN, Action.PAUSE, Action.STOP})


@cache
def load_recovery_rules(rule_set_id: str) -> RecoveryRules:
    return RecoveryRules.from_dict(load_rule_file("recovery", rule_set_id))


def _author(actor: Actor) -> Author:
    return Author(username=actor.username, role=actor.role.value if actor.role else "system")


def _load(uow: UnitOfWork, session_id: UUID) -> InfusionSession:
    events = uow.infusions.load_events(session_id)
    if not events:
        raise NotFound("infusion session", session_id)
    return InfusionSession(events)


def _audit(
    uow: UnitOfWork,
    svc: AppServices,
    actor: Actor,
    session: InfusionSession,
    action: str,
    code: ActionCode,
    detail: str = "",
) -> None:
    record_audit(
        uow,
        svc.clock,
        actor,
        action,
        code,
        patient_id=session.header.patient_id,
        resource_type="InfusionSession",
        resource_id=str(session.id),
        detail=detail,
    )


# -- check-in ------------------------------------------------------------------------------------------------
def _number(plan: Mapping[str, JsonValue], key: str) -> float:
    value = plan.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError("order_id", f"an order whose plan has {key}")
    return float(value)


def _ordered_steps(plan: Mapping[str, JsonValue]) -> tuple[tuple[float, float, float], ...]:
    """A stepped order's (start_min, duration_min, rate_ml_per_h) steps; () for a constant-rate order."""
    steps = plan.get("steps")
    if not isinstance(steps, list):
        return ()
    return tuple(
        (_number(step, "start_min"), _number(step, "duration_min"), _number(step, "rate_ml_per_h"))
        for step in steps
        if isinstance(step, Mapping)
    )


def check_in(svc: AppServices, actor: Actor, patient_id: UUID, *, order_id: object, chair: object) -> UUID:
    """Open a session in a chair for the patient's signed order; the order's numbers are copied into the log."""
    require(actor, Permission.SESSION_CHECK_IN)
    try:
        order_uuid = UUID(str(order_id))
    except ValueError:
        raise InputError("order_id", "a signed dose order of this patient", order_id) from None
    chair_text = chair.strip() if isinstance(chair, str) else ""
    if not 1 <= len(chair_text) <= 40:
        raise InputError("chair", "a chair name of 1 to 40 characters", chair)
    now = svc.clock.now()
    with svc.uow_factory() as uow:
        if uow.patients.latest(patient_id) is None:
            raise NotFound("patient", patient_id)
        order = uow.orders.get_order(order_uuid)
        if order is None or order.patient_id != patient_id:
            raise InputError("order_id", "a dose order of this patient", order_id)
        if not order.is_signed:
            raise InputError("order_id", "a signed dose order (sign it first)", order_id)
        for other in uow.infusions.list_open_sessions():
            if other.patient_id == patient_id:
                raise InputError("patient", "a patient without an open session (finish or cancel it first)")
            if other.chair.casefold() == chair_text.casefold():
                raise InputError("chair", "a free chair", chair_text)
        if any(s.order_id == order.id for s in uow.infusions.list_patient_sessions(patient_id)):
            raise InputError("order_id", "an order not already run in a session (a new visit needs a new order)")
        protocol = load_protocol_for_order(uow, order)
        plan = order.plan
        header = SessionHeader(
            session_id=uuid4(),
            patient_id=patient_id,
            order_id=order.id,
            chair=chair_text,
            protocol=order.protocol,
            monitoring_rules=protocol.monitoring_rules,
            recovery_rules=protocol.recovery_rules,
            concentration_mg_per_ml=_number(plan, "concentration_mg_per_ml"),
            ordered_dose_mg=_number(plan, "dose_mg"),
            ordered_rate_ml_per_h=_number(plan, "rate_ml_per_h"),
            ordered_duration_min=_number(plan, "duration_min"),
            weight_kg=_number(order.inputs, "weight_kg"),
            dosing_weight_kg=None if plan.get("dosing_weight_kg") is None else _number(plan, "dosing_weight_kg"),
            ordered_steps=_ordered_steps(plan),
        )
        session = InfusionSession.check_in(header, at_utc=now, author=_author(actor))
        uow.infusions.add_session(header, now, actor.username)
        uow.infusions.append_events(session.id, session.pending)
        _audit(uow, svc, actor, session, "session.check_in", ActionCode.CREATE)
        uow.publish(BOARD_TOPIC)
        uow.commit()
    return session.id


# -- charting ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ChartContext:
    """What an action needs beyond the session: the services, the actor, now, and the submitted form."""

    svc: AppServices
    uow: UnitOfWork
    actor: Actor
    author: Author
    now: datetime
    at: datetime | None
    form: Mapping[str, object]

    def text(self, key: str) -> str:
        value = self.form.get(key)
        return value.strip() if isinstance(value, str) else ""

    def number(self, key: str) -> float:
        raw = self.form.get(key)
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise InputError(key, "a number", raw) from None
        if not math.isfinite(value):
            raise InputError(key, "a finite number", raw)
        return value


Chart = Callable[[InfusionSession, ChartContext], None]


def _record_gate(session: InfusionSession, ctx: ChartContext) -> None:
    """Take in the patient's latest gate check, if it is recent enough to speak for today (gate rule data)."""
    checks = ctx.uow.screenings.list_gate_checks(session.header.patient_id)
    valid_for = load_gate_rules().screening_valid_for
    latest = checks[-1] if checks else None
    if latest is None or ctx.now - latest.checked_at_utc > valid_for:
        hours = valid_for.total_seconds() / 3600
        raise InputError("gate", f"a pre-infusion gate check from the last {hours:g} h (run it on the gate page)")
    session.record_gate(
        gate_check_id=latest.id, clear=latest.clear, decision=latest.decision.value, author=ctx.author, now_utc=ctx.now
    )


def _observation(ctx: ChartContext) -> Observation:
    """The charted reading from a form (empty fields are 'not measured')."""
    raw: dict[str, object] = {}
    for key in ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_pct", "respiratory_rate_per_min"):
        if ctx.text(key):
            raw[key] = ctx.number(key)
    for key in ("moaa_s", "cadss_total"):
        if ctx.text(key):
            number = ctx.number(key)
            raw[key] = int(number) if number.is_integer() else number
    effects = ctx.form.get("side_effects")
    if isinstance(effects, list | tuple) and effects:
        raw["side_effects"] = [str(e) for e in effects]
    return Observation.from_json(raw, "", input_error)


def _evaluate(
    session: InfusionSession, observation: Observation, at: datetime, ctx: ChartContext
) -> MonitoringResult | None:
    phase = session.phase_at(at)
    baseline = session.baseline
    minutes = session.minutes_since_start(at)
    if phase == "baseline" or minutes is None or baseline is None:
        return None
    recent = tuple(
        TimedObservation(
            minutes_since_start=(r.at_utc - (session.started_at_utc or r.at_utc)).total_seconds() / 60.0,
            observation=Observation.from_json(r.observation, "", input_error),
        )
        for r in session.readings
        if not r.is_baseline and r.at_utc <= at
    )
    rules = load_monitoring_rules(session.header.monitoring_rules)
    return evaluate_observation(
        rules,
        phase=Phase.INFUSING if phase == "infusing" else Phase.RECOVERY,
        minutes_since_start=minutes,
        baseline=baseline,
        observation=observation,
        recent=recent,
        cadss_licensed=ctx.svc.cadss_licensed,
    )


def _raise_if_alerting(
    session: InfusionSession, result: MonitoringResult | None, reading_seq: int, ctx: ChartContext
) -> None:
    if result is None or result.action not in ALERTING_ACTIONS:
        return
    alerting = [f for f in result.findings if f.action in ALERTING_ACTIONS]
    session.raise_alert(
        alert_id=uuid4().hex[:12],
        action=result.action.value,
        summary="; ".join(f.finding.message for f in alerting),
        findings=[f.to_json() for f in alerting],
        reading_seq=reading_seq,
        author=ctx.author,
        now_utc=ctx.now,
        at_utc=ctx.at,
    )


def _record_vitals(session: InfusionSession, ctx: ChartContext) -> None:
    observation = _observation(ctx)
    at = ctx.at or ctx.now
    result = _evaluate(session, observation, at, ctx)
    event = session.record_vitals(
        observation.to_json(),
        None if result is None else result.to_json(),
        author=ctx.author,
        now_utc=ctx.now,
        at_utc=ctx.at,
    )
    _raise_if_alerting(session, result, event.seq, ctx)


def _record_side_effect(session: InfusionSession, ctx: ChartContext) -> None:
    rules = load_monitoring_rules(session.header.monitoring_rules)
    code = ctx.text("code")
    if code not in rules.side_effect_codes:
        raise InputError(
            "code", "a side effect known to the rule set (" + ", ".join(rules.side_effect_codes) + ")", code
        )
    event = session.record_side_effect(
        code, ctx.text("severity"), ctx.text("note"), author=ctx.author, now_utc=ctx.now, at_utc=ctx.at
    )
    # Side effects feed the same rules, read together with the latest vitals.
    latest = next((r for r in reversed(session.readings) if not r.is_baseline), None)
    vitals = latest.vitals if latest is not None else Vitals()
    observation = Observation(vitals=vitals, side_effects=(code,))
    result = _evaluate(session, observation, ctx.at or ctx.now, ctx)
    _raise_if_alerting(session, result, event.seq, ctx)


def _record_intervention(session: InfusionSession, ctx: ChartContext) -> None:
    dose = ctx.number("dose")
    if not dose > 0:
        raise InputError("dose", "a positive dose", ctx.form.get("dose"))
    session.record_intervention(
        {
            "drug": ctx.text("drug")[:120],
            "dose": dose,
            "unit": ctx.text("unit")[:20],
            "route": ctx.text("route")[:40],
            "indication": ctx.text("indication")[:200],
        },
        author=ctx.author,
        now_utc=ctx.now,
        at_utc=ctx.at,
    )


def _record_recovery_score(session: InfusionSession, ctx: ChartContext) -> None:
    raw_instrument = ctx.text("instrument")
    try:
        instrument = Instrument(raw_instrument)
    except ValueError:
        raise InputError("instrument", "padss or aldrete", raw_instrument) from None
    rules = load_recovery_rules(session.header.recovery_rules)
    answers: dict[str, int] = {}
    for item in rules.items(instrument):
        key = f"item_{item.id}"
        raw = ctx.text(key)
        if not raw:
            raise InputError(key, f"a score for '{item.label}'")
        try:
            answers[item.id] = int(raw)
        except ValueError:
            raise InputError(key, "a whole number of points", raw) from None
    score = score_recovery(rules, instrument, answers, path="item")
    session.record_recovery_score(score.to_json(), author=ctx.author, now_utc=ctx.now, at_utc=ctx.at)


def _discharge(session: InfusionSession, ctx: ChartContext) -> None:
    evaluation = evaluate_session_discharge(session, ctx.now)
    override = ctx.text("override_reason") or None
    if not evaluation.allowed:
        require(ctx.actor, Permission.DISCHARGE_OVERRIDE)
    rules = load_recovery_rules(session.header.recovery_rules)
    instructions = rules.instructions(clinic_name=ctx.svc.clinic_name, clinic_phone=ctx.svc.clinic_phone)
    session.discharge(
        evaluation=evaluation.to_json(),
        allowed=evaluation.allowed,
        override_reason=override,
        instructions=list(instructions),
        author=ctx.author,
        now_utc=ctx.now,
    )


def _amend(session: InfusionSession, ctx: ChartContext) -> None:
    """Correct one field of an earlier entry: a vital sign of a reading, or a field of any amendable event."""
    try:
        target_seq = int(ctx.text("target_seq"))
    except ValueError:
        raise InputError("target_seq", "the number of the entry to correct", ctx.form.get("target_seq")) from None
    target = next((e for e in session.events if e.seq == target_seq), None)
    name, value = ctx.text("field"), ctx.text("value")
    if not name:
        raise InputError("field", "the name of the field to correct")
    corrected: dict[str, JsonValue] = {}
    if target is not None and target.kind is EventKind.VITALS:
        observation = dict(target.data.get("observation") or {})  # type: ignore[arg-type]
        vitals = dict(observation.get("vitals") or {})  # type: ignore[arg-type]
        if name not in vitals:
            raise InputError("field", "a vital sign of that reading (" + ", ".join(vitals) + ")", name)
        vitals[name] = ctx.number("value") if value else None
        observation["vitals"] = vitals
        checked = Observation.from_json(
            {k: val for k, val in {**observation, **vitals}.items() if k != "vitals" and val is not None},
            "value",
            input_error,
        )
        corrected["observation"] = checked.to_json()
    elif name in ("rate_ml_per_h", "dose"):
        corrected[name] = ctx.number("value")
    else:
        corrected[name] = value
    session.amend(target_seq, ctx.text("reason"), corrected, author=ctx.author, now_utc=ctx.now)


ACTIONS: Mapping[str, Chart] = {
    "gate": _record_gate,
    "complete_checks": lambda s, c: s.complete_checks(author=c.author, now_utc=c.now),
    "start": lambda s, c: s.start(c.number("rate_ml_per_h"), author=c.author, now_utc=c.now, at_utc=c.at),
    "change_rate": lambda s, c: s.change_rate(
        c.number("rate_ml_per_h"), c.text("reason"), author=c.author, now_utc=c.now, at_utc=c.at
    ),
    "pause": lambda s, c: s.pause(c.text("reason"), author=c.author, now_utc=c.now, at_utc=c.at),
    "resume": lambda s, c: s.resume(c.number("rate_ml_per_h"), author=c.author, now_utc=c.now, at_utc=c.at),
    "stop": lambda s, c: s.stop(c.text("reason"), author=c.author, now_utc=c.now, at_utc=c.at),
    "complete": lambda s, c: s.complete(author=c.author, now_utc=c.now, at_utc=c.at),
    "begin_recovery": lambda s, c: s.begin_recovery(author=c.author, now_utc=c.now),
    "vitals": _record_vitals,
    "side_effect": _record_side_effect,
    "intervention": _record_intervention,
    "recovery_score": _record_recovery_score,
    "note": lambda s, c: s.add_note(c.text("text"), author=c.author, now_utc=c.now),
    "escort": lambda s, c: s.confirm_escort(
        c.text("escort_name"), c.text("escort_phone"), author=c.author, now_utc=c.now
    ),
    "acknowledge": lambda s, c: s.acknowledge_alert(c.text("alert_id"), c.text("note"), author=c.author, now_utc=c.now),
    "discharge": _discharge,
    "transfer": lambda s, c: s.transfer(c.text("destination"), c.text("reason"), author=c.author, now_utc=c.now),
    "cancel": lambda s, c: s.cancel(c.text("reason"), author=c.author, now_utc=c.now),
    "amend": _amend,
}


def _parse_at(raw: object) -> datetime | None:
    """An optional clinical time for late charting (ISO 8601 with a zone); the domain refuses a future time."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        at = datetime.fromisoformat(str(raw).strip())
    except ValueError:
        raise InputError("at", "an ISO 8601 time with a zone", raw) from None
    if at.tzinfo is None:
        raise InputError("at", "a time with a zone", raw)
    return at


def chart(
    svc: AppServices,
    actor: Actor,
    session_id: UUID,
    action: str,
    *,
    expected_version: object,
    form: Mapping[str, object],
) -> InfusionSession:
    """Record one charting action; refused whole (nothing stored) if anything about it is wrong."""
    require(actor, Permission.SESSION_CHART)
    handler = ACTIONS.get(action)
    if handler is None:
        raise InputError("action", "one of " + ", ".join(ACTIONS), action)
    try:
        version = int(str(expected_version))
    except ValueError:
        raise InputError("version", "the chart version the form was opened at", expected_version) from None
    now = svc.clock.now()
    with svc.uow_factory() as uow:
        session = _load(uow, session_id)
        if version != session.version:
            raise StaleWrite("The session chart", version, session.version)
        ctx = ChartContext(svc, uow, actor, _author(actor), now, _parse_at(form.get("at")), form)
        handler(session, ctx)
        uow.infusions.append_events(session.id, session.pending)
        kinds = ",".join(e.kind.value for e in session.pending)
        _audit(uow, svc, actor, session, f"session.{action}", ActionCode.UPDATE, detail=kinds)
        uow.publish(BOARD_TOPIC)
        uow.commit()
    return session


# -- reading -------------------------------------------------------------------------------------------------
def evaluate_session_discharge(session: InfusionSession, now: datetime) -> DischargeEvaluation:
    rules = load_recovery_rules(session.header.recovery_rules)
    scores = [
        RecoveryScore.from_json(e.data)
        for e in session.of_kind(EventKind.RECOVERY_SCORE)
        if e.data.get("instrument") == Instrument.PADSS.value
    ]
    aldrete = [
        RecoveryScore.from_json(e.data)
        for e in session.of_kind(EventKind.RECOVERY_SCORE)
        if e.data.get("instrument") == Instrument.ALDRETE.value
    ]
    after_end = [r for r in session.readings if session.ended_at_utc is not None and r.at_utc >= session.ended_at_utc]
    minutes = session.minutes_since_end(now)
    return evaluate_discharge(
        rules,
        minutes_since_infusion_end=0.0 if minutes is None else minutes,
        padss_history=scores,
        aldrete=aldrete[-1] if aldrete else None,
        baseline=session.baseline or Vitals(),
        latest=after_end[-1].vitals if after_end else None,
        escort_name=session.escort_name,
    )


@dataclass(frozen=True, slots=True)
class OpenAlert:
    alert: Alert
    escalated: bool
    minutes_open: float


def _reading_due(session: InfusionSession, now: datetime) -> ReadingDue | None:
    state = session.state
    if state not in (SessionState.INFUSING, SessionState.PAUSED, SessionState.RECOVERING):
        return None
    rules = load_monitoring_rules(session.header.monitoring_rules)
    origin = session.started_at_utc or session.checked_in_at_utc
    phase = Phase.RECOVERY if state is SessionState.RECOVERING else Phase.INFUSING
    phase_start = session.ended_at_utc if phase is Phase.RECOVERY and session.ended_at_utc else origin
    # A reading timed after "now" (another process's clock running ahead) does not count yet.
    readings = [r for r in session.readings if not r.is_baseline and r.at_utc <= now]
    last = readings[-1].at_utc if readings else None

    def minutes(at: datetime) -> float:
        return (at - origin).total_seconds() / 60.0

    return evaluate_reading_schedule(
        rules,
        phase=phase,
        phase_started_min=minutes(phase_start),
        last_reading_min=None if last is None else minutes(last),
        now_min=minutes(now),
    )


def _open_alerts(session: InfusionSession, rules: MonitoringRules, now: datetime) -> tuple[OpenAlert, ...]:
    rows = []
    for alert in session.alerts:
        if not alert.is_open:
            continue
        open_min = (now - alert.raised_at_utc).total_seconds() / 60.0
        rows.append(OpenAlert(alert, is_escalation_due(rules, raised_at_min=0.0, now_min=open_min), round(open_min, 1)))
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One chair on the live board."""

    session: InfusionSession
    patient_name: str
    now: datetime
    delivered_mg: float
    reading_due: ReadingDue | None
    open_alerts: tuple[OpenAlert, ...]
    trends: Mapping[str, str]  # sign -> "up" | "down" | "flat"
    synthetic: bool  # a synthetic demo patient: marked wherever the session is shown

    @property
    def reading_due_at_utc(self) -> datetime | None:
        if self.reading_due is None:
            return None
        origin = self.session.started_at_utc or self.session.checked_in_at_utc
        return origin + timedelta(minutes=self.reading_due.due_at_min)

    @property
    def minutes_into_infusion(self) -> float | None:
        minutes = self.session.minutes_since_start(self.now)
        if minutes is None:
            return None
        end = self.session.ended_at_utc
        return minutes if end is None else self.session.minutes_since_start(end)


def _trends(session: InfusionSession) -> dict[str, str]:
    readings = session.readings
    if len(readings) < 2:
        return {}
    previous, latest = readings[-2].vitals, readings[-1].vitals
    trends = {}
    for key, value in latest.to_json().items():
        before = previous.to_json().get(key)
        if value is None or before is None:
            continue
        trends[key] = "up" if value > before else "down" if value < before else "flat"
    return trends


def _summary(uow: UnitOfWork, session: InfusionSession, now: datetime, synthetic: set[UUID]) -> SessionSummary:
    patient = uow.patients.latest(session.header.patient_id)
    rules = load_monitoring_rules(session.header.monitoring_rules)
    return SessionSummary(
        session=session,
        patient_name=patient.details.display_name if patient else "?",
        now=now,
        delivered_mg=session.delivered_mg(now),
        reading_due=_reading_due(session, now),
        open_alerts=_open_alerts(session, rules, now),
        trends=_trends(session),
        synthetic=session.header.patient_id in synthetic,
    )


def get_board(svc: AppServices, actor: Actor) -> list[SessionSummary]:
    """Every open session of the clinic (audited as one read of each patient on the board)."""
    require(actor, Permission.SESSION_READ)
    now = svc.clock.now()
    with svc.uow_factory() as uow:
        synthetic = uow.courses.synthetic_patient_ids()
        rows = [_summary(uow, _load(uow, s.session_id), now, synthetic) for s in uow.infusions.list_open_sessions()]
        for row in rows:
            _audit(uow, svc, actor, row.session, "board.read", ActionCode.READ)
        uow.commit()
    return sorted(rows, key=lambda r: r.session.header.chair)


@dataclass(frozen=True, slots=True)
class SessionView:
    summary: SessionSummary
    discharge: DischargeEvaluation | None
    monitoring_rules: MonitoringRules
    recovery_rules: RecoveryRules
    order_inputs: Mapping[str, JsonValue]

    @property
    def session(self) -> InfusionSession:
        return self.summary.session


def get_session(svc: AppServices, actor: Actor, session_id: UUID) -> SessionView:
    require(actor, Permission.SESSION_READ)
    now = svc.clock.now()
    with svc.uow_factory() as uow:
        session = _load(uow, session_id)
        order = uow.orders.get_order(session.header.order_id)
        summary = _summary(uow, session, now, uow.courses.synthetic_patient_ids())
        _audit(uow, svc, actor, session, "session.read", ActionCode.READ)
        uow.commit()
    discharge = evaluate_session_discharge(session, now) if session.state is SessionState.RECOVERING else None
    return SessionView(
        summary=summary,
        discharge=discharge,
        monitoring_rules=load_monitoring_rules(session.header.monitoring_rules),
        recovery_rules=load_recovery_rules(session.header.recovery_rules),
        order_inputs=order.inputs if order else {},
    )


def list_patient_sessions(svc: AppServices, actor: Actor, patient_id: UUID) -> list[InfusionSession]:
    require(actor, Permission.SESSION_READ)
    with svc.uow_factory() as uow:
        sessions = [_load(uow, s.session_id) for s in uow.infusions.list_patient_sessions(patient_id)]
        record_audit(
            uow,
            svc.clock,
            actor,
            "session.list",
            ActionCode.READ,
            patient_id=patient_id,
            resource_type="InfusionSession",
        )
        uow.commit()
    return sessions


@dataclass(frozen=True, slots=True)
class OrderToRun:
    """A signed order as the check-in form shows it (no clinical detail beyond what the chair needs)."""

    order_id: UUID
    protocol_title: str
    dose_mg: float
    duration_min: float
    signed_at_utc: datetime
    signed_by: str


def list_orders_to_run(svc: AppServices, actor: Actor, patient_id: UUID) -> list[OrderToRun]:
    """The patient's signed orders not yet run in a session, newest first."""
    require(actor, Permission.SESSION_CHECK_IN)
    with svc.uow_factory() as uow:
        if uow.patients.latest(patient_id) is None:
            raise NotFound("patient", patient_id)
        used = {s.order_id for s in uow.infusions.list_patient_sessions(patient_id)}
        rows = []
        for order in uow.orders.list_orders(patient_id):
            if order.signature is None or order.id in used:
                continue
            protocol = load_protocol_for_order(uow, order)
            rows.append(
                OrderToRun(
                    order_id=order.id,
                    protocol_title=protocol.title,
                    dose_mg=_number(order.plan, "dose_mg"),
                    duration_min=_number(order.plan, "duration_min"),
                    signed_at_utc=order.signature.signed_at_utc,
                    signed_by=order.signature.signed_by,
                )
            )
        record_audit(
            uow,
            svc.clock,
            actor,
            "order.list_to_run",
            ActionCode.READ,
            patient_id=patient_id,
            resource_type="DoseOrder",
        )
        uow.commit()
    return sorted(rows, key=lambda r: r.signed_at_utc, reverse=True)
