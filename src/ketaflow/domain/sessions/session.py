"""One infusion session: an append-only event log and the state, pump history and chart it projects to.

``InfusionSession`` owns the rules of the clinic day: it refuses an event its state does not allow, an event
dated in the future or before check-in, a pump event earlier than the last one, a start without a clear gate
and baseline vitals, and an amendment that would make the log inconsistent. Each accepted event is appended
to ``pending`` for the service to store in the same transaction as its audit record; nothing is ever edited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from ketaflow.domain.basis import JsonValue, RuleRef
from ketaflow.domain.errors import Conflict, InputError
from ketaflow.domain.sessions.dose import PumpHistory, RateSegment, mg_per_h_of
from ketaflow.domain.sessions.events import (
    AMENDABLE,
    PUMP_EVENTS,
    TRANSITIONS,
    EventKind,
    SessionEvent,
    SessionState,
)
from ketaflow.domain.vitals import Vitals, VitalSign

REASON_MIN_CHARS = 3
TEXT_MAX_CHARS = 2000
# The signs the monitoring rules compare against; without them a relative rule has nothing to compare with.
BASELINE_SIGNS = (VitalSign.SYSTOLIC, VitalSign.DIASTOLIC, VitalSign.HEART_RATE, VitalSign.SPO2)


class SessionConflict(Conflict):
    """The event is not allowed in the session's current state (or would make its log inconsistent)."""


@dataclass(frozen=True, slots=True)
class Author:
    username: str
    role: str


@dataclass(frozen=True, slots=True)
class SessionHeader:
    """What the session runs: the signed order's numbers, copied at check-in so the chart stands alone."""

    session_id: UUID
    patient_id: UUID
    order_id: UUID
    chair: str
    protocol: RuleRef
    monitoring_rules: str
    recovery_rules: str
    concentration_mg_per_ml: float
    ordered_dose_mg: float
    ordered_rate_ml_per_h: float
    ordered_duration_min: float
    weight_kg: float
    dosing_weight_kg: float | None

    @property
    def ordered_rate_mg_per_h(self) -> float:
        return mg_per_h_of(self.ordered_rate_ml_per_h, self.concentration_mg_per_ml)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "session_id": str(self.session_id),
            "patient_id": str(self.patient_id),
            "order_id": str(self.order_id),
            "chair": self.chair,
            "protocol": self.protocol.to_json(),
            "monitoring_rules": self.monitoring_rules,
            "recovery_rules": self.recovery_rules,
            "concentration_mg_per_ml": self.concentration_mg_per_ml,
            "ordered_dose_mg": self.ordered_dose_mg,
            "ordered_rate_ml_per_h": self.ordered_rate_ml_per_h,
            "ordered_duration_min": self.ordered_duration_min,
            "weight_kg": self.weight_kg,
            "dosing_weight_kg": self.dosing_weight_kg,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, JsonValue]) -> SessionHeader:
        protocol = data["protocol"]
        assert isinstance(protocol, Mapping)
        dosing_weight = data.get("dosing_weight_kg")
        return cls(
            session_id=UUID(str(data["session_id"])),
            patient_id=UUID(str(data["patient_id"])),
            order_id=UUID(str(data["order_id"])),
            chair=str(data["chair"]),
            protocol=RuleRef(str(protocol["id"]), str(protocol["version"])),
            monitoring_rules=str(data["monitoring_rules"]),
            recovery_rules=str(data["recovery_rules"]),
            concentration_mg_per_ml=_number(data["concentration_mg_per_ml"]),
            ordered_dose_mg=_number(data["ordered_dose_mg"]),
            ordered_rate_ml_per_h=_number(data["ordered_rate_ml_per_h"]),
            ordered_duration_min=_number(data["ordered_duration_min"]),
            weight_kg=_number(data["weight_kg"]),
            dosing_weight_kg=None if dosing_weight is None else _number(dosing_weight),
        )


