"""SQL storage of protocol revisions, dose orders and their signatures (all append-only)."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaflow.domain.basis import Decision, JsonValue, RuleRef
from ketaflow.domain.dosing.orders import DoseOrder, OrderSignature
from ketaflow.domain.errors import Conflict
from ketaflow.services.ports import ProtocolRevision
from ketaflow.storage.tables import DoseOrderRow, OrderSignatureRow, ProtocolRevisionRow


def _json(value: dict[str, Any]) -> dict[str, JsonValue]:
    return cast(dict[str, JsonValue], value)  # stored JSON read back is JSON


class SqlOrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_protocol_revision(self, revision: ProtocolRevision) -> None:
        self.session.add(
            ProtocolRevisionRow(
                id=uuid4(),
                protocol_id=revision.protocol_id,
                version=revision.version,
                document=revision.document,
                reason=revision.reason,
                recorded_at_utc=revision.recorded_at_utc,
                recorded_by=revision.recorded_by,
            )
        )
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"protocol {revision.protocol_id} already has a version {revision.version}") from exc

    def list_protocol_revisions(self) -> list[ProtocolRevision]:
        rows = self.session.scalars(select(ProtocolRevisionRow).order_by(ProtocolRevisionRow.recorded_at_utc))
        return [
            ProtocolRevision(r.protocol_id, r.version, _json(r.document), r.reason, r.recorded_at_utc, r.recorded_by)
            for r in rows
        ]

    def add_order(self, order: DoseOrder) -> None:
        self.session.add(
            DoseOrderRow(
                id=order.id,
                patient_id=order.patient_id,
                protocol_id=order.protocol.id,
                protocol_version=order.protocol.version,
                inputs=order.inputs,
                plan=order.plan,
                decision=order.decision.value,
                acknowledgement=order.acknowledgement,
                created_at_utc=order.created_at_utc,
                created_by=order.created_by,
            )
        )
        self.session.flush()

    def add_signature(self, order_id: UUID, signature: OrderSignature) -> None:
        self.session.add(
            OrderSignatureRow(
                id=uuid4(),
                order_id=order_id,
                sha256=signature.sha256,
                signed_at_utc=signature.signed_at_utc,
                signed_by=signature.signed_by,
            )
        )
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict("the order has already been signed") from exc

    def _orders(self, *where: Any) -> list[DoseOrder]:
        rows = self.session.execute(
            select(DoseOrderRow, OrderSignatureRow)
            .outerjoin(OrderSignatureRow, OrderSignatureRow.order_id == DoseOrderRow.id)
            .where(*where)
            .order_by(DoseOrderRow.created_at_utc.desc())
        )
        return [
            DoseOrder(
                id=o.id,
                patient_id=o.patient_id,
                protocol=RuleRef(o.protocol_id, o.protocol_version),
                inputs=_json(o.inputs),
                plan=_json(o.plan),
                decision=Decision(o.decision),
                acknowledgement=o.acknowledgement,
                created_at_utc=o.created_at_utc,
                created_by=o.created_by,
                signature=OrderSignature(s.sha256, s.signed_at_utc, s.signed_by) if s else None,
            )
            for o, s in rows
        ]

    def get_order(self, order_id: UUID) -> DoseOrder | None:
        found = self._orders(DoseOrderRow.id == order_id)
        return found[0] if found else None

    def list_orders(self, patient_id: UUID) -> list[DoseOrder]:
        return self._orders(DoseOrderRow.patient_id == patient_id)
