"""The session's state machine, delivered-dose arithmetic and amendments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaflow.domain.basis import RuleRef
from ketaflow.domain.errors import InputError
from ketaflow.domain.sessions import (
    TRANSITIONS,
    Author,
    EventKind,
    InfusionSession,
    SessionConflict,
    SessionHeader,
    SessionState,
)

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
NURSE = Author("nurse", "nurse")
BASELINE = {"vitals": {"systolic_mmhg": 120.0, "diastolic_mmhg": 80.0, "heart_rate_bpm": 70.0, "spo2_pct": 98.0}}


def header(concentration: float = 1.0) -> SessionHeader:
    return SessionHeader(
        session_id=uuid4(),
        patient_id=uuid4(),
        order_id=uuid4(),
        chair="1",
        protocol=RuleRef("depression_standard", "2026.11.0"),
        monitoring_rules="iv_ketamine_outpatient",
        recovery_rules="iv_ketamine_outpatient",
        concentration_mg_per_ml=concentration,
        ordered_dose_mg=35.0,
        ordered_rate_ml_per_h=52.5,
        ordered_duration_min=40.0,
        weight_kg=70.0,
        dosing_weight_kg=70.0,
    )


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ready_session(concentration: float = 1.0) -> InfusionSession:
    session = InfusionSession.check_in(header(concentration), at_utc=T0, author=NURSE)
    session.record_gate(gate_check_id=uuid4(), clear=True, decision="proceed", author=NURSE, now_utc=at(1))
    session.record_vitals(BASELINE, None, author=NURSE, now_utc=at(2))
    session.complete_checks(author=NURSE, now_utc=at(3))
    return session


def running_session() -> InfusionSession:
    session = ready_session()
    session.start(52.5, author=NURSE, now_utc=at(10))
    return session


def test_a_whole_session_walks_every_state_in_order() -> None:
    session = running_session()
    assert session.state is SessionState.INFUSING
    session.pause("BP 182/104", author=NURSE, now_utc=at(30))
    assert session.state is SessionState.PAUSED
    session.resume(52.5, author=NURSE, now_utc=at(40))
    session.complete(author=NURSE, now_utc=at(60))
    assert session.state is SessionState.COMPLETED
    session.begin_recovery(author=NURSE, now_utc=at(61))
    assert session.state is SessionState.RECOVERING
    session.discharge(
        evaluation={}, allowed=True, override_reason=None, instructions=["x"], author=NURSE, now_utc=at(120)
    )
    assert session.state is SessionState.DISCHARGED
    assert [e.seq for e in session.events] == list(range(1, len(session.events) + 1))
    assert session.pending == list(session.events)


def test_delivered_dose_counts_only_the_time_the_pump_ran() -> None:
    session = running_session()  # 52.5 mL/h at 1 mg/mL from minute 10
    session.pause("nausea", author=NURSE, now_utc=at(30))  # 20 min running = 17.5 mg
    session.resume(26.25, author=NURSE, now_utc=at(40))  # half rate for 20 min = 8.75 mg
    session.change_rate(52.5, "BP settled", author=NURSE, now_utc=at(60))  # full rate for 10 min = 8.75 mg
    assert session.delivered_mg(at(70)) == pytest.approx(17.5 + 8.75 + 8.75)
    assert session.pump.running_minutes(at(70)) == pytest.approx(50.0)
    session.complete(author=NURSE, now_utc=at(70))
    assert session.latest(EventKind.COMPLETED).data["delivered_mg"] == pytest.approx(35.0)  # type: ignore[union-attr]
    assert session.delivered_mg(at(200)) == pytest.approx(35.0)  # nothing more after the end


def test_rate_events_record_the_mg_per_h_they_mean_for_the_bag() -> None:
    session = ready_session(concentration=2.0)
    session.start(26.25, author=NURSE, now_utc=at(10))
    started = session.latest(EventKind.STARTED)
    assert started is not None
    assert started.data["rate_mg_per_h"] == pytest.approx(52.5)


ILLEGAL = [
    (kind, state)
    for kind, transition in TRANSITIONS.items()
    for state in SessionState
    if kind is not EventKind.CHECKED_IN and state not in transition.allowed_in
]


def _session_in(state: SessionState) -> InfusionSession:
    """A session brought to ``state`` by legal steps."""
    if state is SessionState.CHECKED_IN:
        return InfusionSession.check_in(header(), at_utc=T0, author=NURSE)
    if state is SessionState.READY:
        return ready_session()
    if state is SessionState.CANCELLED:
        session = ready_session()
        session.cancel("BP too high today", author=NURSE, now_utc=at(5))
        return session
    session = running_session()
    steps = {
        SessionState.INFUSING: [],
        SessionState.PAUSED: ["pause"],
        SessionState.STOPPED_EARLY: ["stop"],
        SessionState.COMPLETED: ["complete"],
        SessionState.RECOVERING: ["complete", "recover"],
        SessionState.DISCHARGED: ["complete", "recover", "discharge"],
        SessionState.TRANSFERRED: ["transfer"],
    }[state]
    for minute, step in enumerate(steps, start=20):
        if step == "pause":
            session.pause("reason", author=NURSE, now_utc=at(minute))
        elif step == "stop":
            session.stop("reason", author=NURSE, now_utc=at(minute))
        elif step == "complete":
            session.complete(author=NURSE, now_utc=at(minute))
        elif step == "recover":
            session.begin_recovery(author=NURSE, now_utc=at(minute))
        elif step == "discharge":
            session.discharge(
                evaluation={}, allowed=True, override_reason=None, instructions=[], author=NURSE, now_utc=at(minute)
            )
        elif step == "transfer":
            session.transfer("Emergency department", "chest pain", author=NURSE, now_utc=at(minute))
    assert session.state is state
    return session


def _attempt(session: InfusionSession, kind: EventKind) -> None:
    now = at(100)
    actions = {
        EventKind.GATE_RECORDED: lambda: session.record_gate(
            gate_check_id=uuid4(), clear=True, decision="proceed", author=NURSE, now_utc=now
        ),
        EventKind.CHECKS_COMPLETED: lambda: session._append(EventKind.CHECKS_COMPLETED, {}, author=NURSE, now_utc=now),
        EventKind.STARTED: lambda: session.start(50, author=NURSE, now_utc=now),
        EventKind.RATE_CHANGED: lambda: session._append(
            EventKind.RATE_CHANGED, {"rate_ml_per_h": 10.0}, author=NURSE, now_utc=now
        ),
        EventKind.PAUSED: lambda: session.pause("reason", author=NURSE, now_utc=now),
        EventKind.RESUMED: lambda: session.resume(50, author=NURSE, now_utc=now),
        EventKind.STOPPED: lambda: session.stop("reason", author=NURSE, now_utc=now),
        EventKind.COMPLETED: lambda: session.complete(author=NURSE, now_utc=now),
        EventKind.RECOVERY_STARTED: lambda: session.begin_recovery(author=NURSE, now_utc=now),
        EventKind.VITALS: lambda: session.record_vitals(BASELINE, None, author=NURSE, now_utc=now),
        EventKind.SIDE_EFFECT: lambda: session.record_side_effect("nausea", "mild", "", author=NURSE, now_utc=now),
        EventKind.INTERVENTION: lambda: session.record_intervention(
            {"drug": "ondansetron", "dose": 4, "unit": "mg", "route": "IV", "indication": "nausea"},
            author=NURSE,
            now_utc=now,
        ),
        EventKind.RECOVERY_SCORE: lambda: session.record_recovery_score(
            {"instrument": "padss"}, author=NURSE, now_utc=now
        ),
        EventKind.NOTE: lambda: session.add_note("note", author=NURSE, now_utc=now),
        EventKind.ESCORT_CONFIRMED: lambda: session.confirm_escort("Sam Carter", "", author=NURSE, now_utc=now),
        EventKind.ALERT_RAISED: lambda: session.raise_alert(
            alert_id="a1", action="pause", summary="", findings=[], reading_seq=1, author=NURSE, now_utc=now
        ),
        EventKind.ALERT_ACKNOWLEDGED: lambda: session._append(
            EventKind.ALERT_ACKNOWLEDGED, {"alert_id": "x"}, author=NURSE, now_utc=now
        ),
        EventKind.DISCHARGED: lambda: session.discharge(
            evaluation={}, allowed=True, override_reason=None, instructions=[], author=NURSE, now_utc=now
        ),
        EventKind.TRANSFERRED: lambda: session.transfer("ED", "reason", author=NURSE, now_utc=now),
        EventKind.CANCELLED: lambda: session.cancel("reason", author=NURSE, now_utc=now),
        EventKind.AMENDMENT: lambda: session._append(EventKind.AMENDMENT, {}, author=NURSE, now_utc=now),
    }
    actions[kind]()


@pytest.mark.parametrize(("kind", "state"), ILLEGAL, ids=[f"{k.value}-in-{s.value}" for k, s in ILLEGAL])
def test_every_illegal_transition_is_refused_and_changes_nothing(kind: EventKind, state: SessionState) -> None:
    session = _session_in(state)
    before = session.events
    with pytest.raises(SessionConflict):
        _attempt(session, kind)
    assert session.events == before
    assert session.state is state


def test_checks_need_a_clear_gate_and_baseline_vitals() -> None:
    session = InfusionSession.check_in(header(), at_utc=T0, author=NURSE)
    with pytest.raises(SessionConflict, match="gate"):
        session.complete_checks(author=NURSE, now_utc=at(1))
    session.record_gate(gate_check_id=uuid4(), clear=False, decision="hold", author=NURSE, now_utc=at(1))
    with pytest.raises(SessionConflict, match="gate"):
        session.complete_checks(author=NURSE, now_utc=at(2))
    session.record_gate(gate_check_id=uuid4(), clear=True, decision="proceed", author=NURSE, now_utc=at(2))
    session.record_vitals(
        {"vitals": {"systolic_mmhg": 120.0, "diastolic_mmhg": 80.0}}, None, author=NURSE, now_utc=at(3)
    )
    with pytest.raises(SessionConflict, match="Heart rate, SpO2"):
        session.complete_checks(author=NURSE, now_utc=at(4))
    session.record_vitals({"vitals": {"heart_rate_bpm": 70.0, "spo2_pct": 97.0}}, None, author=NURSE, now_utc=at(4))
    session.complete_checks(author=NURSE, now_utc=at(5))
    assert session.state is SessionState.READY


def test_events_cannot_be_dated_in_the_future_or_before_check_in() -> None:
    session = running_session()
    with pytest.raises(InputError, match="not in the future"):
        session.record_vitals(BASELINE, None, author=NURSE, now_utc=at(20), at_utc=at(21))
    with pytest.raises(InputError, match="after the check-in"):
        session.record_vitals(BASELINE, None, author=NURSE, now_utc=at(20), at_utc=at(-1))


def test_pump_events_cannot_go_back_in_time_but_vitals_may_be_charted_late() -> None:
    session = running_session()
    session.pause("reason", author=NURSE, now_utc=at(30))
    with pytest.raises(SessionConflict, match="earlier than the previous pump event"):
        session.resume(52.5, author=NURSE, now_utc=at(35), at_utc=at(25))
    session.record_vitals(BASELINE, None, author=NURSE, now_utc=at(35), at_utc=at(20))  # late entry
    assert session.readings[-1].at_utc == at(20) or session.readings[1].at_utc == at(20)


def test_a_zero_or_negative_rate_is_refused_naming_the_field() -> None:
    session = ready_session()
    for bad in (0, -5, "fast", float("nan")):
        with pytest.raises(InputError, match="rate_ml_per_h"):
            session.start(bad, author=NURSE, now_utc=at(10))


def test_an_amendment_corrects_the_rate_and_keeps_the_original() -> None:
    session = running_session()
    started = session.latest(EventKind.STARTED)
    assert started is not None
    session.amend(started.seq, "pump was programmed at 50", {"rate_ml_per_h": 50.0}, author=NURSE, now_utc=at(20))
    assert session.delivered_mg(at(70)) == pytest.approx(50.0)  # 60 min at 50 mL/h, 1 mg/mL
    original = next(e for e in session.events if e.seq == started.seq)
    assert original.data["rate_ml_per_h"] == 52.5
    assert session.amendments[0].reason == "pump was programmed at 50"


def test_an_amendment_that_would_reorder_the_pump_history_is_refused() -> None:
    session = running_session()
    session.pause("reason", author=NURSE, now_utc=at(30))
    paused = session.latest(EventKind.PAUSED)
    assert paused is not None
    with pytest.raises(SessionConflict, match="inconsistent"):
        session.amend(paused.seq, "wrong time", {"at_utc": at(5).isoformat()}, author=NURSE, now_utc=at(40))
    assert session.amendments == ()


def test_state_changes_cannot_be_amended() -> None:
    session = running_session()
    with pytest.raises(InputError, match="target_seq"):
        session.amend(1, "reason", {"chair": "2"}, author=NURSE, now_utc=at(20))


def test_discharge_without_criteria_needs_an_override_reason() -> None:
    session = _session_in(SessionState.RECOVERING)
    with pytest.raises(SessionConflict, match="override"):
        session.discharge(
            evaluation={}, allowed=False, override_reason=None, instructions=[], author=NURSE, now_utc=at(90)
        )
    with pytest.raises(InputError, match="override_reason"):
        session.discharge(
            evaluation={}, allowed=False, override_reason="ok", instructions=[], author=NURSE, now_utc=at(90)
        )
    session.discharge(
        evaluation={},
        allowed=False,
        override_reason="Escort waiting; PADSS 8 due to mild nausea only",
        instructions=[],
        author=NURSE,
        now_utc=at(90),
    )
    assert session.latest(EventKind.DISCHARGED).data["override_reason"].startswith("Escort")  # type: ignore[union-attr]


def test_alerts_are_acknowledged_once_by_a_named_user() -> None:
    session = running_session()
    session.raise_alert(
        alert_id="a1", action="pause", summary="BP 182/112", findings=[], reading_seq=5, author=NURSE, now_utc=at(20)
    )
    assert [a.id for a in session.alerts if a.is_open] == ["a1"]
    session.acknowledge_alert("a1", "paused, physician told", author=Author("dr", "physician"), now_utc=at(22))
    alert = session.alerts[0]
    assert (alert.acknowledged_by, alert.is_open) == ("dr", False)
    with pytest.raises(SessionConflict, match="already acknowledged"):
        session.acknowledge_alert("a1", "", author=NURSE, now_utc=at(23))
    with pytest.raises(InputError, match="alert_id"):
        session.acknowledge_alert("nope", "", author=NURSE, now_utc=at(23))


def test_replaying_the_stored_log_gives_the_same_session() -> None:
    session = running_session()
    session.pause("reason", author=NURSE, now_utc=at(30))
    replayed = InfusionSession(session.events)
    assert replayed.state is session.state
    assert replayed.delivered_mg(at(50)) == session.delivered_mg(at(50))
    assert replayed.version == session.version
    assert replayed.pending == []


# -- property tests of the delivered dose ------------------------------------------------------------------
steps = st.lists(
    st.tuples(st.sampled_from(["pause", "resume", "rate"]), st.floats(0.5, 30), st.floats(1, 300)), max_size=8
)


def _play(plan: list[tuple[str, float, float]]) -> tuple[InfusionSession, float, float]:
    """Replay a random pump history; returns the session, the end minute and the hand-summed mg."""
    session = ready_session()
    minute, rate, running, expected = 10.0, 60.0, True, 0.0
    session.start(rate, author=NURSE, now_utc=at(minute))
    for action, gap, new_rate in plan:
        expected += rate * gap / 60.0 if running else 0.0
        minute += gap
        if action == "pause" and running:
            session.pause("reason", author=NURSE, now_utc=at(minute))
            running = False
        elif action == "resume" and not running:
            session.resume(new_rate, author=NURSE, now_utc=at(minute))
            rate, running = new_rate, True
        elif action == "rate" and running and new_rate != rate:
            session.change_rate(new_rate, "titration", author=NURSE, now_utc=at(minute))
            rate = new_rate
    expected += rate * 5 / 60.0 if running else 0.0
    return session, minute + 5, expected


@settings(max_examples=60, deadline=None)
@given(steps)
def test_delivered_dose_equals_the_hand_sum_of_rate_times_time(plan: list[tuple[str, float, float]]) -> None:
    session, end, expected = _play(plan)
    # Times are stored to the microsecond, so the sums agree to well under a microgram.
    assert session.delivered_mg(at(end)) == pytest.approx(expected, rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(steps, st.floats(0, 200), st.floats(0, 200))
def test_delivered_dose_never_decreases_over_time(plan: list[tuple[str, float, float]], a: float, b: float) -> None:
    session, _end, _ = _play(plan)
    early, late = sorted((a, b))
    assert session.delivered_mg(at(early)) <= session.delivered_mg(at(late)) + 1e-12
    assert session.delivered_mg(at(0)) == 0.0
