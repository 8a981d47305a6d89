"""SQL storage of answered questionnaires, one-time patient links and their single use (all append-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaflow.domain.basis import Effect, Finding, JsonValue, RuleRef
from ketaflow.domain.errors import Conflict
from ketaflow.domain.questionnaires import QuestionnaireLink, ScaleResponse
from ketaflow.domain.scales import Answer, Respondent
from ketaflow.storage.tables import QuestionnaireLinkRow, QuestionnaireLinkUseRow, ScaleResponseRow


def _finding(data: dict[str, Any]) -> Finding:
    """A stored flag (Finding.to_json()) read back."""
    return Finding(
        rule_id=str(data["rule_id"]),
        effect=Effect(data["effect"]),
        message=str(data["message"]),
        source=str(data["source"]),
        inputs=cast(dict[str, JsonValue], data.get("inputs", {})),
    )


def _response(row: ScaleResponseRow) -> ScaleResponse:
    return ScaleResponse(
        id=row.id,
        patient_id=row.patient_id,
        instrument=row.instrument,
        rules=RuleRef(row.ruleset_id, row.ruleset_version),
        items=cast(dict[str, Answer | None], row.items),
        total=row.total,
        band=row.band,
        flags=tuple(_finding(flag) for flag in row.flags),
        respondent=Respondent(row.respondent),
        answered_at_utc=row.answered_at_utc,
        recorded_by=row.recorded_by,
        link_id=row.link_id,
        session_id=row.session_id,
    )


def _link(row: QuestionnaireLinkRow, used_at_utc: datetime | None) -> QuestionnaireLink:
    return QuestionnaireLink(
        id=row.id,
        patient_id=row.patient_id,
        instruments=tuple(str(i) for i in row.instruments),
        token_sha256=row.token_sha256,
        created_at_utc=row.created_at_utc,
        created_by=row.created_by,
        expires_at_utc=row.expires_at_utc,
        used_at_utc=used_at_utc,
    )


class SqlQuestionnaireRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_response(self, response: ScaleResponse) -> None:
        self.session.add(
            ScaleResponseRow(
                id=response.id,
                patient_id=response.patient_id,
                instrument=response.instrument,
                ruleset_id=response.rules.id,
                ruleset_version=response.rules.version,
                items=dict(response.items),
                total=response.total,
                band=response.band,
                flags=[flag.to_json() for flag in response.flags],
                respondent=response.respondent.value,
                answered_at_utc=response.answered_at_utc,
                recorded_by=response.recorded_by,
                link_id=response.link_id,
                session_id=response.session_id,
            )
        )
        self.session.flush()

    def list_responses(self, patient_id: UUID) -> list[ScaleResponse]:
        rows = self.session.scalars(
            select(ScaleResponseRow)
            .where(ScaleResponseRow.patient_id == patient_id)
            .order_by(ScaleResponseRow.answered_at_utc, ScaleResponseRow.id)
        )
        return [_response(row) for row in rows]

    def add_link(self, link: QuestionnaireLink) -> None:
        self.session.add(
            QuestionnaireLinkRow(
                id=link.id,
                patient_id=link.patient_id,
                instruments=list(link.instruments),
                token_sha256=link.token_sha256,
                created_at_utc=link.created_at_utc,
                created_by=link.created_by,
                expires_at_utc=link.expires_at_utc,
            )
        )
        self.session.flush()

    def _links(self, *where: Any) -> list[QuestionnaireLink]:
        rows = self.session.execute(
            select(QuestionnaireLinkRow, QuestionnaireLinkUseRow.used_at_utc)
            .outerjoin(QuestionnaireLinkUseRow, QuestionnaireLinkUseRow.link_id == QuestionnaireLinkRow.id)
            .where(*where)
            .order_by(QuestionnaireLinkRow.created_at_utc.desc())
        )
        return [_link(row, used_at) for row, used_at in rows]

    def get_link_by_token(self, token_sha256: str) -> QuestionnaireLink | None:
        found = self._links(QuestionnaireLinkRow.token_sha256 == token_sha256)
        return found[0] if found else None

    def list_links(self, patient_id: UUID) -> list[QuestionnaireLink]:
        return self._links(QuestionnaireLinkRow.patient_id == patient_id)

    def add_link_use(self, link_id: UUID, used_at_utc: datetime) -> None:
        self.session.add(QuestionnaireLinkUseRow(id=uuid4(), link_id=link_id, used_at_utc=used_at_utc))
        try:
            self.session.flush()
        except IntegrityError as exc:
            # The unique link_id: another submission used this link first (or at the same moment).
            raise Conflict("This link has already been used.") from exc
