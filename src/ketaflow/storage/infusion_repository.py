"""SQL storage of infusion sessions and their append-only event logs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast
from uuid import UUID, uuid4

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.errors import StaleWrite
from ketaflow.domain.sessions import TERMINAL_STATES, TRANSITIONS, EventKind, SessionEvent, SessionHeader
from ketaflow.services.ports import SessionIndex
from ketaflow.storage.tables import InfusionEventRow, InfusionSessionRow

# The event kinds that close a session (discharge, transfer, cancellation), read from the transition table.
_CLOSING_KINDS = tuple(kind.value for kind, t in TRANSITIONS.items() if t.leads_to in TERMINAL_STATES)


class SqlInfusionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_session(self, header: SessionHeader, checked_in_at_utc: datetime, checked_in_by: str) -> None:
        self.session.add(
            InfusionSessionRow(
                id=header.session_id,
                patient_id=header.patient_id,
                order_id=header.order_id,
                chair=header.chair,
                checked_in_at_utc=checked_in_at_utc,
                checked_in_by=checked_in_by,
            )
        )
        self.session.flush()

    def append_events(self, session_id: UUID, events: Sequence[SessionEvent]) -> None:
        for event in events:
            self.session.add(
                InfusionEventRow(
                    id=uuid4(),
                    session_id=session_id,
                    seq=event.seq,
                    kind=event.kind.value,
                    at_utc=event.at_utc,
                    recorded_at_utc=event.recorded_at_utc,
                    recorded_by=event.recorded_by,
                    recorded_by_role=event.recorded_by_role,
                    data=dict(event.data),
                )
            )
        try:
            self.session.flush()
        except IntegrityError as exc:
            # Another writer took this sequence number first: the caller's view of the chart is stale.
            self.session.rollback()
            current = self.session.scalar(
                select(func.max(InfusionEventRow.seq)).where(InfusionEventRow.session_id == session_id)
            )
            expected = events[0].seq - 1 if events else 0
            raise StaleWrite("The session chart", expected, int(current or 0)) from exc

    def load_events(self, session_id: UUID) -> list[SessionEvent]:
        rows = self.session.scalars(
            select(InfusionEventRow).where(InfusionEventRow.session_id == session_id).order_by(InfusionEventRow.seq)
        )
        return [
            SessionEvent(
                seq=r.seq,
                kind=EventKind(r.kind),
                at_utc=r.at_utc,
                recorded_at_utc=r.recorded_at_utc,
                recorded_by=r.recorded_by,
                recorded_by_role=r.recorded_by_role,
                data=cast(dict[str, JsonValue], r.data),
            )
            for r in rows
        ]

    def list_open_sessions(self) -> list[SessionIndex]:
        closed = exists().where(
            InfusionEventRow.session_id == InfusionSessionRow.id, InfusionEventRow.kind.in_(_CLOSING_KINDS)
        )
        rows = self.session.scalars(
            select(InfusionSessionRow).where(~closed).order_by(InfusionSessionRow.checked_in_at_utc)
        )
        return [_index(r) for r in rows]

    def list_patient_sessions(self, patient_id: UUID) -> list[SessionIndex]:
        rows = self.session.scalars(
            select(InfusionSessionRow)
            .where(InfusionSessionRow.patient_id == patient_id)
            .order_by(InfusionSessionRow.checked_in_at_utc)
        )
        return [_index(r) for r in rows]

    def list_patient_ids_with_sessions(self) -> list[UUID]:
        first = func.min(InfusionSessionRow.checked_in_at_utc)
        rows = self.session.execute(
            select(InfusionSessionRow.patient_id).group_by(InfusionSessionRow.patient_id).order_by(first)
        )
        return [row[0] for row in rows]


def _index(row: InfusionSessionRow) -> SessionIndex:
    return SessionIndex(row.id, row.patient_id, row.order_id, row.chair, row.checked_in_at_utc)
