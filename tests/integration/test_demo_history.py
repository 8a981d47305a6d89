"""The synthetic clinic history of `ketaflow demo`: legal session logs, synthetic marks, determinism, true rates."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

import pytest

from ketaflow.bootstrap import build_app_services
from ketaflow.domain.access import Role
from ketaflow.domain.errors import AccessDenied, Conflict, InputError
from ketaflow.domain.monitoring import Observation, Phase, TimedObservation, evaluate_observation
from ketaflow.domain.outcomes import PatientOutcome, evaluate_patient_outcome
from ketaflow.domain.ruledata.fields import input_error
from ketaflow.domain.sessions import EventKind, InfusionSession, SessionState
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor
from ketaflow.services.demo_history import (
    HistorySummary,
    generate_clinic_history,
    is_synthetic,
    list_synthetic_patient_ids,
)
from ketaflow.services.demo_history_params import load_history_parameters
from ketaflow.services.monitoring import load_monitoring_rules
from ketaflow.services.ports import AuditQuery
from ketaflow.services.questionnaires import load_outcome_definitions
from ketaflow.storage.database import create_database_engine
from ketaflow.storage.migrate import upgrade_to_head
from tests.conftest import make_settings
from tests.fakes import FakeClock

CONSOLE = Actor.system("test")
SMALL = 12
LARGE = 80


@dataclass
class History:
    services: AppServices
    summary: HistorySummary


def _history(directory: Path, patients: int, seed: int = 20261126) -> History:
    url = f"sqlite:///{directory / 'history.db'}"
    engine = create_database_engine(url)
    upgrade_to_head(engine)
    services = build_app_services(make_settings(url), engine, clock=FakeClock(), fast_hashing=True)
    return History(services, generate_clinic_history(services, patients=patients, seed=seed))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    yield _history(tmp_path_factory.mktemp("small"), SMALL)


def _sessions(svc: AppServices) -> dict[UUID, list[InfusionSession]]:
    with svc.uow_factory() as uow:
        return {
            patient_id: [
                InfusionSession(uow.infusions.load_events(s.session_id))
                for s in uow.infusions.list_patient_sessions(patient_id)
            ]
            for patient_id in uow.courses.synthetic_patient_ids()
        }


def _fingerprint(svc: AppServices) -> list[tuple[object, ...]]:
    """What a seed decides: names, session times, every charted vital sign and every questionnaire total."""
    rows: list[tuple[object, ...]] = []
    with svc.uow_factory() as uow:
        for patient_id in uow.courses.synthetic_patient_ids():
            patient = uow.patients.latest(patient_id)
            assert patient is not None
            sessions = [
                InfusionSession(uow.infusions.load_events(s.session_id))
                for s in uow.infusions.list_patient_sessions(patient_id)
            ]
            totals = sorted(
                (r.answered_at_utc, r.instrument, r.total) for r in uow.questionnaires.list_responses(patient_id)
            )
            vitals = [tuple(r.vitals.to_json().items()) for s in sessions for r in s.readings]
            rows.append(
                (patient.mrn, patient.details.display_name, [s.started_at_utc for s in sessions], vitals, totals)
            )
    return sorted(rows, key=lambda row: str(row[0]))


def test_every_generated_session_replays_and_ends_in_a_discharge(small: History) -> None:
    sessions = [s for per_patient in _sessions(small.services).values() for s in per_patient]

    replayed = [InfusionSession(list(s.events)) for s in sessions]

    assert len(sessions) == small.summary.sessions > SMALL
    assert all(s.state is SessionState.DISCHARGED for s in replayed)
    assert all(str(s.of_kind(EventKind.NOTE)[0].data["text"]).startswith("Synthetic demo session") for s in replayed)


def test_every_reading_during_and_after_the_infusion_carries_the_monitoring_rules_verdict(small: History) -> None:
    session = next(s for per_patient in _sessions(small.services).values() for s in per_patient)
    rules = load_monitoring_rules(session.header.monitoring_rules)
    start = session.started_at_utc
    assert start is not None and session.baseline is not None
    readings = [r for r in session.readings if not r.is_baseline]
    events = [e for e in session.of_kind(EventKind.VITALS) if e.data["evaluation"] is not None]

    expected = [
        evaluate_observation(
            rules,
            phase=Phase.INFUSING if session.phase_at(r.at_utc) == "infusing" else Phase.RECOVERY,
            minutes_since_start=(r.at_utc - start).total_seconds() / 60,
            baseline=session.baseline,
            observation=Observation.from_json(r.observation, "", input_error),
            recent=[
                TimedObservation(
                    (e.at_utc - start).total_seconds() / 60, Observation.from_json(e.observation, "", input_error)
                )
                for e in readings[:index]
            ],
        ).to_json()
        for index, r in enumerate(readings)
    ]

    assert [e.data["evaluation"] for e in events] == expected


def test_every_generated_patient_is_marked_synthetic_and_audited_once(small: History) -> None:
    svc = small.services
    with svc.uow_factory() as uow:
        marked = uow.courses.synthetic_patient_ids()
        mrns = [version.mrn for patient_id in marked if (version := uow.patients.latest(patient_id)) is not None]
        audited = uow.audit.query(AuditQuery(action="demo.synthetic_history", limit=1000))

    assert len(marked) == SMALL == small.summary.patients
    assert sorted(str(e.entry.patient_id) for e in audited) == sorted(str(p) for p in marked)
    assert all(mrn.startswith("SYN-") for mrn in mrns) and len(mrns) == SMALL


def test_synthetic_marks_are_read_by_staff_and_refused_to_a_role_without_patient_access(small: History) -> None:
    svc = small.services
    patient_id = next(iter(list_synthetic_patient_ids(svc, CONSOLE)))
    nurse = Actor(user_id=None, username="nurse", role=Role.NURSE)
    auditor = Actor(user_id=None, username="auditor", role=Role.AUDITOR)

    assert is_synthetic(svc, nurse, patient_id)
    with pytest.raises(AccessDenied):
        list_synthetic_patient_ids(svc, auditor)


def test_a_second_history_in_the_same_database_is_refused(small: History) -> None:
    with pytest.raises(Conflict, match="SYN-00001"):
        generate_clinic_history(small.services, patients=1)


@pytest.mark.parametrize(
    ("patients", "days", "field"),
    [(-1, 365, "patients"), (20_001, 365, "patients"), (5, 12, "days"), (5, 3651, "days")],
    ids=["negative", "too_many", "shorter_than_intake_lead", "longer_than_ten_years"],
)
def test_out_of_range_arguments_are_refused_naming_the_field(
    small: History, patients: int, days: int, field: str
) -> None:
    with pytest.raises(InputError) as refused:
        generate_clinic_history(small.services, patients=patients, days=days)

    assert refused.value.field == field


def test_the_same_seed_gives_the_same_history_and_another_seed_does_not(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    first, again, other = (_history(tmp_path / n, 4, seed=s) for n, s in (("a", 7), ("b", 7), ("c", 8)))

    assert _fingerprint(first.services) == _fingerprint(again.services)
    assert _fingerprint(first.services) != _fingerprint(other.services)


@pytest.mark.slow
def test_rates_match_the_rule_file_within_a_wide_tolerance(tmp_path: Path) -> None:
    history = _history(tmp_path, LARGE)
    params = load_history_parameters()
    definitions = load_outcome_definitions()
    induction_infusions = 6
    outcomes: list[PatientOutcome] = []
    relapse_days: list[int] = []
    drowsy = sessions_count = 0
    with history.services.uow_factory() as uow:
        for patient_id, sessions in _sessions(history.services).items():
            sessions_count += len(sessions)
            drowsy += sum(
                any(e.data["code"] == "drowsiness" for e in s.of_kind(EventKind.SIDE_EFFECT)) for s in sessions
            )
            starts = [s.started_at_utc for s in sessions if s.started_at_utc is not None]
            if len(starts) < induction_infusions:
                continue
            scores = [r.score_point for r in uow.questionnaires.list_responses(patient_id) if r.instrument == "phq9"]
            outcome = evaluate_patient_outcome(
                definitions,
                instrument="phq9",
                scores=[p for p in scores if p is not None],
                infusion_times=starts,
                series_end=starts[induction_infusions - 1],
            )
            if outcome.responded is not None:
                outcomes.append(outcome)
            if outcome.relapsed_at is not None and len(starts) == induction_infusions:
                relapse_days.append((outcome.relapsed_at - starts[-1]).days)
    responders = sum(1 for o in outcomes if o.responded) / len(outcomes)
    remitters = sum(1 for o in outcomes if o.remitted) / len(outcomes)

    # 3 SD of a proportion over this many patients or sessions, and more: a wide tolerance, not a fit.
    assert abs(responders - params.response_probability) < 0.18, responders
    assert abs(remitters - params.remission_probability) < 0.14, remitters
    drowsiness = next(e for e in params.adverse_effects if e.code == "drowsiness").per_session_probability
    assert abs(drowsy / sessions_count - drowsiness) < 0.07
    if len(relapse_days) >= 5:  # relapse is only seen in responders followed long enough
        assert 3 <= statistics.median(relapse_days) <= 60


def test_timestamps_of_the_history_are_never_in_the_future(small: History) -> None:
    now: datetime = small.services.clock.now()

    latest = max(e.recorded_at_utc for per in _sessions(small.services).values() for s in per for e in s.events)

    assert latest < now
