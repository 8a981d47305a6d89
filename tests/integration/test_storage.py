"""Schema, durability and append-only guarantees, on SQLite and PostgreSQL."""

from __future__ import annotations

from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, text
from sqlalchemy.exc import DBAPIError

from ketaflow.domain.basis import Decision, RuleRef
from ketaflow.domain.dosing.orders import DoseOrder, OrderSignature, order_digest
from ketaflow.services import courses, patients, questionnaires, screening
from ketaflow.services.app import AppServices
from ketaflow.services.audit import verify_audit_trail
from ketaflow.services.context import Actor
from ketaflow.services.ports import ProtocolRevision
from ketaflow.storage.database import UnsafeDatabaseSettings, check_durability, create_database_engine
from ketaflow.storage.migrate import current_revision, head_revision
from ketaflow.storage.tables import APPEND_ONLY_TABLES, MUTABLE_TABLES, Base
from tests.conftest import Database
from tests.session_setup import store_session

NURSE = Actor(None, "nurse", None, "10.0.0.7")
PATIENT = {"family_name": "Rivera", "given_names": "Ana", "date_of_birth": "1984-03-02", "sex": "female"}


def test_an_empty_database_migrates_to_head_and_matches_the_models(database: Database) -> None:
    with database.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)

    assert current_revision(database.engine) == head_revision(database.engine)
    assert diffs == []


def test_every_table_is_classified_as_append_only_or_mutable(database: Database) -> None:
    tables = set(inspect(database.engine).get_table_names()) - {"alembic_version"}

    assert tables == set(APPEND_ONLY_TABLES) | set(MUTABLE_TABLES)


def test_sqlite_connections_are_durable(tmp_path: object) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path}/d.db")

    settings = check_durability(engine)

    assert settings == {"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1"}


@pytest.mark.parametrize(
    "pragma", ["PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=OFF", "PRAGMA journal_mode=DELETE"]
)
def test_the_app_refuses_weaker_sqlite_settings(tmp_path: object, pragma: str) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path}/weak.db")

    @event.listens_for(engine, "connect")
    def weaken(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute(pragma)  # type: ignore[attr-defined]  # sqlite3.Connection

    with pytest.raises(UnsafeDatabaseSettings, match="refusing to start"):
        check_durability(engine)


@pytest.mark.postgres
def test_postgres_durability_settings_are_checked(postgres_database: Database) -> None:
    assert check_durability(postgres_database.engine) == {"fsync": "on", "synchronous_commit": "on"}


@pytest.mark.postgres
def test_the_app_refuses_postgres_with_asynchronous_commit(postgres_database: Database) -> None:
    engine = create_database_engine(postgres_database.url.replace("options=", "options=-csynchronous_commit%3Doff%20"))

    with pytest.raises(UnsafeDatabaseSettings, match="synchronous_commit=off"):
        check_durability(engine)
    engine.dispose()


def _one_of_everything(services: AppServices) -> None:
    """At least one row in every append-only table, written through the services."""
    version = patients.register_patient(services, NURSE, "KF-1", PATIENT)
    pid = version.patient_id
    patients.record_measurement(services, NURSE, pid, kind="weight", value=70, measured_on="2026-11-20")
    stale_vitals = {"systolic_mmhg": 120, "diastolic_mmhg": 80, "measured_at": "2026-11-01T09:00:00Z"}
    held = screening.record_screening(
        services,
        NURSE,
        pid,
        {"patient": {"age_years": 42, "sex": "female", "weight_kg": 70}, "indication": "ptsd", "vitals": stale_vitals},
        purpose="pre_infusion",
        codes=services.codes,
    )
    screening.review_screening(services, NURSE, held.id, outcome="do_not_proceed", reason="vitals must be redone today")
    consent = screening.record_consent(
        services,
        NURSE,
        pid,
        sheet_id="iv-ketamine-depression",
        signed_by_name="Ana Rivera",
        signed_on=services.clock.now().date().isoformat(),
    )
    screening.withdraw_consent(services, NURSE, pid, consent.id, "patient wants to think it over")
    screening.run_pre_infusion_gate(services, NURSE, pid, confirmed=["fasting"])
    now = services.clock.now()
    order = DoseOrder(
        uuid4(), pid, RuleRef("depression_standard", "2026.11.0"), {}, {}, Decision.PROCEED, "", now, "dr"
    )
    with services.uow_factory() as uow:  # straight through the repository: this test is about the tables
        uow.orders.add_protocol_revision(ProtocolRevision("p", "1", {"id": "p"}, "a reason", now, "director"))
        uow.orders.add_order(order)
        uow.orders.add_signature(order.id, OrderSignature(order_digest(order), now, "dr"))
        uow.commit()
    store_session(services, pid, order)
    issued = questionnaires.create_link(services, NURSE, pid, ["phq9"])
    questionnaires.submit_link(services, issued.path.removeprefix("/q/"), {"phq9": {f"q{i}": 0 for i in range(1, 10)}})
    courses.start_course(services, NURSE, pid, "depression_induction_maintenance", "2026-11-20", "depression")
    courses.end_course(services, NURSE, pid, "stopped")
    with services.uow_factory() as uow:
        uow.courses.mark_synthetic(pid, now, "test", 1)
        uow.commit()


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
@pytest.mark.parametrize("verb", ["UPDATE", "DELETE"])
def test_append_only_tables_refuse_update_and_delete_from_raw_sql(
    database: Database, services: AppServices, table: str, verb: str
) -> None:
    _one_of_everything(services)
    column = {
        "patients": "mrn",
        "patient_versions": "family_name",
        "body_measurements": "kind",
        "audit_events": "detail",
        "screenings": "decision",
        "screening_reviews": "reason",
        "consents": "signed_by_name",
        "consent_withdrawals": "reason",
        "gate_checks": "decision",
        "protocol_revisions": "reason",
        "dose_orders": "created_by",
        "order_signatures": "signed_by",
        "infusion_sessions": "chair",
        "infusion_events": "recorded_by",
        "scale_responses": "recorded_by",
        "questionnaire_links": "created_by",
        "questionnaire_link_uses": "used_at_utc",
        "treatment_courses": "reason",
        "course_events": "kind",
        "synthetic_patients": "seed",
    }[table]
    # Setting a column to itself: any UPDATE is refused, whatever the column's type.
    sql = f"UPDATE {table} SET {column} = {column}" if verb == "UPDATE" else f"DELETE FROM {table}"

    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text(sql))

    with database.engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() >= 1


