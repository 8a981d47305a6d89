"""The infusion session: an append-only event log, its state machine and the delivered dose."""

from ketaflow.domain.sessions.dose import PumpHistory, RateSegment, mg_per_h_of
from ketaflow.domain.sessions.events import (
    AMENDABLE,
    PUMP_EVENTS,
    TERMINAL_STATES,
    TRANSITIONS,
    EventKind,
    SessionConflict,
    SessionEvent,
    SessionState,
    Transition,
)
from ketaflow.domain.sessions.header import Author, SessionHeader
from ketaflow.domain.sessions.replay import Alert, Amendment, ChartedReading
from ketaflow.domain.sessions.session import BASELINE_SIGNS, InfusionSession

__all__ = [
    "AMENDABLE",
    "BASELINE_SIGNS",
    "PUMP_EVENTS",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "Alert",
    "Amendment",
    "Author",
    "ChartedReading",
    "EventKind",
    "InfusionSession",
    "PumpHistory",
    "RateSegment",
    "SessionConflict",
    "SessionEvent",
    "SessionHeader",
    "SessionState",
    "Transition",
    "mg_per_h_of",
]
