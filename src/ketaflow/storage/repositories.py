"""SQL implementations of the repository ports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import Select, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaflow.domain.audit import GENESIS_HASH, AuditEntry, AuditEvent, chain_event
from ketaflow.domain.errors import Conflict
from ketaflow.domain.patients import BodyMeasurement, PatientVersion
from ketaflow.domain.users import UserAccount, WebSession
from ketaflow.services.ports import AuditQuery, PatientQuery
from ketaflow.storage import mapping
from ketaflow.storage.tables import (
    AuditEventRow,
    BodyMeasurementRow,
    PatientRow,
    PatientVersionRow,
    UserRow,
    WebSessionRow,
)

# Any fixed 64-bit key: serialises audit appends across PostgreSQL connections
# (on SQLite, BEGIN IMMEDIATE already does).
AUDIT_CHAIN_LOCK_KEY = 7_316_402_118


class SqlUserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, user: UserAccount) -> None:
        self.session.add(mapping.user_to_row(user))
        self.session.flush()

    def save(self, user: UserAccount) -> None:
        row = self.session.get(UserRow, user.id)
        if row is None:
            raise Conflict(f"user {user.id} does not exist")
        mapping.user_to_row(user, row)
        self.session.flush()

    def get(self, user_id: UUID) -> UserAccount | None:
        row = self.session.get(UserRow, user_id)
        return mapping.user_from_row(row) if row else None

    def get_by_username(self, username: str) -> UserAccount | None:
        row = self.session.scalars(select(UserRow).where(UserRow.username == username)).first()
        return mapping.user_from_row(row) if row else None

    def list_all(self) -> list[UserAccount]:
        return [mapping.user_from_row(r) for r in self.session.scalars(select(UserRow).order_by(UserRow.username))]


class SqlWebSessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, web_session: WebSession) -> None:
        self.session.add(mapping.session_to_row(web_session))
        self.session.flush()

    def save(self, web_session: WebSession) -> None:
        row = self.session.get(WebSessionRow, web_session.id)
        if row is None:
            raise Conflict("session does not exist")
        mapping.session_to_row(web_session, row)
        self.session.flush()

    def get_by_token(self, token_sha256: str) -> WebSession | None:
        row = self.session.scalars(select(WebSessionRow).where(WebSessionRow.token_sha256 == token_sha256)).first()
        return mapping.session_from_row(row) if row else None

    def end_all_for_user(self, user_id: UUID, at_utc: datetime, reason: str) -> int:
        result = self.session.execute(
            update(WebSessionRow)
            .where(WebSessionRow.user_id == user_id, WebSessionRow.ended_at_utc.is_(None))
            .values(ended_at_utc=at_utc, end_reason=reason[:64])
        )
        return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE has rowcount


class SqlPatientRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_version(self, version: PatientVersion) -> None:
        if version.version == 1:
            self.session.add(
                PatientRow(
                    id=version.patient_id,
                    mrn=version.mrn,
                    registered_at_utc=version.recorded_at_utc,
                    registered_by=version.recorded_by,
                )
            )
            self.session.flush()
        self.session.add(mapping.version_to_row(version))
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict("the patient record was changed at the same time; reload and try again") from exc

    def mrn_exists(self, mrn: str) -> bool:
        return self.session.scalars(select(PatientRow.id).where(PatientRow.mrn == mrn)).first() is not None

    def _current_versions(self) -> Select[PatientVersionRow, str]:
        latest = (
            select(PatientVersionRow.patient_id, func.max(PatientVersionRow.version).label("version"))
            .group_by(PatientVersionRow.patient_id)
            .subquery()
        )
        return (
            select(PatientVersionRow, PatientRow.mrn)
            .join(
                latest,
                (PatientVersionRow.patient_id == latest.c.patient_id) & (PatientVersionRow.version == latest.c.version),
            )
            .join(PatientRow, PatientRow.id == PatientVersionRow.patient_id)
        )

    def latest(self, patient_id: UUID) -> PatientVersion | None:
        found = self.session.execute(self._current_versions().where(PatientVersionRow.patient_id == patient_id)).first()
        return mapping.version_from_row(found[0], found[1]) if found else None

    def history(self, patient_id: UUID) -> list[PatientVersion]:
        mrn = self.session.scalars(select(PatientRow.mrn).where(PatientRow.id == patient_id)).first()
        if mrn is None:
            return []
        rows = self.session.scalars(
            select(PatientVersionRow)
            .where(PatientVersionRow.patient_id == patient_id)
            .order_by(PatientVersionRow.version)
        )
        return [mapping.version_from_row(r, mrn) for r in rows]

    def search(self, query: PatientQuery) -> list[PatientVersion]:
        stmt = self._current_versions()
        for word in query.text.lower().split():
            # Bound parameters only; LIKE wildcards in the input are escaped.
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(
                or_(
                    func.lower(PatientRow.mrn).like(pattern, escape="\\"),
                    func.lower(PatientVersionRow.family_name).like(pattern, escape="\\"),
                    func.lower(PatientVersionRow.given_names).like(pattern, escape="\\"),
                )
            )
        if query.date_of_birth is not None:
            stmt = stmt.where(PatientVersionRow.date_of_birth == query.date_of_birth)
        stmt = stmt.order_by(PatientVersionRow.family_name, PatientVersionRow.given_names).limit(query.limit)
        return [mapping.version_from_row(r[0], r[1]) for r in self.session.execute(stmt)]

    def add_measurement(self, measurement: BodyMeasurement) -> None:
        self.session.add(mapping.measurement_to_row(measurement))
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict("that measurement was corrected at the same time; reload and try again") from exc

    def measurements(self, patient_id: UUID) -> list[BodyMeasurement]:
        rows = self.session.scalars(
            select(BodyMeasurementRow)
            .where(BodyMeasurementRow.patient_id == patient_id)
            .order_by(BodyMeasurementRow.measured_on, BodyMeasurementRow.recorded_at_utc)
        )
        return [mapping.measurement_from_row(r) for r in rows]


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, entry: AuditEntry, at_utc: datetime) -> AuditEvent:
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK_KEY})
        head = self.session.execute(
            select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
        ).first()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        event = chain_event(entry, seq=seq, at_utc=at_utc.astimezone(UTC), prev_hash=prev_hash)
        self.session.add(mapping.audit_to_row(event))
        self.session.flush()
        return event

    def _filtered(self, query: AuditQuery) -> Select[AuditEventRow]:
        stmt = select(AuditEventRow)
        if query.actor_username:
            stmt = stmt.where(AuditEventRow.actor_username == query.actor_username)
        if query.patient_id:
            stmt = stmt.where(AuditEventRow.patient_id == query.patient_id)
        if query.action:
            stmt = stmt.where(AuditEventRow.action.startswith(query.action, autoescape=True))
        if query.outcome:
            stmt = stmt.where(AuditEventRow.outcome == query.outcome)
        if query.since_utc:
            stmt = stmt.where(AuditEventRow.at_utc >= query.since_utc)
        if query.until_utc:
            stmt = stmt.where(AuditEventRow.at_utc < query.until_utc)
        return stmt

    def query(self, query: AuditQuery) -> list[AuditEvent]:
        order = AuditEventRow.seq.desc() if query.newest_first else AuditEventRow.seq.asc()
        stmt = self._filtered(query).order_by(order).limit(query.limit).offset(query.offset)
        return [mapping.audit_from_row(r) for r in self.session.scalars(stmt)]

    def count(self, query: AuditQuery) -> int:
        return int(self.session.scalar(select(func.count()).select_from(self._filtered(query).subquery())) or 0)

    def iter_chain(self) -> Iterator[AuditEvent]:
        last_seq = 0
        while True:
            rows = list(
                self.session.scalars(
                    select(AuditEventRow).where(AuditEventRow.seq > last_seq).order_by(AuditEventRow.seq).limit(2000)
                )
            )
            if not rows:
                return
            for row in rows:
                yield mapping.audit_from_row(row)
            last_seq = rows[-1].seq
            self.session.expunge_all()