def _bypass_triggers(database: Database, sql: str) -> None:
    """What an attacker with DBA rights could do: switch the guard off and edit the trail."""
    with database.engine.begin() as conn:
        if database.dialect == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            conn.execute(text(sql))
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
            conn.execute(text(sql))


@pytest.mark.parametrize(
    ("tamper", "seq", "words"),
    [
        ("UPDATE audit_events SET actor_username = 'someone-else' WHERE seq = 2", 2, "altered"),
        ("DELETE FROM audit_events WHERE seq = 2", 3, "missing"),
    ],
    ids=["altered", "removed"],
)
def test_audit_verify_names_the_event_that_was_tampered_with(
    database: Database, services: AppServices, tamper: str, seq: int, words: str
) -> None:
    version = patients.register_patient(services, NURSE, "KF-2", PATIENT)
    patients.get_patient_chart(services, NURSE, version.patient_id)
    patients.get_patient_chart(services, NURSE, version.patient_id)
    assert verify_audit_trail(services, NURSE).ok

    _bypass_triggers(database, tamper)
    report = verify_audit_trail(services, NURSE)

    assert not report.ok
    assert any(p.seq == seq and words in p.problem for p in report.problems)


def test_a_failed_write_leaves_no_trace_at_all(database: Database, services: AppServices) -> None:
    patients.register_patient(services, NURSE, "KF-3", PATIENT)
    with database.engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()

    with pytest.raises(Exception, match="already registered"):
        patients.register_patient(services, NURSE, "KF-3", {**PATIENT, "given_names": "Other"})

    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == before
        assert conn.execute(text("SELECT count(*) FROM patient_versions")).scalar_one() == 1


def test_audit_rows_have_no_gaps_under_many_writers(database: Database, services: AppServices) -> None:
    from concurrent.futures import ThreadPoolExecutor

    version = patients.register_patient(services, NURSE, "KF-4", PATIENT)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: patients.get_patient_chart(services, NURSE, version.patient_id), range(24)))

    report = verify_audit_trail(services, NURSE)
    assert report.ok and report.events_checked == 25


def test_uuids_and_times_round_trip_exactly(services: AppServices) -> None:
    version = patients.register_patient(services, NURSE, "KF-5", PATIENT)

    chart = patients.get_patient_chart(services, NURSE, version.patient_id)

    assert chart.current == version
    assert chart.current.recorded_at_utc.tzinfo is not None
    assert uuid4() != version.patient_id
