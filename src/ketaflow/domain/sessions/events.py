"""The infusion session's event log: what can be recorded, in which states, and where it leads.

The transition table is data: one row per event kind with the states it may be recorded in and the state it
leads to (None: the state does not change). Every illegal transition is refused by reading this table, so
the table is also what the state-machine tests walk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.errors import Conflict


class SessionState(StrEnum):
    """Where a session is in the clinic day."""

    CHECKED_IN = "checked_in"  # pre-infusion checks under way: gate, checklist, baseline vitals and scores
    READY = "ready"  # checks done; the infusion may start
    INFUSING = "infusing"
    PAUSED = "paused"
    STOPPED_EARLY = "stopped_early"
    COMPLETED = "completed"
    RECOVERING = "recovering"
    DISCHARGED = "discharged"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"  # ended before the infusion started (e.g. today's gate did not clear)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES

    @property
    def is_running(self) -> bool:
        """Infusion under way (the pump is programmed, running or paused)."""
        return self in (SessionState.INFUSING, SessionState.PAUSED)


TERMINAL_STATES = frozenset({SessionState.DISCHARGED, SessionState.TRANSFERRED, SessionState.CANCELLED})
_OPEN = frozenset(SessionState) - TERMINAL_STATES
_ANY = frozenset(SessionState)


class EventKind(StrEnum):
    CHECKED_IN = "checked_in"
    GATE_RECORDED = "gate_recorded"
    CHECKS_COMPLETED = "checks_completed"
    STARTED = "started"
    RATE_CHANGED = "rate_changed"
    PAUSED = "paused"
    RESUMED = "resumed"
    STOPPED = "stopped"
    COMPLETED = "completed"
    RECOVERY_STARTED = "recovery_started"
    VITALS = "vitals"
    SIDE_EFFECT = "side_effect"
    INTERVENTION = "intervention"
    RECOVERY_SCORE = "recovery_score"
    NOTE = "note"
    ESCORT_CONFIRMED = "escort_confirmed"
    ALERT_RAISED = "alert_raised"
    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    DISCHARGED = "discharged"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"
    AMENDMENT = "amendment"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class Transition:
    allowed_in: frozenset[SessionState]
    leads_to: SessionState | None = None


TRANSITIONS: Mapping[EventKind, Transition] = {
    EventKind.CHECKED_IN: Transition(frozenset(), SessionState.CHECKED_IN),
    EventKind.GATE_RECORDED: Transition(frozenset({SessionState.CHECKED_IN})),
    EventKind.CHECKS_COMPLETED: Transition(frozenset({SessionState.CHECKED_IN}), SessionState.READY),
    EventKind.STARTED: Transition(frozenset({SessionState.READY}), SessionState.INFUSING),
    EventKind.RATE_CHANGED: Transition(frozenset({SessionState.INFUSING})),
    EventKind.PAUSED: Transition(frozenset({SessionState.INFUSING}), SessionState.PAUSED),
    EventKind.RESUMED: Transition(frozenset({SessionState.PAUSED}), SessionState.INFUSING),
    EventKind.STOPPED: Transition(frozenset({SessionState.INFUSING, SessionState.PAUSED}), SessionState.STOPPED_EARLY),
    EventKind.COMPLETED: Transition(frozenset({SessionState.INFUSING}), SessionState.COMPLETED),
    EventKind.RECOVERY_STARTED: Transition(
        frozenset({SessionState.STOPPED_EARLY, SessionState.COMPLETED}), SessionState.RECOVERING
    ),
    EventKind.VITALS: Transition(_OPEN),
    EventKind.SIDE_EFFECT: Transition(_OPEN),
    EventKind.INTERVENTION: Transition(_OPEN),
    EventKind.RECOVERY_SCORE: Transition(frozenset({SessionState.RECOVERING})),
    EventKind.NOTE: Transition(_ANY),  # a late entry after discharge is still a note, marked by its times
    EventKind.ESCORT_CONFIRMED: Transition(_OPEN),
    EventKind.ALERT_RAISED: Transition(_OPEN),
    EventKind.ALERT_ACKNOWLEDGED: Transition(_ANY),
    EventKind.DISCHARGED: Transition(frozenset({SessionState.RECOVERING}), SessionState.DISCHARGED),
    EventKind.TRANSFERRED: Transition(_OPEN - {SessionState.CHECKED_IN, SessionState.READY}, SessionState.TRANSFERRED),
    EventKind.CANCELLED: Transition(frozenset({SessionState.CHECKED_IN, SessionState.READY}), SessionState.CANCELLED),
    EventKind.AMENDMENT: Transition(_ANY),
}

# Pump events: each one changes the rate history, so their times must not go backwards.
PUMP_EVENTS = frozenset(
    {
        EventKind.STARTED,
        EventKind.RATE_CHANGED,
        EventKind.PAUSED,
        EventKind.RESUMED,
        EventKind.STOPPED,
        EventKind.COMPLETED,
    }
)
# What an amendment may correct: charted facts and the pump's recorded rates/times, never a state change's kind.
AMENDABLE = frozenset(
    {
        EventKind.VITALS,
        EventKind.SIDE_EFFECT,
        EventKind.INTERVENTION,
        EventKind.RECOVERY_SCORE,
        EventKind.NOTE,
        EventKind.ESCORT_CONFIRMED,
        EventKind.STARTED,
        EventKind.RATE_CHANGED,
        EventKind.RESUMED,
        EventKind.PAUSED,
        EventKind.STOPPED,
    }
)


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One entry of the log: ``at_utc`` is when it happened, ``recorded_at_utc`` when it was charted."""

    seq: int
    kind: EventKind
    at_utc: datetime
    recorded_at_utc: datetime
    recorded_by: str
    recorded_by_role: str
    data: Mapping[str, JsonValue]

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "seq": self.seq,
            "kind": self.kind.value,
            "at_utc": self.at_utc.isoformat(),
            "recorded_at_utc": self.recorded_at_utc.isoformat(),
            "recorded_by": self.recorded_by,
            "recorded_by_role": self.recorded_by_role,
            "data": dict(self.data),
        }


class SessionConflict(Conflict):
    """The event is not allowed in the session's current state (or would make its log inconsistent)."""
