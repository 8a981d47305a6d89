"""The ports services depend on; storage and interop implement them, tests pass fakes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol, Self
from uuid import UUID

from ketaflow.domain.audit import AuditEntry, AuditEvent
from ketaflow.domain.basis import JsonValue
from ketaflow.domain.dosing.orders import DoseOrder, OrderSignature
from ketaflow.domain.patients import BodyMeasurement, PatientVersion
from ketaflow.domain.questionnaires import QuestionnaireLink, ScaleResponse
from ketaflow.domain.screening.records import Consent, GateCheck, ScreeningRecord, ScreeningReview
from ketaflow.domain.sessions import SessionEvent, SessionHeader
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


class ScreeningRepository(Protocol):
    def add_screening(self, record: ScreeningRecord) -> None: ...
    def get_screening(self, screening_id: UUID) -> ScreeningRecord | None: ...
    def list_screenings(self, patient_id: UUID) -> list[ScreeningRecord]: ...
    def add_review(self, review: ScreeningReview) -> None:
        """Raises Conflict if the screening already has a review."""
        ...

    def review_for(self, screening_id: UUID) -> ScreeningReview | None: ...
    def add_consent(self, consent: Consent) -> None: ...
    def withdraw_consent(self, consent_id: UUID, reason: str, at_utc: datetime, by: str) -> None: ...
    def list_consents(self, patient_id: UUID) -> list[Consent]: ...
    def add_gate_check(self, check: GateCheck) -> None: ...
    def list_gate_checks(self, patient_id: UUID) -> list[GateCheck]: ...


@dataclass(frozen=True, slots=True)
class ProtocolRevision:
    """A protocol version added by the clinic's medical director (the shipped versions live in rules/)."""

    protocol_id: str
    version: str
    document: dict[str, JsonValue]
    reason: str
    recorded_at_utc: datetime
    recorded_by: str


class OrderRepository(Protocol):
    def add_protocol_revision(self, revision: ProtocolRevision) -> None:
        """Raises Conflict if that protocol already has that version."""
        ...

    def list_protocol_revisions(self) -> list[ProtocolRevision]: ...
    def add_order(self, order: DoseOrder) -> None: ...
    def add_signature(self, order_id: UUID, signature: OrderSignature) -> None:
        """Raises Conflict if the order is already signed."""
        ...

    def get_order(self, order_id: UUID) -> DoseOrder | None: ...
    def list_orders(self, patient_id: UUID) -> list[DoseOrder]: ...


@dataclass(frozen=True, slots=True)
class SessionIndex:
    """A session's row in the index table: enough to find it without replaying its log."""

    session_id: UUID
    patient_id: UUID
    order_id: UUID
    chair: str
    checked_in_at_utc: datetime


class InfusionRepository(Protocol):
    def add_session(self, header: SessionHeader, checked_in_at_utc: datetime, checked_in_by: str) -> None: ...
    def append_events(self, session_id: UUID, events: Sequence[SessionEvent]) -> None:
        """Raises StaleWrite if another writer already appended an event with one of these numbers."""
        ...

    def load_events(self, session_id: UUID) -> list[SessionEvent]: ...
    def list_open_sessions(self) -> list[SessionIndex]:
        """Sessions not yet discharged, transferred or cancelled, oldest check-in first."""
        ...

    def list_patient_sessions(self, patient_id: UUID) -> list[SessionIndex]: ...
    def list_patient_ids_with_sessions(self) -> list[UUID]:
        """Every patient ever checked in, in order of their first check-in."""
        ...


class QuestionnaireRepository(Protocol):
    def add_response(self, response: ScaleResponse) -> None: ...
    def list_responses(self, patient_id: UUID) -> list[ScaleResponse]:
        """The patient's answered questionnaires, oldest first."""
        ...

    def add_link(self, link: QuestionnaireLink) -> None: ...
    def get_link_by_token(self, token_sha256: str) -> QuestionnaireLink | None:
        """The link with this token digest, with ``used_at_utc`` set if it has been used."""
        ...

    def list_links(self, patient_id: UUID) -> list[QuestionnaireLink]:
        """The patient's links, newest first."""
        ...

    def add_link_use(self, link_id: UUID, used_at_utc: datetime) -> None:
        """Raises Conflict if the link has already been used (also when two uses race)."""
        ...


@dataclass(frozen=True, slots=True)
class TreatmentCourse:
    """A course started for a patient under a course plan (rules/courses/<plan_id>.json at plan_version)."""

    id: UUID
    patient_id: UUID
    plan_id: str
    plan_version: str
    start_date: date
    created_at_utc: datetime
    created_by: str
    reason: str


@dataclass(frozen=True, slots=True)
class CourseEvent:
    """What happened to a course: ended, booster_decision, safety_answer, safety_review or reminder_sent."""

    id: UUID
    course_id: UUID
    kind: str
    data: dict[str, JsonValue]
    at_utc: datetime
    recorded_by: str
    # Set for events that may happen only once (a reminder per course, day and instrument).
    once_key: str | None = None


class CourseRepository(Protocol):
    def add_course(self, course: TreatmentCourse) -> None: ...
    def list_courses(self, patient_id: UUID) -> list[TreatmentCourse]:
        """The patient's courses, oldest first; the last one is the current course."""
        ...

    def add_event(self, event: CourseEvent) -> None:
        """Raises Conflict if an event with the same ``once_key`` exists (also when two writers race)."""
        ...

    def list_events(self, course_id: UUID) -> list[CourseEvent]:
        """The course's events, oldest first."""
        ...

    def list_current_courses(self) -> list[TreatmentCourse]:
        """Every patient's current (latest) course, ended or not."""
        ...

    def mark_synthetic(self, patient_id: UUID, generated_at_utc: datetime, generator_version: str, seed: int) -> None:
        """Mark a patient as generated demo data (never a real person); raises Conflict if already marked."""
        ...

    def synthetic_patient_ids(self) -> set[UUID]: ...


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
    @property
    def screenings(self) -> ScreeningRepository: ...
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def infusions(self) -> InfusionRepository: ...
    @property
    def questionnaires(self) -> QuestionnaireRepository: ...
    @property
    def courses(self) -> CourseRepository: ...

    def publish(self, topic: str) -> None:
        """Announce a change on ``topic`` once this transaction commits (never if it rolls back)."""
        ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class ChangeFeed(Protocol):
    """Change announcements across the app's processes (live board); counters only, never patient data."""

    def current(self) -> int:
        """The number of changes seen so far."""
        ...

    def wait_for_change(self, seen: int, timeout_s: float) -> int:
        """Block until a change after ``seen`` (or the timeout); returns the new count."""
        ...


class MessageSender(Protocol):
    """Delivers a message to a patient's e-mail address or phone; returns the delivery id."""

    name: str

    def send(self, to: str, subject: str, body: str) -> str: ...


class CodeSystem(Protocol):
    """A terminology that can say whether a code exists (ICD-10-CM for conditions)."""

    name: str

    def exists(self, code: str) -> bool: ...
    def describe(self, code: str) -> str: ...
    def search(self, text: str, limit: int = 20) -> list[Any]:
        """Codes matching the words of ``text``: objects with ``.code`` and ``.description``."""
        ...