def _number(value: JsonValue) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _text(field: str, value: object, *, min_chars: int = 1, max_chars: int = TEXT_MAX_CHARS) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not min_chars <= len(text) <= max_chars:
        raise InputError(field, f"text of {min_chars} to {max_chars} characters", value if text else None)
    return text


def _rate(field: str, value: object, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise InputError(field, "a rate in mL/h", value)
    rate = float(value)
    if rate < 0 or (rate == 0 and not allow_zero):
        raise InputError(field, "a rate above 0 mL/h (pause the pump instead of setting 0)", value)
    return rate


@dataclass(frozen=True, slots=True)
class ChartedReading:
    """One charted set of vitals with its observations and the monitoring evaluation made at the time."""

    seq: int
    at_utc: datetime
    recorded_by: str
    vitals: Vitals
    observation: Mapping[str, JsonValue]
    evaluation: Mapping[str, JsonValue] | None
    is_baseline: bool
    amended: bool


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    seq: int
    raised_at_utc: datetime
    action: str
    summary: str
    findings: tuple[JsonValue, ...]
    acknowledged_by: str | None = None
    acknowledged_at_utc: datetime | None = None
    acknowledgement_note: str = ""

    @property
    def is_open(self) -> bool:
        return self.acknowledged_by is None


@dataclass(frozen=True, slots=True)
class Amendment:
    seq: int
    target_seq: int
    reason: str
    by: str
    at_utc: datetime


@dataclass(frozen=True, slots=True)
class _Projection:
    state: SessionState
    header: SessionHeader
    pump: PumpHistory
    started_at_utc: datetime | None
    ended_at_utc: datetime | None
    effective: tuple[SessionEvent, ...]


def _apply_amendments(events: Sequence[SessionEvent]) -> tuple[SessionEvent, ...]:
    """Each event as its latest amendment says it should read; amendments themselves stay in the log."""
    corrections: dict[int, Mapping[str, JsonValue]] = {}
    for event in events:
        if event.kind is EventKind.AMENDMENT:
            target = event.data.get("target_seq")
            fields = event.data.get("data")
            if isinstance(target, int) and isinstance(fields, Mapping):
                corrections[target] = {**corrections.get(target, {}), **fields}
    effective = []
    for event in events:
        fix = corrections.get(event.seq)
        if fix is None:
            effective.append(event)
            continue
        at_text = fix.get("at_utc")
        at = datetime.fromisoformat(at_text) if isinstance(at_text, str) else event.at_utc
        data = {k: v for k, v in {**event.data, **fix}.items() if k != "at_utc"}
        effective.append(replace(event, at_utc=at, data={**data, "amended": True}))
    return tuple(effective)


def _project(events: Sequence[SessionEvent]) -> _Projection:
    """Replay the log; raises SessionConflict if it is not a legal history."""
    if not events or events[0].kind is not EventKind.CHECKED_IN:
        raise SessionConflict("a session's log must begin with its check-in")
    effective = _apply_amendments(events)
    header = SessionHeader.from_json(effective[0].data)
    state: SessionState | None = None
    segments: list[RateSegment] = []
    last_pump_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    checked_in_at = effective[0].at_utc
    for event in effective:
        transition = TRANSITIONS[event.kind]
        if event.kind is EventKind.CHECKED_IN:
            if state is not None:
                raise SessionConflict("a session is checked in once")
        elif state is None or state not in transition.allowed_in:
            raise SessionConflict(f"cannot record '{event.kind.label.lower()}' while the session is {state}")
        if event.kind is not EventKind.AMENDMENT and event.at_utc < checked_in_at:
            raise SessionConflict(f"event {event.seq} is dated before the check-in")
        if event.kind in PUMP_EVENTS:
            if last_pump_at is not None and event.at_utc < last_pump_at:
                raise SessionConflict(
                    f"'{event.kind.label.lower()}' at {event.at_utc:%H:%M:%S} is earlier than the previous pump "
                    f"event at {last_pump_at:%H:%M:%S}"
                )
            last_pump_at = event.at_utc
            segments = _advance_pump(segments, event)
            if event.kind is EventKind.STARTED:
                started_at = event.at_utc
            if event.kind in (EventKind.STOPPED, EventKind.COMPLETED):
                ended_at = event.at_utc
        if transition.leads_to is not None:
            state = transition.leads_to
    assert state is not None
    pump = PumpHistory.create(segments, header.concentration_mg_per_ml)
    return _Projection(state, header, pump, started_at, ended_at, effective)


def _advance_pump(segments: list[RateSegment], event: SessionEvent) -> list[RateSegment]:
    closed = [replace(s, end_utc=event.at_utc) if s.end_utc is None else s for s in segments]
    if event.kind in (EventKind.STARTED, EventKind.RATE_CHANGED, EventKind.RESUMED):
        rate = event.data.get("rate_ml_per_h")
        closed.append(RateSegment(start_utc=event.at_utc, end_utc=None, rate_ml_per_h=_number(rate)))
    return closed


class InfusionSession:
    """The session as its log says it is; record_* methods append new events after checking them."""

    def __init__(self, events: Sequence[SessionEvent]) -> None:
        self._events: list[SessionEvent] = list(events)
        self._view = _project(self._events)
        self.pending: list[SessionEvent] = []

    # -- creation ---------------------------------------------------------------------------------------
    @classmethod
    def check_in(cls, header: SessionHeader, *, at_utc: datetime, author: Author) -> InfusionSession:
        _text("chair", header.chair, max_chars=40)
        event = SessionEvent(
            seq=1,
            kind=EventKind.CHECKED_IN,
            at_utc=at_utc,
            recorded_at_utc=at_utc,
            recorded_by=author.username,
            recorded_by_role=author.role,
            data=header.to_json(),
        )
        session = cls([event])
        session.pending.append(event)
        return session

    # -- reading -----------------------------------------------------------------------------------------
    @property
    def header(self) -> SessionHeader:
        return self._view.header

    @property
    def id(self) -> UUID:
        return self._view.header.session_id

    @property
    def state(self) -> SessionState:
        return self._view.state

    @property
    def version(self) -> int:
        """The last event's sequence number: a writer that saw an older version is refused."""
        return self._events[-1].seq

    @property
    def events(self) -> tuple[SessionEvent, ...]:
        return tuple(self._events)

    @property
    def effective_events(self) -> tuple[SessionEvent, ...]:
        """The log with amendments applied (the chart is drawn from this)."""
        return self._view.effective

    @property
    def pump(self) -> PumpHistory:
        return self._view.pump

    @property
    def checked_in_at_utc(self) -> datetime:
        return self._events[0].at_utc

    @property
    def started_at_utc(self) -> datetime | None:
        return self._view.started_at_utc

    @property
    def ended_at_utc(self) -> datetime | None:
        return self._view.ended_at_utc

    @property
    def ended_early(self) -> bool:
        return any(e.kind is EventKind.STOPPED for e in self._events)

    def of_kind(self, kind: EventKind) -> tuple[SessionEvent, ...]:
        return tuple(e for e in self._view.effective if e.kind is kind)

    def latest(self, kind: EventKind) -> SessionEvent | None:
        found = self.of_kind(kind)
        return found[-1] if found else None

    @property
    def gate_is_clear(self) -> bool:
        gate = self.latest(EventKind.GATE_RECORDED)
        return gate is not None and gate.data.get("clear") is True

    @property
    def readings(self) -> tuple[ChartedReading, ...]:
        """Charted vitals in clinical time order; those before the infusion started are baseline readings."""
        started = self.started_at_utc
        start_event = self.latest(EventKind.STARTED)
        started_seq = start_event.seq if start_event is not None else 0
        rows = []
        for event in self.of_kind(EventKind.VITALS):
            observation = event.data.get("observation")
            observation = observation if isinstance(observation, Mapping) else {}
            vitals_json = observation.get("vitals")
            evaluation = event.data.get("evaluation")
            rows.append(
                ChartedReading(
                    seq=event.seq,
                    at_utc=event.at_utc,
                    recorded_by=event.recorded_by,
                    vitals=Vitals(**{k: _number(v) for k, v in vitals_json.items() if v is not None})
                    if isinstance(vitals_json, Mapping)
                    else Vitals(),
                    observation=observation,
                    evaluation=evaluation if isinstance(evaluation, Mapping) else None,
                    # Before the start in clinical time, or charted before it at the same minute.
                    is_baseline=started is None
                    or event.at_utc < started
                    or (event.at_utc == started and event.seq < started_seq),
                    amended=event.data.get("amended") is True,
                )
            )
        return tuple(sorted(rows, key=lambda r: (r.at_utc, r.seq)))

    @property
    def baseline(self) -> Vitals | None:
        """The latest reading charted before the infusion started, sign by sign."""
        merged: dict[str, float] = {}
        for reading in self.readings:
            if reading.is_baseline:
                merged.update({s.value: v for s in VitalSign if (v := reading.vitals.get(s)) is not None})
        return Vitals(**merged) if merged else None

    @property
    def alerts(self) -> tuple[Alert, ...]:
        acks = {str(e.data.get("alert_id")): e for e in self.of_kind(EventKind.ALERT_ACKNOWLEDGED)}
        rows = []
        for event in self.of_kind(EventKind.ALERT_RAISED):
            alert_id = str(event.data.get("alert_id"))
            ack = acks.get(alert_id)
            findings = event.data.get("findings")
            rows.append(
                Alert(
                    id=alert_id,
                    seq=event.seq,
                    raised_at_utc=event.at_utc,
                    action=str(event.data.get("action")),
                    summary=str(event.data.get("summary", "")),
                    findings=tuple(findings) if isinstance(findings, list) else (),
                    acknowledged_by=None if ack is None else ack.recorded_by,
                    acknowledged_at_utc=None if ack is None else ack.at_utc,
                    acknowledgement_note="" if ack is None else str(ack.data.get("note", "")),
                )
            )
        return tuple(rows)

    @property
    def amendments(self) -> tuple[Amendment, ...]:
        return tuple(
            Amendment(
                seq=e.seq,
                target_seq=int(str(e.data.get("target_seq"))),
                reason=str(e.data.get("reason")),
                by=e.recorded_by,
                at_utc=e.recorded_at_utc,
            )
            for e in self._events
            if e.kind is EventKind.AMENDMENT
        )

    @property
    def escort_name(self) -> str | None:
        escort = self.latest(EventKind.ESCORT_CONFIRMED)
        return None if escort is None else str(escort.data.get("name"))

    def minutes_since_start(self, at_utc: datetime) -> float | None:
        if self.started_at_utc is None:
            return None
        return (at_utc - self.started_at_utc).total_seconds() / 60.0

    def minutes_since_end(self, at_utc: datetime) -> float | None:
        if self.ended_at_utc is None:
            return None
        return (at_utc - self.ended_at_utc).total_seconds() / 60.0

    def phase_at(self, at_utc: datetime) -> str:
        """'baseline' before the start, 'infusing' until the end, 'recovery' after it."""
        if self.started_at_utc is None or at_utc < self.started_at_utc:
            return "baseline"
        if self.ended_at_utc is None or at_utc < self.ended_at_utc:
            return "infusing"
        return "recovery"

    def delivered_mg(self, at_utc: datetime) -> float:
        return self.pump.delivered_mg(at_utc)

    # -- writing -----------------------------------------------------------------------------------------
    def _append(
        self,
        kind: EventKind,
        data: Mapping[str, JsonValue],
        *,
        author: Author,
        now_utc: datetime,
        at_utc: datetime | None = None,
    ) -> SessionEvent:
        at = now_utc if at_utc is None else at_utc
        if at > now_utc:
            raise InputError("at", "a time not in the future", at.isoformat())
        if at < self.checked_in_at_utc:
            raise InputError("at", "a time at or after the check-in", at.isoformat())
        allowed = TRANSITIONS[kind].allowed_in
        if self.state not in allowed:
            raise SessionConflict(
                f"cannot record '{kind.label.lower()}' while the session is {self.state.label.lower()}"
                f" (allowed when: {', '.join(sorted(s.label.lower() for s in allowed)) or 'never after check-in'})"
            )
        event = SessionEvent(
            seq=self.version + 1,
            kind=kind,
            at_utc=at,
            recorded_at_utc=now_utc,
            recorded_by=author.username,
            recorded_by_role=author.role,
            data=dict(data),
        )
        view = _project([*self._events, event])  # refuses an inconsistent history before anything is kept
        self._events.append(event)
        self._view = view
        self.pending.append(event)
        return event

    def record_gate(
        self, *, gate_check_id: UUID, clear: bool, decision: str, author: Author, now_utc: datetime
    ) -> None:
        self._append(
            EventKind.GATE_RECORDED,
            {"gate_check_id": str(gate_check_id), "clear": clear, "decision": decision},
            author=author,
            now_utc=now_utc,
        )

    def complete_checks(self, *, author: Author, now_utc: datetime) -> None:
        if not self.gate_is_clear:
            raise SessionConflict("the pre-infusion gate is not clear: run the gate check (and resolve it) first")
        baseline = self.baseline
        missing = [s.label for s in BASELINE_SIGNS if baseline is None or baseline.get(s) is None]
        if missing:
            raise SessionConflict("baseline vitals are missing: " + ", ".join(missing))
        self._append(EventKind.CHECKS_COMPLETED, {}, author=author, now_utc=now_utc)

    def _rate_data(self, rate_ml_per_h: object, field: str = "rate_ml_per_h") -> dict[str, JsonValue]:
        rate = _rate(field, rate_ml_per_h)
        return {"rate_ml_per_h": rate, "rate_mg_per_h": mg_per_h_of(rate, self.header.concentration_mg_per_ml)}

    def start(
        self, rate_ml_per_h: object, *, author: Author, now_utc: datetime, at_utc: datetime | None = None
    ) -> None:
        self._append(EventKind.STARTED, self._rate_data(rate_ml_per_h), author=author, now_utc=now_utc, at_utc=at_utc)

    def change_rate(
        self,
        rate_ml_per_h: object,
        reason: object,
        *,
        author: Author,
        now_utc: datetime,
        at_utc: datetime | None = None,
    ) -> None:
        data = self._rate_data(rate_ml_per_h)
        if data["rate_ml_per_h"] == self.pump.current_rate_ml_per_h():
            raise InputError("rate_ml_per_h", "a rate different from the current one", rate_ml_per_h)
        data["reason"] = _text("reason", reason, min_chars=REASON_MIN_CHARS)
        self._append(EventKind.RATE_CHANGED, data, author=author, now_utc=now_utc, at_utc=at_utc)

    def pause(self, reason: object, *, author: Author, now_utc: datetime, at_utc: datetime | None = None) -> None:
        data: dict[str, JsonValue] = {"reason": _text("reason", reason, min_chars=REASON_MIN_CHARS)}
        self._append(EventKind.PAUSED, data, author=author, now_utc=now_utc, at_utc=at_utc)

    def resume(
        self, rate_ml_per_h: object, *, author: Author, now_utc: datetime, at_utc: datetime | None = None
    ) -> None:
        self._append(EventKind.RESUMED, self._rate_data(rate_ml_per_h), author=author, now_utc=now_utc, at_utc=at_utc)

    def stop(self, reason: object, *, author: Author, now_utc: datetime, at_utc: datetime | None = None) -> None:
        data: dict[str, JsonValue] = {"reason": _text("reason", reason, min_chars=REASON_MIN_CHARS)}
        self._append(EventKind.STOPPED, data, author=author, now_utc=now_utc, at_utc=at_utc)

    def complete(self, *, author: Author, now_utc: datetime, at_utc: datetime | None = None) -> None:
        """The infusion ran to its end; what was delivered is recorded against the order."""
        at = now_utc if at_utc is None else at_utc
        data: dict[str, JsonValue] = {
            "delivered_mg": round(self.pump.delivered_mg(at), 3),
            "ordered_mg": self.header.ordered_dose_mg,
        }
        self._append(EventKind.COMPLETED, data, author=author, now_utc=now_utc, at_utc=at_utc)

    def begin_recovery(self, *, author: Author, now_utc: datetime) -> None:
        self._append(EventKind.RECOVERY_STARTED, {}, author=author, now_utc=now_utc)

    def record_vitals(
        self,
        observation: Mapping[str, JsonValue],
        evaluation: Mapping[str, JsonValue] | None,
        *,
        author: Author,
        now_utc: datetime,
        at_utc: datetime | None = None,
    ) -> SessionEvent:
        """``observation`` is already checked by the monitoring rules' reader; ``evaluation`` is their verdict."""
        data: dict[str, JsonValue] = {"observation": dict(observation), "evaluation": None}
        if evaluation is not None:
            data["evaluation"] = dict(evaluation)
        return self._append(EventKind.VITALS, data, author=author, now_utc=now_utc, at_utc=at_utc)

    def raise_alert(
        self,
        *,
        alert_id: str,
        action: str,
        summary: str,
        findings: Sequence[JsonValue],
        reading_seq: int,
        author: Author,
        now_utc: datetime,
        at_utc: datetime | None = None,
    ) -> None:
        data: dict[str, JsonValue] = {
            "alert_id": alert_id,
            "action": action,
            "summary": summary,
            "findings": list(findings),
            "reading_seq": reading_seq,
        }
        self._append(EventKind.ALERT_RAISED, data, author=author, now_utc=now_utc, at_utc=at_utc)

    def acknowledge_alert(self, alert_id: str, note: object, *, author: Author, now_utc: datetime) -> None:
        alert = next((a for a in self.alerts if a.id == alert_id), None)
        if alert is None:
            raise InputError("alert_id", "an alert raised in this session", alert_id)
        if not alert.is_open:
            raise SessionConflict(f"the alert was already acknowledged by {alert.acknowledged_by}")
        text = note.strip() if isinstance(note, str) else ""
        if len(text) > TEXT_MAX_CHARS:
            raise InputError("note", f"at most {TEXT_MAX_CHARS} characters")
        self._append(EventKind.ALERT_ACKNOWLEDGED, {"alert_id": alert_id, "note": text}, author=author, now_utc=now_utc)

    def record_side_effect(
        self,
        code: str,
        severity: object,
        note: object,
        *,
        author: Author,
        now_utc: datetime,
        at_utc: datetime | None = None,
    ) -> SessionEvent:
        if severity not in ("mild", "moderate", "severe"):
            raise InputError("severity", "mild, moderate or severe", severity)
        text = note.strip() if isinstance(note, str) else ""
        data: dict[str, JsonValue] = {"code": code, "severity": str(severity), "note": text[:TEXT_MAX_CHARS]}
        return self._append(EventKind.SIDE_EFFECT, data, author=author, now_utc=now_utc, at_utc=at_utc)

    def record_intervention(
        self,
        intervention: Mapping[str, JsonValue],
        *,
        author: Author,
        now_utc: datetime,
        at_utc: datetime | None = None,
    ) -> None:
        """A drug given (name, dose, unit, route, indication); checked by the service's form reader."""
        for key in ("drug", "dose", "unit", "route", "indication"):
            if intervention.get(key) in (None, ""):
                raise InputError(key, f"the intervention's {key}")
        self._append(EventKind.INTERVENTION, dict(intervention), author=author, now_utc=now_utc, at_utc=at_utc)

    def record_recovery_score(
        self, score: Mapping[str, JsonValue], *, author: Author, now_utc: datetime, at_utc: datetime | None = None
    ) -> None:
        self._append(EventKind.RECOVERY_SCORE, dict(score), author=author, now_utc=now_utc, at_utc=at_utc)

    def add_note(self, text: object, *, author: Author, now_utc: datetime) -> None:
        late = self.state.is_terminal
        self._append(EventKind.NOTE, {"text": _text("text", text), "late_entry": late}, author=author, now_utc=now_utc)

    def confirm_escort(self, name: object, phone: object, *, author: Author, now_utc: datetime) -> None:
        data: dict[str, JsonValue] = {
            "name": _text("escort_name", name, min_chars=2, max_chars=200),
            "phone": phone.strip()[:40] if isinstance(phone, str) else "",
        }
        self._append(EventKind.ESCORT_CONFIRMED, data, author=author, now_utc=now_utc)

    def discharge(
        self,
        *,
        evaluation: Mapping[str, JsonValue],
        allowed: bool,
        override_reason: str | None,
        instructions: Sequence[str],
        author: Author,
        now_utc: datetime,
    ) -> None:
        """Discharge when the criteria are met; otherwise only with an override reason (the service checks the role)."""
        reason = None
        if not allowed:
            if override_reason is None or not override_reason.strip():
                raise SessionConflict(
                    "the discharge criteria are not met: a physician may override with a documented reason"
                )
            reason = _text("override_reason", override_reason, min_chars=10)
        data: dict[str, JsonValue] = {
            "evaluation": dict(evaluation),
            "criteria_met": allowed,
            "override_reason": reason,
            "instructions": list(instructions),
        }
        self._append(EventKind.DISCHARGED, data, author=author, now_utc=now_utc)

    def transfer(self, destination: object, reason: object, *, author: Author, now_utc: datetime) -> None:
        data: dict[str, JsonValue] = {
            "destination": _text("destination", destination, max_chars=200),
            "reason": _text("reason", reason, min_chars=REASON_MIN_CHARS),
        }
        self._append(EventKind.TRANSFERRED, data, author=author, now_utc=now_utc)

    def cancel(self, reason: object, *, author: Author, now_utc: datetime) -> None:
        data: dict[str, JsonValue] = {"reason": _text("reason", reason, min_chars=REASON_MIN_CHARS)}
        self._append(EventKind.CANCELLED, data, author=author, now_utc=now_utc)

    def amend(
        self,
        target_seq: int,
        reason: object,
        corrected: Mapping[str, JsonValue],
        *,
        author: Author,
        now_utc: datetime,
    ) -> None:
        """Correct an earlier event: the original stays in the log; the chart shows the correction and why."""
        target = next((e for e in self._events if e.seq == target_seq), None)
        if target is None:
            raise InputError("target_seq", "the number of an event in this session", target_seq)
        if target.kind not in AMENDABLE:
            raise InputError("target_seq", "an event that can be corrected (" + ", ".join(sorted(AMENDABLE)) + ")")
        allowed_keys = set(target.data) | {"at_utc"}
        unknown = sorted(set(corrected) - allowed_keys)
        if unknown:
            raise InputError(
                f"data.{unknown[0]}", "a field of the corrected event (" + ", ".join(sorted(allowed_keys)) + ")"
            )
        if not corrected:
            raise InputError("data", "at least one corrected field")
        fields: dict[str, JsonValue] = dict(corrected)
        if "rate_ml_per_h" in fields:
            fields.update(self._rate_data(fields["rate_ml_per_h"], "data.rate_ml_per_h"))
        at_text = fields.get("at_utc")
        if at_text is not None:
            try:
                at = datetime.fromisoformat(str(at_text))
            except ValueError:
                raise InputError("data.at_utc", "an ISO 8601 time with a zone", at_text) from None
            if at.tzinfo is None or at > now_utc:
                raise InputError("data.at_utc", "a time with a zone, not in the future", at_text)
            fields["at_utc"] = at.isoformat()
        data: dict[str, JsonValue] = {
            "target_seq": target_seq,
            "target_kind": target.kind.value,
            "reason": _text("reason", reason, min_chars=REASON_MIN_CHARS),
            "data": fields,
        }
        try:
            self._append(EventKind.AMENDMENT, data, author=author, now_utc=now_utc)
        except SessionConflict as exc:
            raise SessionConflict(f"the correction would make the record inconsistent: {exc}") from exc
