"""Questionnaire records and one-time links as values: a link's life, what a stored response reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from ketaflow.domain.basis import Effect, Finding, RuleRef
from ketaflow.domain.errors import InputError
from ketaflow.domain.questionnaires import LinkState, QuestionnaireLink, ScaleResponse
from ketaflow.domain.scales import Respondent, ScaleResult

AT = datetime(2026, 11, 25, 14, tzinfo=UTC)
WEEK = timedelta(days=7)


def _link(valid_for: timedelta = timedelta(hours=72), instruments: tuple[str, ...] = ("phq9",)) -> QuestionnaireLink:
    return QuestionnaireLink.create(
        patient_id=uuid4(),
        instruments=instruments,
        token_sha256="0" * 64,
        created_at_utc=AT,
        created_by="nurse",
        valid_for=valid_for,
        max_valid_for=WEEK,
    )


@pytest.mark.parametrize(
    ("valid_for", "field"),
    [(timedelta(0), "valid_for_hours"), (WEEK + timedelta(seconds=1), "valid_for_hours")],
    ids=["zero", "a-second-over-a-week"],
)
def test_a_link_must_be_valid_for_more_than_zero_and_at_most_the_maximum(valid_for: timedelta, field: str) -> None:
    with pytest.raises(InputError) as refused:
        _link(valid_for)

    assert refused.value.field == field


def test_a_link_valid_for_exactly_the_maximum_is_accepted() -> None:
    link = _link(WEEK)

    assert link.expires_at_utc == AT + WEEK


@pytest.mark.parametrize("instruments", [(), ("phq9", "phq9")], ids=["none", "twice"])
def test_a_link_needs_each_questionnaire_once(instruments: tuple[str, ...]) -> None:
    with pytest.raises(InputError, match="instruments"):
        _link(instruments=instruments)


@pytest.mark.parametrize(
    ("used", "now", "state"),
    [
        (None, AT + timedelta(hours=72) - timedelta(microseconds=1), LinkState.OPEN),
        (None, AT + timedelta(hours=72), LinkState.EXPIRED),
        (AT + timedelta(hours=1), AT + timedelta(hours=2), LinkState.USED),
        (AT + timedelta(hours=1), AT + timedelta(days=30), LinkState.USED),
    ],
    ids=["just-before-expiry", "at-expiry", "used", "used-beats-expired"],
)
def test_a_links_state(used: datetime | None, now: datetime, state: LinkState) -> None:
    link = _link()
    link = QuestionnaireLink(**{**{f: getattr(link, f) for f in link.__slots__}, "used_at_utc": used})

    assert link.state_at(now) is state


def test_answers_given_through_a_link_are_recorded_by_the_link() -> None:
    link = _link()

    assert link.recorded_by == f"patient-link:{link.id}"


def _result(total: int | None, effects: tuple[Effect, ...]) -> ScaleResult:
    flags = tuple(Finding(f"rule.{e.value}", e, "message", "source") for e in effects)
    return ScaleResult("x", RuleRef("x", "2026.11.0"), {"q1": 1}, total, "band", flags)


@pytest.mark.parametrize(
    ("effects", "urgent"),
    [((Effect.WARN,), ()), ((Effect.WARN, Effect.HOLD), ("rule.hold",)), ((Effect.BLOCK,), ("rule.block",))],
    ids=["warn-only", "hold", "block"],
)
def test_a_response_is_urgent_only_for_block_or_hold_flags(
    effects: tuple[Effect, ...], urgent: tuple[str, ...]
) -> None:
    response = ScaleResponse.from_result(
        _result(3, effects), patient_id=uuid4(), respondent=Respondent.PATIENT, answered_at_utc=AT, recorded_by="n"
    )

    assert tuple(f.rule_id for f in response.urgent_flags) == urgent
    assert response.urgent is bool(urgent)


@pytest.mark.parametrize(("total", "point"), [(None, None), (0, (AT, 0))], ids=["triage-only", "zero-total"])
def test_a_response_gives_a_score_point_only_with_a_total(total: int | None, point: object) -> None:
    response = ScaleResponse.from_result(
        _result(total, ()), patient_id=uuid4(), respondent=Respondent.CLINICIAN, answered_at_utc=AT, recorded_by="n"
    )

    found = response.score_point
    assert (None if found is None else (found.at, found.total)) == point
