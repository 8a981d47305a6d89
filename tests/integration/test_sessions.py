"""The infusion session through its services, on SQLite and PostgreSQL: a whole visit, alerts, discharge,
concurrent charting, audit, and change announcements for the live board."""

from __future__ import annotations

from uuid import UUID

import pytest

from ketaflow.domain.access import Role
from ketaflow.domain.errors import AccessDenied, InputError, StaleWrite
from ketaflow.domain.sessions import EventKind, SessionConflict, SessionState
from ketaflow.services import sessions
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor
from tests.conftest import Database
from tests.fakes import FakeClock
from tests.session_setup import prepare_patient_for_session

NURSE = Actor(None, "nurse.kim", Role.NURSE)
PHYSICIAN = Actor(None, "dr.okafor", Role.PHYSICIAN)
FRONT_DESK = Actor(None, "desk", Role.FRONT_DESK)
BASELINE = {"systolic_mmhg": "124", "diastolic_mmhg": "78", "heart_rate_bpm": "70", "spo2_pct": "98"}
PADSS_PASS = {
    "item_vital_signs": "2",
    "item_activity": "2",
    "item_nausea_pain": "2",
    "item_bleeding": "2",
    "item_intake_output": "1",
}


def chart(svc: AppServices, session_id: UUID, action: str, actor: Actor = NURSE, **form: object) -> None:
    version = sessions.get_session(svc, actor, session_id).session.version
    sessions.chart(svc, actor, session_id, action, expected_version=version, form=form)


def started_session(svc: AppServices, clock: FakeClock) -> UUID:
    patient_id, order_id = prepare_patient_for_session(svc)
    session_id = sessions.check_in(svc, FRONT_DESK, patient_id, order_id=str(order_id), chair="3")
    chart(svc, session_id, "gate")
    chart(svc, session_id, "vitals", **BASELINE)
    chart(svc, session_id, "complete_checks")
    clock.advance(minutes=2)
    chart(svc, session_id, "start", rate_ml_per_h="52.5")
    return session_id


def _padss_form(svc: AppServices, session_id: UUID) -> dict[str, str]:
    rules = sessions.get_session(svc, NURSE, session_id).recovery_rules
    return {
        f"item_{item.id}": str(max(level.points for level in item.levels))
        for item in rules.items(sessions.Instrument.PADSS)
    }


def _aldrete_form(svc: AppServices, session_id: UUID) -> dict[str, str]:
    rules = sessions.get_session(svc, NURSE, session_id).recovery_rules
    return {
        f"item_{item.id}": str(max(level.points for level in item.levels))
        for item in rules.items(sessions.Instrument.ALDRETE)
    }


