"""Reading, exporting and verifying the audit trail (each of which is itself audited)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ketaflow.domain.access import Permission
from ketaflow.domain.audit import ActionCode, AuditEvent, ChainAnchor, ChainReport, verify_chain
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, record_audit, require
from ketaflow.services.ports import AuditQuery

EXPORT_COLUMNS = (
    "seq",
    "at_utc",
    "actor_username",
    "actor_role",
    "action",
    "action_code",
    "outcome",
    "patient_id",
    "resource_type",
    "resource_id",
    "source_address",
    "detail",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    query: AuditQuery


def list_audit_events(svc: AppServices, actor: Actor, query: AuditQuery) -> AuditPage:
    require(actor, Permission.AUDIT_READ)
    with svc.uow_factory() as uow:
        page = AuditPage(uow.audit.query(query), uow.audit.count(query), query)
        record_audit(
            uow,
            svc.clock,
            actor,
            "audit.read",
            ActionCode.READ,
            patient_id=query.patient_id,
            resource_type="AuditEvent",
            detail=f"{page.total} match(es)",
        )
        uow.commit()
    return page


def _row(event: AuditEvent) -> list[str]:
    e = event.entry
    return [
        str(event.seq),
        event.at_utc.isoformat(),
        e.actor_username,
        e.actor_role,
        e.action,
        e.action_code.value,
        e.outcome.value,
        str(e.patient_id or ""),
        e.resource_type,
        e.resource_id,
        e.source_address,
        e.detail,
        event.prev_hash,
        event.hash,
    ]


def export_audit_csv(svc: AppServices, actor: Actor, query: AuditQuery) -> str:
    """The matching events as CSV (an export: itself recorded in the trail)."""
    require(actor, Permission.AUDIT_EXPORT)
    with svc.uow_factory() as uow:
        events = uow.audit.query(query)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(_row(e) for e in events)
        record_audit(
            uow,
            svc.clock,
            actor,
            "audit.export",
            ActionCode.EXECUTE,
            patient_id=query.patient_id,
            resource_type="AuditEvent",
            detail=f"{len(events)} event(s) as CSV",
        )
        uow.commit()
    return out.getvalue()


def verify_audit_trail(
    svc: AppServices,
    actor: Actor,
    *,
    anchor: ChainAnchor | None = None,
    progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """Recompute the whole hash chain and report every altered, removed or inserted event."""
    require(actor, Permission.AUDIT_READ)
    with svc.uow_factory() as uow:

        def counted() -> Iterator[AuditEvent]:
            for i, event in enumerate(uow.audit.iter_chain(), start=1):
                if progress is not None and i % 1000 == 0:
                    progress(i)
                yield event

        report = verify_chain(counted(), anchor=anchor)
    with svc.uow_factory() as uow:
        record_audit(
            uow,
            svc.clock,
            actor,
            "audit.verify",
            ActionCode.EXECUTE,
            detail=f"{report.events_checked} checked, {len(report.problems)} problem(s)",
        )
        uow.commit()
    return report
