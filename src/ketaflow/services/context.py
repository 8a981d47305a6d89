"""Who is acting, and the audit helper every use case calls for patient data and security events."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from ketaflow.domain.access import Permission, Role, can
from ketaflow.domain.audit import ActionCode, AuditEntry, AuditOutcome
from ketaflow.domain.errors import AccessDenied
from ketaflow.services.ports import Clock, UnitOfWork


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in staff member on whose behalf a use case runs, and where they are."""

    user_id: UUID | None
    username: str
    role: Role | None
    source_address: str = ""

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """A command-line or background actor (clinic IT at the console)."""
        return cls(user_id=None, username=name, role=None, source_address="console")


def record_audit(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    action: str,
    code: ActionCode,
    *,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    patient_id: UUID | None = None,
    resource_type: str = "",
    resource_id: str = "",
    detail: str = "",
) -> None:
    """Append one audit event in the caller's transaction. ``detail`` must never hold patient data."""
    uow.audit.append(
        AuditEntry(
            action=action,
            action_code=code,
            outcome=outcome,
            actor_user_id=actor.user_id,
            actor_username=actor.username,
            actor_role=actor.role.value if actor.role else "system",
            patient_id=patient_id,
            resource_type=resource_type,
            resource_id=resource_id,
            source_address=actor.source_address,
            detail=detail,
        ),
        clock.now(),
    )


def require(actor: Actor, permission: Permission) -> None:
    """Refuse unless the actor's role holds the permission; the console (no role) is trusted IT."""
    if actor.role is not None and not can(actor.role, permission):
        raise AccessDenied(permission.value, actor.role.value)