def test_a_whole_visit_from_check_in_to_discharge(services: AppServices, clock: FakeClock) -> None:
    session_id = started_session(services, clock)
    clock.advance(minutes=20)
    chart(
        services,
        session_id,
        "vitals",
        systolic_mmhg="186",
        diastolic_mmhg="112",
        heart_rate_bpm="88",
        spo2_pct="97",
    )
    view = sessions.get_session(services, NURSE, session_id)
    assert [a.alert.action for a in view.summary.open_alerts] == ["notify_physician"]
    reading = view.session.readings[-1]
    assert reading.evaluation is not None and reading.evaluation["action"] == "notify_physician"
    assert reading.evaluation["rule_set"] == {"id": "iv_ketamine_outpatient", "version": "2026.11.0"}

    chart(services, session_id, "pause", reason="BP 186/112, physician informed")
    alert_id = view.summary.open_alerts[0].alert.id
    chart(services, session_id, "acknowledge", actor=PHYSICIAN, alert_id=alert_id, note="paused; recheck in 5 min")
    clock.advance(minutes=10)
    chart(services, session_id, "vitals", systolic_mmhg="142", diastolic_mmhg="88", heart_rate_bpm="76", spo2_pct="98")
    chart(services, session_id, "resume", rate_ml_per_h="52.5")
    clock.advance(minutes=20)
    chart(services, session_id, "complete")

    view = sessions.get_session(services, NURSE, session_id)
    assert view.session.state is SessionState.COMPLETED
    assert view.summary.open_alerts == ()
    # 52.5 mg/h for 20 min, paused 10 min, 52.5 mg/h for 20 min = 35 mg
    assert view.summary.delivered_mg == pytest.approx(35.0)

    chart(services, session_id, "begin_recovery")
    view = sessions.get_session(services, NURSE, session_id)
    assert view.discharge is not None and not view.discharge.allowed  # nothing scored, no time has passed
    with pytest.raises(AccessDenied):
        chart(services, session_id, "discharge", override_reason="the patient insists on leaving now")

    clock.advance(minutes=view.recovery_rules.minimum_observation_min)
    chart(services, session_id, "vitals", **BASELINE)
    chart(services, session_id, "recovery_score", instrument="padss", **_padss_form(services, session_id))
    clock.advance(minutes=15)
    chart(services, session_id, "recovery_score", instrument="padss", **_padss_form(services, session_id))
    chart(services, session_id, "recovery_score", instrument="aldrete", **_aldrete_form(services, session_id))
    chart(services, session_id, "escort", escort_name="Sam Carter", escort_phone="555 0101")
    view = sessions.get_session(services, NURSE, session_id)
    assert view.discharge is not None and view.discharge.allowed, [f.message for f in view.discharge.findings]
    chart(services, session_id, "discharge")
    view = sessions.get_session(services, NURSE, session_id)
    assert view.session.state is SessionState.DISCHARGED
    discharged = view.session.latest(EventKind.DISCHARGED)
    assert discharged is not None and discharged.data["criteria_met"] is True
    assert any("drive" in line.lower() for line in discharged.data["instructions"])  # type: ignore[union-attr]
    assert sessions.get_board(services, NURSE) == []


def test_a_physician_may_override_discharge_with_a_reason(services: AppServices, clock: FakeClock) -> None:
    session_id = started_session(services, clock)
    clock.advance(minutes=5)
    chart(services, session_id, "stop", reason="patient asked to stop")
    chart(services, session_id, "begin_recovery")
    with pytest.raises(SessionConflict, match="override"):
        chart(services, session_id, "discharge", actor=PHYSICIAN)
    chart(
        services,
        session_id,
        "discharge",
        actor=PHYSICIAN,
        override_reason="Transferred to the care of her psychiatrist on site",
    )
    view = sessions.get_session(services, NURSE, session_id)
    assert view.session.state is SessionState.DISCHARGED
    assert view.session.ended_early


def test_a_stale_form_is_refused_and_stores_nothing(services: AppServices, clock: FakeClock) -> None:
    session_id = started_session(services, clock)
    seen = sessions.get_session(services, NURSE, session_id).session.version
    sessions.chart(services, NURSE, session_id, "note", expected_version=seen, form={"text": "first nurse"})
    with pytest.raises(StaleWrite, match="changed by someone else"):
        sessions.chart(services, PHYSICIAN, session_id, "note", expected_version=seen, form={"text": "second, stale"})
    notes = sessions.get_session(services, NURSE, session_id).session.of_kind(EventKind.NOTE)
    assert [n.data["text"] for n in notes] == ["first nurse"]


def test_two_writers_with_the_same_version_cannot_both_append(services: AppServices, clock: FakeClock) -> None:
    """Straight at the repository: the (session, seq) unique key refuses the second writer's event."""
    session_id = started_session(services, clock)
    views = []
    for _ in range(2):  # both writers read the same version of the log
        with services.uow_factory() as uow:
            views.append(sessions.InfusionSession(uow.infusions.load_events(session_id)))
    a, b = views
    a.add_note("from A", author=sessions.Author("a", "nurse"), now_utc=services.clock.now())
    b.add_note("from B", author=sessions.Author("b", "nurse"), now_utc=services.clock.now())
    with services.uow_factory() as uow:
        uow.infusions.append_events(session_id, a.pending)
        uow.commit()
    with services.uow_factory() as uow, pytest.raises(StaleWrite):
        uow.infusions.append_events(session_id, b.pending)
        uow.commit()
    notes = sessions.get_session(services, NURSE, session_id).session.of_kind(EventKind.NOTE)
    assert [n.data["text"] for n in notes] == ["from A"]


