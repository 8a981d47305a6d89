"""The clinic outcomes report through the services on SQLite and PostgreSQL, over a small clinic computed by hand.

The clinic: a PHQ-9 baseline of 20 for everyone at T0 (the clock's start), the infusions at T0 + 2 h on the days
given, each later score at T0 + 2 h on its day; the series = the infusions within 21 days (the dashboard default).

- responder (TRD): infusions days 0 and 3; PHQ-9 11 at 24 h (45 %: no response), 8 on day 4 after the series
  (60 %: response), then 12 (day 10) and 14 (day 12): a relapse 7 days after the series;
- non-responder (MDD): infusions days 0 and 3 (stopped at 20 min); 15 at 24 h, 14 on day 4: no response;
- missing (TRD): infusions days 0, 3 and 5; no score after the baseline: missing after both;
- remitter (TRD): infusions days 0 (2 side effects charted) and 3; 4 at 24 h (response, remission: < 5),
  3 on day 4 (response, remission), 4 on day 9: censored 6 days after the series.

Response = a reduction of at least 50 %: (20 - 10) * 100 >= 50 * 20. Remission (PHQ-9) = a total below 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from ketaflow.domain.access import Role
from ketaflow.domain.basis import RuleRef
from ketaflow.domain.errors import AccessDenied, InputError
from ketaflow.domain.outcomes import Rate
from ketaflow.domain.questionnaires import ScaleResponse
from ketaflow.domain.scales import Respondent
from ketaflow.domain.sessions import Author, InfusionSession
from ketaflow.services import courses, orders, outcomes, questionnaires, screening
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor
from ketaflow.services.outcomes import SeriesBoundary, clinic_outcomes_csv, get_clinic_outcomes
from ketaflow.services.ports import AuditQuery
from tests.fakes import FakeClock
from tests.session_setup import pre_infusion_intake, prepare_patient_for_session, store_session

DIRECTOR = Actor(uuid4(), "medicaldirector", Role.MEDICAL_DIRECTOR)
NURSE = Actor(uuid4(), "nurse", Role.NURSE)
CONSOLE = Actor.system("test")
NURSE_AUTHOR = Author("nurse", "nurse")
FIRST_INFUSION_DAY = date(2026, 11, 25)  # FakeClock starts 2026-11-25 14:00 UTC; first infusions at 16:00


def phq9(total: int) -> dict[str, int]:
    """PHQ-9 answers adding up to ``total`` (at most 24), item 9 (self-harm) always 0."""
    answers = {f"q{i}": 0 for i in range(1, 10)}
    for i in range(1, 9):
        answers[f"q{i}"] = min(3, total - sum(answers.values()))
    assert sum(answers.values()) == total
    return answers


@dataclass
class Infusion:
    day: int
    stopped_after_min: float | None = None  # None: completed after 40 min (35 mg of 52.5 mg/h = 0.5 mg/kg)
    side_effects: int = 0


@dataclass
class PatientPlan:
    name: str
    infusions: list[Infusion]
    scores: dict[float, int]  # day after T0 (at T0 + day + 2 h) -> PHQ-9 total; baseline 20 at T0
    indication: str = "treatment_resistant_depression"


CLINIC = (
    PatientPlan("Responder", [Infusion(0), Infusion(3)], {1: 11, 4: 8, 10: 12, 12: 14}),
    PatientPlan(
        "Nonresponder",
        [Infusion(0), Infusion(3, stopped_after_min=20)],
        {1: 15, 4: 14},
        indication="major_depressive_disorder",
    ),
    PatientPlan("Missing", [Infusion(0), Infusion(3), Infusion(5)], {}),
    PatientPlan("Remitter", [Infusion(0, side_effects=2), Infusion(3)], {1: 4, 4: 3, 9: 4}),
)


def _infuse(svc: AppServices, patient_id: UUID, order_id: UUID, started_at: datetime, plan: Infusion) -> None:
    """A session started at ``started_at`` that completes after 40 min or stops early (arranged in storage)."""
    order = orders.get_order(svc, CONSOLE, order_id)
    session_id = store_session(svc, patient_id, order, chair=uuid4().hex[:6], started_at=started_at)
    with svc.uow_factory() as uow:
        session = InfusionSession(uow.infusions.load_events(session_id))
        for minute in range(plan.side_effects):
            at = started_at + timedelta(minutes=5 + minute)
            session.record_side_effect("nausea", "mild", "", author=NURSE_AUTHOR, now_utc=at, at_utc=at)
        if plan.stopped_after_min is None:
            end = started_at + timedelta(minutes=40)
            session.complete(author=NURSE_AUTHOR, now_utc=end, at_utc=end)
        else:
            end = started_at + timedelta(minutes=plan.stopped_after_min)
            session.stop("agitation", author=NURSE_AUTHOR, now_utc=end, at_utc=end)
        uow.infusions.append_events(session_id, session.pending)
        uow.commit()


def build_clinic(svc: AppServices, clock: FakeClock, plans: tuple[PatientPlan, ...] = CLINIC) -> dict[str, UUID]:
    """The clinic of the module docstring, through the services; the clock ends 30 days after T0."""
    t0 = clock.now()
    ids: dict[str, UUID] = {}
    for plan in plans:
        patient_id, order_id = prepare_patient_for_session(svc, family_name=plan.name, given_names="Test")
        if plan.indication != "treatment_resistant_depression":
            intake = {**pre_infusion_intake(svc), "indication": plan.indication}
            screening.record_screening(svc, CONSOLE, patient_id, intake, purpose="intake", codes=svc.codes)
        questionnaires.record_response(svc, NURSE, patient_id, "phq9", phq9(20))
        for infusion in plan.infusions:
            _infuse(svc, patient_id, order_id, t0 + timedelta(days=infusion.day, hours=2), infusion)
        ids[plan.name] = patient_id
    for day in sorted({day for plan in plans for day in plan.scores}):
        clock.current = t0 + timedelta(days=day, hours=2)
        for plan in plans:
            if day in plan.scores:
                questionnaires.record_response(svc, NURSE, ids[plan.name], "phq9", phq9(plan.scores[day]))
    clock.current = t0 + timedelta(days=30)
    return ids


# --- the whole clinic ----------------------------------------------------------------------------------------


def test_rates_count_known_results_and_missing_ones_exactly(services: AppServices, clock: FakeClock) -> None:
    build_clinic(services, clock)

    report = get_clinic_outcomes(services, DIRECTOR)

    [phq] = report.summary.by_instrument
    assert (report.summary.patients, phq.instrument, phq.patients) == (4, "phq9", 4)
    assert phq.response_after_first_infusion == Rate(numerator=1, denominator=3, missing=1)  # only the remitter
    assert phq.remission_after_first_infusion == Rate(numerator=1, denominator=3, missing=1)  # 4 < 5
    assert phq.response_after_series == Rate(numerator=2, denominator=3, missing=1)  # responder and remitter
    assert phq.remission_after_series == Rate(numerator=1, denominator=3, missing=1)
    assert phq.response_after_series.value_counting_missing_as_failures == pytest.approx(2 / 4, abs=1e-12)


def test_time_to_relapse_has_the_responders_relapse_and_the_remitters_censoring(
    services: AppServices, clock: FakeClock
) -> None:
    build_clinic(services, clock)

    curve = get_clinic_outcomes(services, DIRECTOR).summary.by_instrument[0].relapse

    # Remitter censored 6 days after the series (day 9 - day 3); responder relapses 7 days after it (day 10).
    assert curve.times_days == pytest.approx((6.0, 7.0), abs=1e-9)
    assert (curve.at_risk, curve.events, curve.censored) == ((2, 1), (0, 1), (1, 0))
    assert curve.survival == pytest.approx((1.0, 0.0), abs=1e-12)
    assert curve.median_days == pytest.approx(7.0, abs=1e-9)


def test_adverse_events_early_stops_and_exposure_are_counted_over_infusions(
    services: AppServices, clock: FakeClock
) -> None:
    build_clinic(services, clock)

    report = get_clinic_outcomes(services, DIRECTOR)

    summary = report.summary
    assert summary.patients_with_adverse_events == Rate(numerator=1, denominator=4, missing=0)
    assert summary.adverse_events == 2
    assert summary.early_stops == Rate(numerator=1, denominator=9, missing=0)
    assert summary.infusions_per_patient is not None
    infusions = summary.infusions_per_patient
    assert (infusions.median, infusions.minimum, infusions.maximum, infusions.total) == (2, 2, 3, 9)
    dose = report.dose_mg_per_kg_per_infusion  # 35 mg / 70 kg; the stopped one 17.5 mg / 70 kg
    assert dose is not None
    assert (dose.patients, dose.median, dose.minimum, dose.maximum) == pytest.approx((9, 0.5, 0.25, 0.5), abs=1e-9)


# --- filters -------------------------------------------------------------------------------------------------


def test_the_indication_filter_leaves_the_other_indication_out(services: AppServices, clock: FakeClock) -> None:
    build_clinic(services, clock)

    report = get_clinic_outcomes(services, DIRECTOR, indication="treatment_resistant_depression")

    [phq] = report.summary.by_instrument
    assert report.summary.patients == 3  # the non-responder's latest intake says MDD
    assert phq.response_after_first_infusion == Rate(numerator=1, denominator=2, missing=1)
    assert phq.response_after_series == Rate(numerator=2, denominator=2, missing=1)
    assert report.summary.early_stops == Rate(numerator=0, denominator=7, missing=0)


@pytest.mark.parametrize(
    ("period", "patients"),
    [
        ((FIRST_INFUSION_DAY, FIRST_INFUSION_DAY), 2),
        ((FIRST_INFUSION_DAY - timedelta(days=30), FIRST_INFUSION_DAY - timedelta(days=1)), 0),
        ((FIRST_INFUSION_DAY + timedelta(days=1), FIRST_INFUSION_DAY + timedelta(days=30)), 0),
        ((FIRST_INFUSION_DAY, date.max), 2),
        ((date.min, FIRST_INFUSION_DAY - timedelta(days=1)), 0),
    ],
    ids=["that day only", "ends the day before", "starts the day after", "open end from that day", "open start"],
)
def test_the_period_applies_inclusively_to_the_day_of_the_first_infusion(
    services: AppServices, clock: FakeClock, period: tuple[date, date], patients: int
) -> None:
    build_clinic(services, clock, CLINIC[:1] + CLINIC[3:])  # the responder and the remitter

    report = get_clinic_outcomes(services, DIRECTOR, period=period)

    assert report.summary.patients == patients


def test_an_unknown_indication_or_a_reversed_period_is_refused(services: AppServices) -> None:
    with pytest.raises(InputError) as unknown:
        get_clinic_outcomes(services, DIRECTOR, indication="hiccups")
    with pytest.raises(InputError) as reversed_period:
        get_clinic_outcomes(services, DIRECTOR, period=(date(2026, 12, 2), date(2026, 12, 1)))

    assert (unknown.value.field, reversed_period.value.field) == ("indication", "period")


# --- the induction series --------------------------------------------------------------------------------------


def test_before_the_21_day_window_closes_the_series_outcome_is_missing_and_after_it_is_known(
    services: AppServices, clock: FakeClock
) -> None:
    build_clinic(services, clock, CLINIC[:1])
    closes = datetime.combine(FIRST_INFUSION_DAY, datetime.min.time(), UTC) + timedelta(hours=16, days=21)

    clock.current = closes - timedelta(minutes=1)
    before = get_clinic_outcomes(services, DIRECTOR)
    clock.current = closes
    after = get_clinic_outcomes(services, DIRECTOR)

    assert before.summary.by_instrument[0].response_after_series == Rate(numerator=0, denominator=0, missing=1)
    assert (before.series.not_ended, before.series.by_window) == (1, 0)
    assert after.summary.by_instrument[0].response_after_series == Rate(numerator=1, denominator=1, missing=0)
    assert (after.series.not_ended, after.series.by_window) == (0, 1)


def test_a_course_plan_of_six_infusions_leaves_a_two_infusion_series_unended(
    services: AppServices, clock: FakeClock
) -> None:
    ids = build_clinic(services, clock, CLINIC[:1])
    courses.start_course(
        services, CONSOLE, ids["Responder"], "depression_induction_maintenance", "2026-11-25", "induction"
    )

    report = get_clinic_outcomes(services, DIRECTOR)

    assert report.summary.by_instrument[0].response_after_series == Rate(numerator=0, denominator=0, missing=1)
    assert (report.series.by_course_plan, report.series.by_window, report.series.not_ended) == (0, 0, 1)


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 1, 1, hour, tzinfo=UTC) + timedelta(days=day)


@pytest.mark.parametrize(
    ("boundary", "infusion_days", "now_day", "end_day"),
    [
        (SeriesBoundary(window_days=21), [0, 3, 21], 30, 21),  # an infusion exactly 21 days in is in the series
        (SeriesBoundary(window_days=21), [0, 3, 22], 30, 3),  # a day later it is not
        (SeriesBoundary(window_days=21), [0, 3], 20, None),  # the window has not closed
        (SeriesBoundary(infusions=6), [0, 2, 4, 7, 9, 11, 14], 15, 11),  # the sixth infusion ends it
        (SeriesBoundary(infusions=6), [0, 2, 4, 7, 9], 60, None),  # five of six: not ended (or cut short)
    ],
    ids=["window includes day 21", "window excludes day 22", "window open", "sixth infusion", "five of six"],
)
def test_the_series_ends_at_the_last_infusion_inside_its_boundary(
    boundary: SeriesBoundary, infusion_days: list[int], now_day: int, end_day: int | None
) -> None:
    times = [_at(day) for day in infusion_days]

    end = boundary.find_end(times, _at(now_day))

    assert end == (None if end_day is None else _at(end_day))


# --- the instrument each patient counts on ---------------------------------------------------------------------


def _response(instrument: str, total: int, at: datetime) -> ScaleResponse:
    return ScaleResponse(
        id=uuid4(),
        patient_id=uuid4(),
        instrument=instrument,
        rules=RuleRef(instrument, "test"),
        items={},
        total=total,
        band=None,
        flags=(),
        respondent=Respondent.CLINICIAN,
        answered_at_utc=at,
        recorded_by="test",
    )


@pytest.mark.parametrize(
    ("responses", "expected"),
    [
        ([_response("madrs", 30, _at(0, 8)), _response("phq9", 15, _at(1, 8))], "madrs"),  # PHQ-9 has no baseline
        ([_response("madrs", 30, _at(0, 8)), _response("phq9", 15, _at(0, 8))], "phq9"),  # both: PHQ-9 first
        ([_response("qids_sr16", 12, _at(2)), _response("madrs", 30, _at(3))], "madrs"),  # no baseline: order
        ([], "phq9"),  # no score at all: PHQ-9, where the patient counts as missing
    ],
    ids=["only madrs has a baseline", "both have one", "neither has one", "no scores"],
)
def test_each_patient_counts_on_one_instrument(responses: list[ScaleResponse], expected: str) -> None:
    definitions = questionnaires.load_outcome_definitions()

    chosen = outcomes.choose_instrument(definitions, outcomes.load_dashboard_rules(), responses, [_at(0)])

    assert chosen == expected


# --- banner, audit, access, CSV --------------------------------------------------------------------------------


def test_synthetic_patients_are_counted_for_the_banner(services: AppServices, clock: FakeClock) -> None:
    ids = build_clinic(services, clock, CLINIC[:2])
    with services.uow_factory() as uow:
        uow.courses.mark_synthetic(ids["Responder"], clock.now(), "test", 7)
        uow.commit()

    everyone = get_clinic_outcomes(services, DIRECTOR)
    without = get_clinic_outcomes(services, DIRECTOR, indication="major_depressive_disorder")

    assert (everyone.synthetic_patients, everyone.includes_synthetic_data) == (1, True)
    assert (without.synthetic_patients, without.includes_synthetic_data) == (0, False)


def test_the_report_is_audited_as_one_read_without_a_patient(services: AppServices, clock: FakeClock) -> None:
    build_clinic(services, clock, CLINIC[:1])

    get_clinic_outcomes(services, DIRECTOR, indication="treatment_resistant_depression", export="csv")

    with services.uow_factory() as uow:
        events = uow.audit.query(AuditQuery(action="clinic_report.read"))
    [event] = events
    assert event.entry.patient_id is None
    assert event.entry.actor_username == "medicaldirector"
    assert event.entry.detail == (
        "indication treatment_resistant_depression; first infusion all dates; 1 patient(s), aggregate only; as CSV"
    )


def test_a_nurse_may_not_read_the_clinic_report(services: AppServices) -> None:
    with pytest.raises(AccessDenied):
        get_clinic_outcomes(services, NURSE)


def test_the_csv_has_each_rate_with_its_counts_and_definition_and_no_patient_rows(
    services: AppServices, clock: FakeClock
) -> None:
    ids = build_clinic(services, clock)

    text = clinic_outcomes_csv(get_clinic_outcomes(services, DIRECTOR))

    lines = text.splitlines()
    assert lines[0].startswith("section,instrument,measure,value,numerator,denominator,missing,rate,")
    series_response = next(line for line in lines if ",response_after_series," in line)
    assert series_response.startswith("outcome,PHQ-9,response_after_series,,2,3,1,0.6667,0.5,")
    assert ",outcomes.phq9.response,ketaflow.outcomes,2026.11.0," in series_response
    assert "time_to_relapse,PHQ-9,kaplan_meier,,,,,,,7,1,1,0,0,0,0,outcomes.relapse," in text
    assert "no patient-level rows are exported" in text
    assert not any(str(patient_id) in text for patient_id in ids.values())
    assert not any(name in text for name in ("Responder", "Nonresponder", "Remitter"))
