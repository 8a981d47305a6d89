"""The unit of work: one transaction, rolled back unless commit() was called."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ketaflow.storage.order_repository import SqlOrderRepository
from ketaflow.storage.repositories import (
    SqlAuditLog,
    SqlPatientRepository,
    SqlUserRepository,
    SqlWebSessionRepository,
)
from ketaflow.storage.screening_repository import SqlScreeningRepository


class SqlUnitOfWork:
    session: Session
    users: SqlUserRepository
    sessions: SqlWebSessionRepository
    patients: SqlPatientRepository
    audit: SqlAuditLog
    screenings: SqlScreeningRepository
    orders: SqlOrderRepository

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory

    def __enter__(self) -> Self:
        self.session = self._factory()
        self.users = SqlUserRepository(self.session)
        self.sessions = SqlWebSessionRepository(self.session)
        self.patients = SqlPatientRepository(self.session)
        self.audit = SqlAuditLog(self.session)
        self.screenings = SqlScreeningRepository(self.session)
        self.orders = SqlOrderRepository(self.session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()


def sql_unit_of_work_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