def test_bad_input_names_the_field_and_changes_nothing(services: AppServices, clock: FakeClock) -> None:
    session_id = started_session(services, clock)
    before = sessions.get_session(services, NURSE, session_id).session.version
    with pytest.raises(InputError, match="systolic_mmhg"):
        chart(services, session_id, "vitals", systolic_mmhg="1200")
    with pytest.raises(InputError, match="rate_ml_per_h"):
        chart(services, session_id, "change_rate", rate_ml_per_h="-3", reason="typo")
    with pytest.raises(InputError, match="action"):
        chart(services, session_id, "explode")
    assert sessions.get_session(services, NURSE, session_id).session.version == before


def test_check_in_refuses_an_unsigned_order_a_busy_chair_and_a_reused_order(services: AppServices) -> None:
    patient_id, unsigned = prepare_patient_for_session(services, signed=False)
    with pytest.raises(InputError, match="signed"):
        sessions.check_in(services, FRONT_DESK, patient_id, order_id=str(unsigned), chair="1")
    first_patient, first_order = prepare_patient_for_session(services, family_name="First")
    sessions.check_in(services, FRONT_DESK, first_patient, order_id=str(first_order), chair="1")
    other_patient, other_order = prepare_patient_for_session(services, family_name="Other")
    with pytest.raises(InputError, match="free chair"):
        sessions.check_in(services, FRONT_DESK, other_patient, order_id=str(other_order), chair="1")
    with pytest.raises(InputError, match="open session"):
        sessions.check_in(services, FRONT_DESK, first_patient, order_id=str(first_order), chair="2")


def test_the_front_desk_checks_in_but_does_not_chart_or_see_the_board(services: AppServices, clock: FakeClock) -> None:
    session_id = started_session(services, clock)
    with pytest.raises(AccessDenied):
        sessions.get_board(services, FRONT_DESK)
    with pytest.raises(AccessDenied):
        sessions.chart(services, FRONT_DESK, session_id, "note", expected_version=1, form={"text": "x"})


def test_every_chart_write_and_read_is_audited(services: AppServices, clock: FakeClock) -> None:
    session_id = started_session(services, clock)
    sessions.get_board(services, NURSE)
    with services.uow_factory() as uow:
        actions = [e.entry.action for e in uow.audit.iter_chain() if e.entry.resource_id == str(session_id)]
    assert actions[:1] == ["session.check_in"]
    assert {"session.vitals", "session.start", "session.read", "board.read"} <= set(actions)


def test_an_overdue_reading_and_an_unacknowledged_alert_show_on_the_board(
    services: AppServices, clock: FakeClock
) -> None:
    session_id = started_session(services, clock)
    chart(
        services,
        session_id,
        "vitals",
        systolic_mmhg="190",
        diastolic_mmhg="116",
        heart_rate_bpm="90",
        spo2_pct="97",
    )
    rules = sessions.get_session(services, NURSE, session_id).monitoring_rules
    clock.advance(minutes=rules.reading_interval_min(sessions.Phase.INFUSING) + rules.overdue_grace_min + 1)
    row = sessions.get_board(services, NURSE)[0]
    assert row.reading_due is not None and row.reading_due.is_overdue
    assert row.open_alerts and row.open_alerts[0].escalated


def test_the_change_feed_announces_each_committed_write(services: AppServices, clock: FakeClock) -> None:
    seen = services.changes.current()
    started_session(services, clock)
    assert services.changes.wait_for_change(seen, 5.0) != seen


@pytest.mark.postgres
def test_postgres_announces_changes_to_other_processes(postgres_database: Database, clock: FakeClock) -> None:
    """Two app instances on one database: a write through one is heard by the other's LISTEN thread."""
    from ketaflow.bootstrap import build_app_services
    from tests.conftest import make_settings

    writer = build_app_services(
        make_settings(postgres_database.url), postgres_database.engine, clock=clock, fast_hashing=True
    )
    reader = build_app_services(
        make_settings(postgres_database.url), postgres_database.engine, clock=clock, fast_hashing=True
    )
    seen = reader.changes.current()  # starts its listener
    started_session(writer, clock)
    assert reader.changes.wait_for_change(seen, 10.0) != seen
