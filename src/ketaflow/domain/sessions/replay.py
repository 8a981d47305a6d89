"""Replaying a session's log: amendments applied, every transition checked, and the chart's views built once.

``project`` is the one place that turns the stored events into state, pump history, readings and alerts;
``InfusionSession`` calls it after each accepted event, so what a page reads is computed once per change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.sessions.dose import PumpHistory, RateSegment
from ketaflow.domain.sessions.events import (
    PUMP_EVENTS,
    TRANSITIONS,
    EventKind,
    SessionConflict,
    SessionEvent,
    SessionState,
)
from ketaflow.domain.sessions.header import SessionHeader, read_number
from ketaflow.domain.vitals import Vitals


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


@dataclass(frozen=True)  # no slots: cached_property keeps its values in the instance dict
class Projection:
    """The replayed state; the chart's views are built on first use and kept (a write only needs the state)."""

    state: SessionState
    header: SessionHeader
    pump: PumpHistory
    started_at_utc: datetime | None
    ended_at_utc: datetime | None
    started_seq: int
    events: tuple[SessionEvent, ...]
    effective: tuple[SessionEvent, ...]

    @cached_property
    def readings(self) -> tuple[ChartedReading, ...]:
        return _readings(self.effective, self.started_at_utc, self.started_seq)

    @cached_property
    def alerts(self) -> tuple[Alert, ...]:
        return _alerts(self.effective)

    @cached_property
    def amendments(self) -> tuple[Amendment, ...]:
        return _amendments(self.events)


def apply_amendments(events: Sequence[SessionEvent]) -> tuple[SessionEvent, ...]:
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


def project(events: Sequence[SessionEvent]) -> Projection:
    """Replay the log; raises SessionConflict if it is not a legal history."""
    if not events or events[0].kind is not EventKind.CHECKED_IN:
        raise SessionConflict("a session's log must begin with its check-in")
    effective = apply_amendments(events)
    header = SessionHeader.from_json(effective[0].data)
    state: SessionState | None = None
    segments: list[RateSegment] = []
    last_pump_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    started_seq = 0
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
                started_at, started_seq = event.at_utc, event.seq
            if event.kind in (EventKind.STOPPED, EventKind.COMPLETED):
                ended_at = event.at_utc
        if transition.leads_to is not None:
            state = transition.leads_to
    assert state is not None
    pump = PumpHistory.create(segments, header.concentration_mg_per_ml)
    return Projection(
        state=state,
        header=header,
        pump=pump,
        started_at_utc=started_at,
        ended_at_utc=ended_at,
        started_seq=started_seq,
        events=tuple(events),
        effective=effective,
    )


def _advance_pump(segments: list[RateSegment], event: SessionEvent) -> list[RateSegment]:
    closed = [replace(s, end_utc=event.at_utc) if s.end_utc is None else s for s in segments]
    if event.kind in (EventKind.STARTED, EventKind.RATE_CHANGED, EventKind.RESUMED):
        rate = event.data.get("rate_ml_per_h")
        closed.append(RateSegment(start_utc=event.at_utc, end_utc=None, rate_ml_per_h=read_number(rate)))
    return closed


def _readings(
    effective: Sequence[SessionEvent], started: datetime | None, started_seq: int
) -> tuple[ChartedReading, ...]:
    """Charted vitals in clinical time order; those before the infusion started are baseline readings."""
    rows = []
    for event in effective:
        if event.kind is not EventKind.VITALS:
            continue
        observation = event.data.get("observation")
        observation = observation if isinstance(observation, Mapping) else {}
        vitals_json = observation.get("vitals")
        evaluation = event.data.get("evaluation")
        rows.append(
            ChartedReading(
                seq=event.seq,
                at_utc=event.at_utc,
                recorded_by=event.recorded_by,
                vitals=Vitals(**{k: read_number(v) for k, v in vitals_json.items() if v is not None})
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


def _alerts(effective: Sequence[SessionEvent]) -> tuple[Alert, ...]:
    acks = {str(e.data.get("alert_id")): e for e in effective if e.kind is EventKind.ALERT_ACKNOWLEDGED}
    rows = []
    for event in effective:
        if event.kind is not EventKind.ALERT_RAISED:
            continue
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


def _amendments(events: Sequence[SessionEvent]) -> tuple[Amendment, ...]:
    return tuple(
        Amendment(
            seq=e.seq,
            target_seq=int(str(e.data.get("target_seq"))),
            reason=str(e.data.get("reason")),
            by=e.recorded_by,
            at_utc=e.recorded_at_utc,
        )
        for e in events
        if e.kind is EventKind.AMENDMENT
    )
