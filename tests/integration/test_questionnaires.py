"""Questionnaires through the services on SQLite and PostgreSQL: stored answers, one-time links, trajectories."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from datetime import timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ketaflow.domain.access import Role
from ketaflow.domain.audit import AuditEntry
from ketaflow.domain.basis import RuleRef
from ketaflow.domain.errors import AccessDenied, InputError, InputErrors
from ketaflow.domain.questionnaires import QuestionnaireLink
from ketaflow.services import orders, patients, questionnaires, screening
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor
from ketaflow.services.ports import AuditQuery, QuestionnaireRepository, UnitOfWork
from ketaflow.services.questionnaires import LinkRefused
from tests.conftest import Database
from tests.fakes import FakeClock
from tests.session_setup import pre_infusion_intake, store_session

NURSE = Actor(uuid4(), "nurse", Role.NURSE)
FRONT_DESK = Actor(uuid4(), "frontdesk", Role.FRONT_DESK)
CONSOLE = Actor.system("test")
PHQ9_ALL_ONES = {f"q{i}": 1 for i in range(1, 10)}  # total 9 (mild), item 9 positive
PHQ9_ZERO_ITEM9 = {**PHQ9_ALL_ONES, "q9": 0}  # total 8 (mild), no flag
GAD7_ALL_TWOS = {f"q{i}": 2 for i in range(1, 8)}  # total 14 (moderate)


def _patient(svc: AppServices, given_names: str = "Ana Maria") -> UUID:
    details = {
        "family_name": "Rivera",
        "given_names": given_names,
        "date_of_birth": "1984-03-02",
        "sex": "female",
        "email": "ana.rivera@example.org",
        "phone": "+1 555 0101",
    }
    return patients.register_patient(svc, CONSOLE, f"KF-{uuid4().hex[:8]}", details).patient_id


def _actions(svc: AppServices, action: str) -> list[AuditEntry]:
    with svc.uow_factory() as uow:
        return [event.entry for event in uow.audit.query(AuditQuery(action=action))]


def _token(path: str) -> str:
    assert path.startswith("/q/")
    return path.removeprefix("/q/")


def _count(database: Database, table: str) -> int:
    with database.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())  # fixed table names


# --- clinician entry ---------------------------------------------------------------------------------------


def test_a_recorded_phq9_round_trips_with_its_rule_version_total_band_and_flags(services: AppServices) -> None:
    patient_id = _patient(services)

    questionnaires.record_response(services, NURSE, patient_id, "phq9", PHQ9_ALL_ONES, "patient")

    [stored] = questionnaires.list_responses(services, NURSE, patient_id)
    assert (stored.instrument, stored.total, stored.band) == ("phq9", 9, "mild")
    assert stored.rules == RuleRef("phq9", "2026.11.0")
    assert stored.items["q9"] == 1
    assert [f.rule_id for f in stored.flags] == ["phq9.item9_positive"]
    assert stored.recorded_by == "nurse" and stored.link_id is None


@pytest.mark.parametrize(
    ("answers", "urgent_events"),
    [(PHQ9_ZERO_ITEM9, 0), (PHQ9_ALL_ONES, 1)],
    ids=["item9-zero-no-alert", "item9-one-urgent"],
)
def test_phq9_item9_is_recorded_as_an_urgent_flag_only_when_positive(
    services: AppServices, answers: dict[str, int], urgent_events: int
) -> None:
    patient_id = _patient(services)

    questionnaires.record_response(services, NURSE, patient_id, "phq9", answers)

    events = _actions(services, "questionnaire.urgent_flag")
    assert len(events) == urgent_events
    assert all(e.detail == "phq9.item9_positive (hold)" and e.patient_id == patient_id for e in events)


def test_a_high_risk_cssrs_is_an_urgent_flag_with_its_safety_steps(services: AppServices) -> None:
    patient_id = _patient(services)
    answers = {"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6_lifetime": False}

    response = questionnaires.record_response(services, NURSE, patient_id, "cssrs_screener", answers)

    assert response.band == "high" and response.total is None
    assert [f.rule_id for f in response.urgent_flags] == ["cssrs_screener.high_risk"]
    assert "immediate mental-health evaluation" in response.urgent_flags[0].message
    assert [e.detail for e in _actions(services, "questionnaire.urgent_flag")] == ["cssrs_screener.high_risk (block)"]


def test_missing_answers_are_all_named_and_nothing_is_stored(services: AppServices, database: Database) -> None:
    patient_id = _patient(services)
    answers = {k: v for k, v in PHQ9_ALL_ONES.items() if k not in ("q3", "q7")}

    with pytest.raises(InputErrors) as refused:
        questionnaires.record_response(services, NURSE, patient_id, "phq9", answers)

    assert sorted(e.field for e in refused.value.errors) == ["items.q3", "items.q7"]
    assert _count(database, "scale_responses") == 0


@pytest.mark.parametrize(("value", "field"), [(4, "items.q3"), ("2", "items.q3"), (True, "items.q3")])
def test_a_wrong_answer_names_the_item_and_nothing_is_stored(
    services: AppServices, database: Database, value: object, field: str
) -> None:
    patient_id = _patient(services)

    with pytest.raises(InputError) as refused:
        questionnaires.record_response(services, NURSE, patient_id, "phq9", {**PHQ9_ALL_ONES, "q3": value})

    assert refused.value.field == field
    assert _count(database, "scale_responses") == 0


def test_the_front_desk_may_not_record_or_read_answers(services: AppServices) -> None:
    patient_id = _patient(services)

    with pytest.raises(AccessDenied):
        questionnaires.record_response(services, FRONT_DESK, patient_id, "phq9", PHQ9_ALL_ONES)
    with pytest.raises(AccessDenied):
        questionnaires.list_responses(services, FRONT_DESK, patient_id)


def test_stored_answers_are_append_only(services: AppServices, database: Database) -> None:
    questionnaires.record_response(services, NURSE, _patient(services), "phq9", PHQ9_ALL_ONES)

    with pytest.raises(DBAPIError), database.engine.begin() as conn:
        conn.execute(text("UPDATE scale_responses SET total = 0"))


# --- links ----------------------------------------------------------------------------------------------


def test_a_link_stores_only_the_sha256_of_its_32_byte_token(services: AppServices, database: Database) -> None:
    patient_id = _patient(services)

    issued = questionnaires.create_link(services, FRONT_DESK, patient_id, ["phq9"])

    token = _token(issued.path)
    assert len(token) == 43  # 32 bytes, urlsafe base64 without padding
    with database.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_sha256 FROM questionnaire_links")).scalar_one()
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert issued.link.expires_at_utc - issued.link.created_at_utc == timedelta(hours=72)


def test_the_link_page_shows_the_first_name_and_the_questionnaires_only(services: AppServices) -> None:
    issued = questionnaires.create_link(services, NURSE, _patient(services), ["phq9", "gad7"])

    page = questionnaires.open_link(services, _token(issued.path))

    assert page.first_name == "Ana"
    assert [s.id for s in page.scales] == ["phq9", "gad7"]
    assert {f.name for f in dataclasses.fields(page)} == {"clinic_name", "first_name", "scales"}


@pytest.mark.parametrize(
    ("hours", "accepted"),
    [(168, True), (168.01, False), (0, False), (-1, False), ("soon", False)],
    ids=["7-days", "just-over-7-days", "zero", "negative", "not-a-number"],
)
def test_a_link_is_valid_for_at_most_seven_days(services: AppServices, hours: object, accepted: bool) -> None:
    patient_id = _patient(services)

    if accepted:
        issued = questionnaires.create_link(services, NURSE, patient_id, ["phq9"], hours)
        assert issued.link.expires_at_utc - issued.link.created_at_utc == timedelta(hours=168)
    else:
        with pytest.raises(InputError, match="valid_for_hours"):
            questionnaires.create_link(services, NURSE, patient_id, ["phq9"], hours)


@pytest.mark.parametrize("instrument", ["madrs", "cssrs_screener", "qids_sr16", "nope"])
def test_a_link_carries_only_self_report_questionnaires_with_their_wording(
    services: AppServices, instrument: str
) -> None:
    with pytest.raises(InputError, match=r"instruments\[0\]"):
        questionnaires.create_link(services, NURSE, _patient(services), [instrument])


@pytest.mark.parametrize(
    ("after", "opens"),
    [(timedelta(hours=72) - timedelta(seconds=1), True), (timedelta(hours=72), False)],
    ids=["one-second-before-expiry", "at-expiry"],
)
def test_a_link_expires_at_its_expiry_time(
    services: AppServices, clock: FakeClock, database: Database, after: timedelta, opens: bool
) -> None:
    token = _token(questionnaires.create_link(services, NURSE, _patient(services), ["phq9"]).path)
    clock.advance(seconds=after.total_seconds())

    if opens:
        questionnaires.submit_link(services, token, {"phq9": PHQ9_ZERO_ITEM9})
        assert _count(database, "scale_responses") == 1
    else:
        with pytest.raises(LinkRefused, match="expired"):
            questionnaires.submit_link(services, token, {"phq9": PHQ9_ZERO_ITEM9})
        assert _count(database, "scale_responses") == 0
        assert _count(database, "questionnaire_link_uses") == 0


def test_a_submitted_link_stores_every_questionnaire_and_then_stops_working(
    services: AppServices, database: Database
) -> None:
    patient_id = _patient(services)
    issued = questionnaires.create_link(services, NURSE, patient_id, ["phq9", "gad7"])
    token = _token(issued.path)

    done = questionnaires.submit_link(services, token, {"phq9": PHQ9_ZERO_ITEM9, "gad7": GAD7_ALL_TWOS})

    assert done.urgent is False
    stored = questionnaires.list_responses(services, NURSE, patient_id)
    assert sorted((r.instrument, r.total, r.band) for r in stored) == [("gad7", 14, "moderate"), ("phq9", 8, "mild")]
    assert {r.recorded_by for r in stored} == {f"patient-link:{issued.link.id}"}
    assert {r.link_id for r in stored} == {issued.link.id}
    with pytest.raises(LinkRefused, match="already been used"):
        questionnaires.open_link(services, token)
    with pytest.raises(LinkRefused, match="already been used"):
        questionnaires.submit_link(services, token, {"phq9": PHQ9_ZERO_ITEM9, "gad7": GAD7_ALL_TWOS})
    assert _count(database, "scale_responses") == 2


def test_an_unknown_link_is_refused_and_the_refusal_is_audited(services: AppServices) -> None:
    with pytest.raises(LinkRefused, match="not valid"):
        questionnaires.open_link(services, "not-a-token")

    assert [e.detail for e in _actions(services, "questionnaire.link_refused")] == ["unknown"]


def test_bad_link_answers_name_the_instrument_and_item_and_leave_the_link_open(
    services: AppServices, database: Database
) -> None:
    token = _token(questionnaires.create_link(services, NURSE, _patient(services), ["phq9", "gad7"]).path)
    phq9 = {k: v for k, v in PHQ9_ZERO_ITEM9.items() if k != "q4"}

    with pytest.raises(InputErrors) as refused:
        questionnaires.submit_link(services, token, {"phq9": phq9, "gad7": {**GAD7_ALL_TWOS, "q2": 7}})

    assert [e.field for e in refused.value.errors] == ["phq9.q4", "gad7.q2"]
    assert _count(database, "scale_responses") == 0
    assert _count(database, "questionnaire_link_uses") == 0
    assert questionnaires.open_link(services, token).first_name == "Ana"


def test_an_urgent_answer_through_a_link_is_audited_and_the_patient_is_told_whom_to_call(
    services: AppServices,
) -> None:
    patient_id = _patient(services)
    token = _token(questionnaires.create_link(services, NURSE, patient_id, ["phq9"]).path)

    done = questionnaires.submit_link(services, token, {"phq9": PHQ9_ALL_ONES})

    assert done.urgent is True
    [event] = _actions(services, "questionnaire.urgent_flag")
    assert (event.patient_id, event.detail, event.actor_username) == (
        patient_id,
        "phq9.item9_positive (hold)",
        "patient-link",
    )


class _StaleLinks:
    """The questionnaire repository, except that a link always reads as unused (as two racing readers see it)."""

    def __init__(self, inner: QuestionnaireRepository) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def get_link_by_token(self, token_sha256: str) -> QuestionnaireLink | None:
        link = self._inner.get_link_by_token(token_sha256)
        return None if link is None else dataclasses.replace(link, used_at_utc=None)


class _StaleUnitOfWork:
    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def questionnaires(self) -> _StaleLinks:
        return _StaleLinks(self._inner.questionnaires)

    def __enter__(self) -> Self:
        self._inner.__enter__()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self._inner.__exit__(t, e, tb)


def test_the_database_refuses_a_second_use_even_when_the_reader_saw_the_link_open(
    services: AppServices, database: Database
) -> None:
    token = _token(questionnaires.create_link(services, NURSE, _patient(services), ["phq9"]).path)
    questionnaires.submit_link(services, token, {"phq9": PHQ9_ZERO_ITEM9})
    racing = dataclasses.replace(services, uow_factory=lambda: _StaleUnitOfWork(services.uow_factory()))

    with pytest.raises(LinkRefused, match="already been used"):
        questionnaires.submit_link(racing, token, {"phq9": PHQ9_ALL_ONES})

    assert _count(database, "scale_responses") == 1
    assert _count(database, "questionnaire_link_uses") == 1


def test_two_phones_submitting_at_once_store_one_set_of_answers(services: AppServices, database: Database) -> None:
    token = _token(questionnaires.create_link(services, NURSE, _patient(services), ["phq9"]).path)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        start.wait()
        try:
            questionnaires.submit_link(services, token, {"phq9": PHQ9_ZERO_ITEM9})
            outcomes.append("stored")
        except LinkRefused as refused:
            outcomes.append(refused.reason)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["stored", "used"]
    assert _count(database, "scale_responses") == 1


def test_a_link_is_sent_to_the_email_on_record_and_the_message_carries_the_one_time_url(
    services: AppServices,
) -> None:
    patient_id = _patient(services)

    issued = questionnaires.send_link(
        services, FRONT_DESK, patient_id, ["phq9"], channel="email", base_url="https://clinic.example/"
    )

    message = services.sender.outbox[-1]  # type: ignore[attr-defined]  # the console sender keeps an outbox
    assert message.to == "ana.rivera@example.org"
    assert f"https://clinic.example{issued.path}" in message.body
    assert "Rivera" not in message.body
    [event] = _actions(services, "questionnaire.link_send")
    assert event.detail.startswith("email via console")


# --- trajectory ---------------------------------------------------------------------------------------------


def _infusion(svc: AppServices, patient_id: UUID, started_at: Any) -> None:
    """A signed order and a session whose log starts the infusion at ``started_at`` (arranged in storage)."""
    for kind, value in (("weight", 70), ("height", 170)):
        patients.record_measurement(
            svc, CONSOLE, patient_id, kind=kind, value=value, measured_on=patients.clinic_today(svc).isoformat()
        )
    screening.record_screening(svc, CONSOLE, patient_id, pre_infusion_intake(svc), purpose="intake", codes=svc.codes)
    request = orders.OrderRequest.from_form(
        {"protocol_id": "depression_standard", "drug_mg": "100", "volume_ml": "100"}
    )
    order = orders.create_order(svc, CONSOLE, patient_id, request)
    store_session(svc, patient_id, order, started_at=started_at)


def test_the_trajectory_has_the_scores_the_infusion_start_and_the_response(
    services: AppServices, clock: FakeClock
) -> None:
    patient_id = _patient(services)
    baseline_at = clock.now()
    questionnaires.record_response(services, NURSE, patient_id, "phq9", {**PHQ9_ALL_ONES, "q9": 0, "q1": 3})  # 10
    infusion_at = baseline_at + timedelta(hours=2)
    _infusion(services, patient_id, infusion_at)
    clock.advance(days=1)
    questionnaires.record_response(
        services, NURSE, patient_id, "phq9", {f"q{i}": 0 for i in range(1, 10)} | {"q1": 3, "q2": 2}
    )  # 5

    [trajectory] = questionnaires.patient_trajectory(services, NURSE, patient_id)

    assert [(p.at, p.total) for p in trajectory.points] == [(baseline_at, 10), (baseline_at + timedelta(days=1), 5)]
    assert trajectory.infusion_times == (infusion_at,)
    assert trajectory.outcome is not None
    assert trajectory.outcome.responded is True  # (10 - 5) * 100 >= 50 * 10: exactly 50 %
    assert trajectory.outcome.remitted is False  # 5 is not below 5
