"""The unit of work: one transaction, rolled back unless commit() was called."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from ketaflow.storage.change_feed import CHANNEL, LocalChangeFeed
from ketaflow.storage.course_repository import SqlCourseRepository
from ketaflow.storage.infusion_repository import SqlInfusionRepository
from ketaflow.storage.order_repository import SqlOrderRepository
from ketaflow.storage.questionnaire_repository import SqlQuestionnaireRepository
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
    infusions: SqlInfusionRepository
    questionnaires: SqlQuestionnaireRepository
    courses: SqlCourseRepository

    def __init__(self, factory: sessionmaker[Session], feed: LocalChangeFeed | None = None) -> None:
        self._factory = factory
        self._feed = feed
        self._topics: set[str] = set()

    def __enter__(self) -> Self:
        self.session = self._factory()
        self.users = SqlUserRepository(self.session)
        self.sessions = SqlWebSessionRepository(self.session)
        self.patients = SqlPatientRepository(self.session)
        self.audit = SqlAuditLog(self.session)
        self.screenings = SqlScreeningRepository(self.session)
        self.orders = SqlOrderRepository(self.session)
        self.infusions = SqlInfusionRepository(self.session)
        self.questionnaires = SqlQuestionnaireRepository(self.session)
        self.courses = SqlCourseRepository(self.session)
        self._topics = set()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.session.rollback()
        self.session.close()

    def publish(self, topic: str) -> None:
        self._topics.add(topic)

    def commit(self) -> None:
        postgres = self.session.get_bind().dialect.name == "postgresql"
        if postgres:  # NOTIFY is transactional: listeners hear it at commit, never after a rollback
            for topic in sorted(self._topics):
                self.session.execute(text("SELECT pg_notify(:channel, :topic)"), {"channel": CHANNEL, "topic": topic})
        self.session.commit()
        if self._topics and not postgres and self._feed is not None:
            self._feed.publish_local()
        self._topics.clear()


def sql_unit_of_work_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
