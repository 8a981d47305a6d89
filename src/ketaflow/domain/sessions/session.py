"""One infusion session: an append-only event log and the state, pump history and chart it projects to.

``InfusionSession`` owns the rules of the clinic day: it refuses an event its state does not allow, an event
dated in the future or before check-in, a pump event earlier than the last one, a start without a clear gate
and baseline vitals, and an amendment that would make the log inconsistent. Each accepted event is appended
to ``pending`` for the service to store in the same transaction as its audit record; nothing is ever edited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.errors import InputError
from ketaflow.domain.sessions.dose import PumpHistory, mg_per_h_of
from ketaflow.domain.sessions.events import (
    AMENDABLE,
    TRANSITIONS,
    EventKind,
    SessionConflict,
    SessionEvent,
    SessionState,
)
from ketaflow.domain.sessions.header import Author, SessionHeader
from ketaflow.domain.sessions.replay import Alert, Amendment, ChartedReading, project
from ketaflow.domain.vitals import Vitals, VitalSign

REASON_MIN_CHARS = 3
TEXT_MAX_CHARS = 2000
# The signs the monitoring rules compare against; without them a relative rule has nothing to compare with.
BASELINE_SIGNS = (VitalSign.SYSTOLIC, VitalSign.DIASTOLIC, VitalSign.HEART_RATE, VitalSign.SPO2)


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


class InfusionSession:
    """The session as its log says it is; record_* methods append new events after checking them."""

    def __init__(self, events: Sequence[SessionEvent]) -> None:
        self._events: list[SessionEvent] = list(events)
        self._view = project(self._events)
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
        return self._view.readings

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
        return self._view.alerts

    @property
    def amendments(self) -> tuple[Amendment, ...]:
        return self._view.amendments

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
        view = project([*self._events, event])  # refuses an inconsistent history before anything is kept
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
