"""The ports services depend on; storage and interop implement them, tests pass fakes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from ketaflow.domain.audit import AuditEntry, AuditEvent
from ketaflow.domain.patients import BodyMeasurement, PatientVersion
from ketaflow.domain.users import UserAccount, WebSession


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class UserRepository(Protocol):
    def add(self, user: UserAccount) -> None: ...
    def save(self, user: UserAccount) -> None: ...
    def get(self, user_id: UUID) -> UserAccount | None: ...
    def get_by_username(self, username: str) -> UserAccount | None: ...
    def list_all(self) -> list[UserAccount]: ...


class WebSessionRepository(Protocol):
    def add(self, session: WebSession) -> None: ...
    def save(self, session: WebSession) -> None: ...
    def get_by_token(self, token_sha256: str) -> WebSession | None: ...
    def end_all_for_user(self, user_id: UUID, at_utc: datetime, reason: str) -> int: ...


@dataclass(frozen=True, slots=True)
class PatientQuery:
    text: str = ""
    date_of_birth: date | None = None
    limit: int = 50


class PatientRepository(Protocol):
    def add_version(self, version: PatientVersion) -> None:
        """Append a version; raises Conflict if that version number exists (a concurrent amendment)."""
        ...

    def mrn_exists(self, mrn: str) -> bool: ...
    def latest(self, patient_id: UUID) -> PatientVersion | None: ...
    def history(self, patient_id: UUID) -> list[PatientVersion]: ...
    def search(self, query: PatientQuery) -> list[PatientVersion]: ...
    def add_measurement(self, measurement: BodyMeasurement) -> None: ...
    def measurements(self, patient_id: UUID) -> list[BodyMeasurement]: ...


@dataclass(frozen=True, slots=True)
class AuditQuery:
    actor_username: str = ""
    patient_id: UUID | None = None
    action: str = ""
    outcome: str = ""
    since_utc: datetime | None = None
    until_utc: datetime | None = None
    newest_first: bool = True
    limit: int = 200
    offset: int = 0


class AuditLog(Protocol):
    def append(self, entry: AuditEntry, at_utc: datetime) -> AuditEvent:
        """Place the entry at the head of the hash chain, inside the caller's transaction."""
        ...

    def query(self, query: AuditQuery) -> list[AuditEvent]: ...
    def count(self, query: AuditQuery) -> int: ...
    def iter_chain(self) -> Iterator[AuditEvent]:
        """Every event in sequence order, streamed."""
        ...


class UnitOfWork(Protocol):
    """One transaction: everything done through it is committed whole by ``commit()`` or not at all."""

    @property
    def users(self) -> UserRepository: ...
    @property
    def sessions(self) -> WebSessionRepository: ...
    @property
    def patients(self) -> PatientRepository: ...
    @property
    def audit(self) -> AuditLog: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class CodeSystem(Protocol):
    """A terminology that can say whether a code exists (ICD-10-CM for conditions)."""

    name: str

    def exists(self, code: str) -> bool: ...
    def describe(self, code: str) -> str: ...
