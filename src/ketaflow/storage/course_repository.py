"""SQL storage of treatment courses, their events and the synthetic-patient marks (all append-only)."""

from __future__ import annotations

from datetime import datetime
from typing import cast
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.errors import Conflict
from ketaflow.services.ports import CourseEvent, TreatmentCourse
from ketaflow.storage.tables import CourseEventRow, SyntheticPatientRow, TreatmentCourseRow


def _course(row: TreatmentCourseRow) -> TreatmentCourse:
    return TreatmentCourse(
        id=row.id,
        patient_id=row.patient_id,
        plan_id=row.plan_id,
        plan_version=row.plan_version,
        start_date=row.start_date,
        created_at_utc=row.created_at_utc,
        created_by=row.created_by,
        reason=row.reason,
    )


def _event(row: CourseEventRow) -> CourseEvent:
    return CourseEvent(
        id=row.id,
        course_id=row.course_id,
        kind=row.kind,
        data=cast(dict[str, JsonValue], row.data),
        at_utc=row.at_utc,
        recorded_by=row.recorded_by,
        once_key=row.once_key,
    )


class SqlCourseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_course(self, course: TreatmentCourse) -> None:
        self.session.add(
            TreatmentCourseRow(
                id=course.id,
                patient_id=course.patient_id,
                plan_id=course.plan_id,
                plan_version=course.plan_version,
                start_date=course.start_date,
                created_at_utc=course.created_at_utc,
                created_by=course.created_by,
                reason=course.reason,
            )
        )
        self.session.flush()

    def list_courses(self, patient_id: UUID) -> list[TreatmentCourse]:
        rows = self.session.scalars(
            select(TreatmentCourseRow)
            .where(TreatmentCourseRow.patient_id == patient_id)
            .order_by(TreatmentCourseRow.created_at_utc, TreatmentCourseRow.id)
        )
        return [_course(row) for row in rows]

    def list_current_courses(self) -> list[TreatmentCourse]:
        latest = (
            select(TreatmentCourseRow.patient_id, func.max(TreatmentCourseRow.created_at_utc).label("at"))
            .group_by(TreatmentCourseRow.patient_id)
            .subquery()
        )
        rows = self.session.scalars(
            select(TreatmentCourseRow)
            .join(
                latest,
                (latest.c.patient_id == TreatmentCourseRow.patient_id)
                & (latest.c.at == TreatmentCourseRow.created_at_utc),
            )
            .order_by(TreatmentCourseRow.patient_id, TreatmentCourseRow.id)
        )
        current: dict[UUID, TreatmentCourse] = {}
        for row in rows:  # two courses started in the same instant: the higher id wins, as in list_courses
            current[row.patient_id] = _course(row)
        return list(current.values())

    def add_event(self, event: CourseEvent) -> None:
        self.session.add(
            CourseEventRow(
                id=event.id,
                course_id=event.course_id,
                kind=event.kind,
                data=dict(event.data),
                at_utc=event.at_utc,
                recorded_by=event.recorded_by,
                once_key=event.once_key,
            )
        )
        try:
            self.session.flush()
        except IntegrityError as exc:
            # The unique once_key: another run recorded this event first (or at the same moment).
            raise Conflict(f"course event {event.once_key} was already recorded") from exc

    def list_events(self, course_id: UUID) -> list[CourseEvent]:
        rows = self.session.scalars(
            select(CourseEventRow)
            .where(CourseEventRow.course_id == course_id)
            .order_by(CourseEventRow.at_utc, CourseEventRow.id)
        )
        return [_event(row) for row in rows]

    def mark_synthetic(self, patient_id: UUID, generated_at_utc: datetime, generator_version: str, seed: int) -> None:
        self.session.add(
            SyntheticPatientRow(
                patient_id=patient_id,
                generated_at_utc=generated_at_utc,
                generator_version=generator_version,
                seed=seed,
            )
        )
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"patient {patient_id} is already marked synthetic") from exc

    def synthetic_patient_ids(self) -> set[UUID]:
        return set(self.session.scalars(select(SyntheticPatientRow.patient_id)))
