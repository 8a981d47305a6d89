"""The clinic outcomes report (issue 7): response, remission, time to relapse, adverse events, early stops and
exposure over every patient with at least one infusion, filtered by indication and period, with a CSV export.

Aggregate only: the report, its page, its CSV and its PDF hold counts, rates and curves, never a patient-level row.
It is read by the people accountable for the service (``Permission.CLINIC_REPORT_READ``) and audited as one read,
``clinic_report.read``, without a patient id.

Per patient the service gathers what the domain's ``PatientCourseSummary`` needs: the infusions (sessions that
started, with the mg/kg delivered, side effects and early stops), the scores of one instrument, the indication of
the latest intake screening, and where the induction series ends — the first phase of the patient's course plan
when there is one, else the window of ``rules/outcomes/dashboard.json`` (a labelled ketaflow default).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from uuid import UUID
from zoneinfo import ZoneInfo

from ketaflow.domain.access import Permission
from ketaflow.domain.audit import ActionCode
from ketaflow.domain.basis import RuleRef
from ketaflow.domain.course import CoursePlan
from ketaflow.domain.errors import InputError
from ketaflow.domain.outcomes import (
    ClinicOutcomeSummary,
    DefinitionUsed,
    KaplanMeierCurve,
    OutcomeDefinitions,
    PatientCourseSummary,
    PatientOutcome,
    Rate,
    Spread,
    evaluate_first_infusion_outcome,
    evaluate_patient_outcome,
    is_in_filter,
    summarise_clinic,
)
from ketaflow.domain.questionnaires import ScaleResponse
from ketaflow.domain.ruledata.fields import JsonFields, format_utc, rule_data_error
from ketaflow.domain.ruledata.rulebasis import SourceRegistry
from ketaflow.domain.screening.records import Purpose
from ketaflow.domain.screening.vocabulary import Indication
from ketaflow.domain.sessions import EventKind, InfusionSession
from ketaflow.rules import load_rule_file
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, record_audit, require
from ketaflow.services.courses import list_course_plans
from ketaflow.services.ports import UnitOfWork
from ketaflow.services.questionnaires import list_started_sessions, load_outcome_definitions, score_points

# A patient whose latest intake screening names no indication (or who has none) is reported under this key.
INDICATION_NOT_RECORDED = "not_recorded"
_PARAMETER_KEYS = frozenset({"sources", "confidence", "notes"})
_MAX_WINDOW_DAYS = 366


# --- the dashboard's rule data -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DashboardRules:
    """``rules/outcomes/dashboard.json``: the series window without a course plan and the instrument order."""

    ref: RuleRef
    series_window_days: int
    series_source: str
    instrument_order: tuple[str, ...]
    instrument_source: str

    @classmethod
    def from_dict(cls, data: Mapping[str, object], instruments: Sequence[str]) -> DashboardRules:
        """Check the file once; ``instruments`` are the outcome definitions' (each named one must be there)."""
        f = JsonFields.of(data, "", rule_data_error)
        f.check_keys({"id", "version", "title", "notes", "sources", "series_without_course", "instrument_order"})
        sources = SourceRegistry.from_fields(f.get_object("sources"))
        series = f.get_object("series_without_course")
        series.check_keys({"window_days", *_PARAMETER_KEYS})
        order = f.get_object("instrument_order")
        order.check_keys({"instruments", *_PARAMETER_KEYS})
        keys = order.get_strs("instruments")
        if not keys or len(set(keys)) != len(keys):
            raise order.fail("instruments", "at least one instrument, each named once", list(keys))
        for key in keys:
            if key not in instruments:
                raise order.fail(
                    "instruments", "instruments of the outcome definitions: " + ", ".join(instruments), key
                )
        return cls(
            ref=RuleRef(f.get_str("id"), f.get_str("version")),
            series_window_days=series.get_int("window_days", low=1, high=_MAX_WINDOW_DAYS),
            series_source=sources.cite(series),
            instrument_order=keys,
            instrument_source=sources.cite(order),
        )


@cache
def load_dashboard_rules() -> DashboardRules:
    """The shipped dashboard rules, parsed and checked once per process."""
    return DashboardRules.from_dict(load_rule_file("outcomes", "dashboard"), load_outcome_definitions().instruments)


def _course_plan(plan_id: str) -> CoursePlan | None:
    """A shipped course plan by id; None for a plan this installation no longer ships (its series is not known)."""
    return next((plan for plan in list_course_plans() if plan.ref.id == plan_id), None)


# --- the induction series -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeriesBoundary:
    """How one patient's induction series is bounded: by a course plan's first N infusions, or by the window."""

    infusions: int | None = None  # from the course plan's first phase
    window_days: int | None = None  # the dashboard default

    def find_end(self, infusion_times: Sequence[datetime], now: datetime) -> datetime | None:
        """The last infusion of the series, or None while the series has not ended (or was cut short).

        >>> from datetime import UTC
        >>> day = lambda d: datetime(2026, 1, d, 9, tzinfo=UTC)
        >>> SeriesBoundary(infusions=2).find_end([day(1), day(3), day(5)], day(20)).day
        3
        >>> SeriesBoundary(infusions=4).find_end([day(1), day(3), day(5)], day(20)) is None
        True
        >>> SeriesBoundary(window_days=7).find_end([day(1), day(8), day(9)], day(20)).day
        8
        >>> SeriesBoundary(window_days=7).find_end([day(1), day(3)], day(7)) is None
        True
        """
        times = sorted(infusion_times)
        if not times:
            return None
        if self.infusions is not None:
            return times[self.infusions - 1] if len(times) >= self.infusions else None
        assert self.window_days is not None  # a boundary has one or the other (see series_boundary)
        closes = times[0] + timedelta(days=self.window_days)
        if now < closes:
            return None
        return [moment for moment in times if moment <= closes][-1]


@dataclass(frozen=True, slots=True)
class SeriesUse:
    """How the series ends were found across the report's patients (shown beside the rates)."""

    by_course_plan: int
    by_window: int
    not_ended: int
    window_days: int
    window_source: str


# --- the report -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClinicOutcomes:
    """The clinic outcomes report: the domain's summary plus what only the service knows (exposure per infusion,
    how series were bounded, whether synthetic demo patients are included)."""

    summary: ClinicOutcomeSummary
    definitions: OutcomeDefinitions
    rules: DashboardRules
    dose_mg_per_kg_per_infusion: Spread | None
    series: SeriesUse
    synthetic_patients: int
    generated_at_utc: datetime

    @property
    def includes_synthetic_data(self) -> bool:
        return self.synthetic_patients > 0

    def instrument_label(self, key: str) -> str:
        return self.definitions.get_instrument(key).label

    @property
    def instrument_order_labels(self) -> tuple[str, ...]:
        return tuple(self.instrument_label(key) for key in self.rules.instrument_order)


@dataclass(frozen=True, slots=True)
class _PatientRecord:
    """One patient's course as the report reads it (kept inside this module: never shown or exported)."""

    summary: PatientCourseSummary
    dose_mg_per_kg_per_infusion: tuple[float, ...]
    series_by_course_plan: bool
    series_ended: bool
    synthetic: bool


def check_indication(indication: str | None) -> str | None:
    """An indication filter: one of the screening vocabulary's indications or ``not_recorded``; empty = all."""
    if indication is None or indication == "":
        return None
    allowed = [member.value for member in Indication] + [INDICATION_NOT_RECORDED]
    if indication not in allowed:
        raise InputError("indication", "one of " + ", ".join(allowed), indication)
    return indication


def get_clinic_outcomes(
    svc: AppServices,
    actor: Actor,
    *,
    indication: str | None = None,
    period: tuple[date, date] | None = None,
    export: str = "",
) -> ClinicOutcomes:
    """The clinic's outcomes for the filter (``period``: inclusive, on the clinic's date of each first infusion).

    Audited as one read (``clinic_report.read``, no patient id); ``export`` ("csv", "pdf") says how it left.
    """
    require(actor, Permission.CLINIC_REPORT_READ)
    chosen_indication = check_indication(indication)
    if period is not None and period[0] > period[1]:
        raise InputError("period", "a start on or before the end", f"{period[0]} to {period[1]}")
    definitions, rules = load_outcome_definitions(), load_dashboard_rules()
    now = svc.clock.now()
    with svc.uow_factory() as uow:
        records = _read_patients(uow, definitions, rules, now)
        zone = ZoneInfo(svc.clinic_timezone)
        summary = summarise_clinic(
            definitions, [r.summary for r in records], indication=chosen_indication, period=period, clinic_zone=zone
        )
        record_audit(
            uow,
            svc.clock,
            actor,
            "clinic_report.read",
            ActionCode.READ,
            resource_type="ClinicOutcomeReport",
            detail=_audit_detail(chosen_indication, period, summary.patients, export),
        )
        uow.commit()
    chosen = [r for r in records if is_in_filter(r.summary, chosen_indication, period, zone)]
    assert len(chosen) == summary.patients  # the same filter as summarise_clinic's; a drift would misreport
    return ClinicOutcomes(
        summary=summary,
        definitions=definitions,
        rules=rules,
        dose_mg_per_kg_per_infusion=Spread.of([dose for r in chosen for dose in r.dose_mg_per_kg_per_infusion]),
        series=SeriesUse(
            by_course_plan=sum(1 for r in chosen if r.series_by_course_plan and r.series_ended),
            by_window=sum(1 for r in chosen if not r.series_by_course_plan and r.series_ended),
            not_ended=sum(1 for r in chosen if not r.series_ended),
            window_days=rules.series_window_days,
            window_source=rules.series_source,
        ),
        synthetic_patients=sum(1 for r in chosen if r.synthetic),
        generated_at_utc=now,
    )


def _audit_detail(indication: str | None, period: tuple[date, date] | None, patients: int, export: str) -> str:
    when = "all dates" if period is None else f"{_bound(period[0])}..{_bound(period[1])}"
    shown = f"as {export.upper()}" if export else "on screen"
    return f"indication {indication or 'all'}; first infusion {when}; {patients} patient(s), aggregate only; {shown}"


def _bound(day: date) -> str:
    """An open end of a period (date.min or date.max) is shown empty."""
    return "" if day in (date.min, date.max) else day.isoformat()


def _read_patients(
    uow: UnitOfWork, definitions: OutcomeDefinitions, rules: DashboardRules, now: datetime
) -> list[_PatientRecord]:
    synthetic = uow.courses.synthetic_patient_ids()
    records: list[_PatientRecord] = []
    for patient_id in uow.infusions.list_patient_ids_with_sessions():
        infusions = list_started_sessions(uow, patient_id)
        if not infusions:
            continue
        records.append(_read_patient(uow, patient_id, infusions, definitions, rules, now, synthetic=synthetic))
    return records


def _read_patient(
    uow: UnitOfWork,
    patient_id: UUID,
    infusions: list[tuple[datetime, InfusionSession]],
    definitions: OutcomeDefinitions,
    rules: DashboardRules,
    now: datetime,
    *,
    synthetic: set[UUID],
) -> _PatientRecord:
    times = [started for started, _ in infusions]
    sessions = [session for _, session in infusions]
    responses = uow.questionnaires.list_responses(patient_id)
    instrument = choose_instrument(definitions, rules, responses, times)
    points = score_points(responses, instrument)
    boundary = series_boundary(uow, patient_id, rules)
    series_end = boundary.find_end(times, now)
    first = evaluate_first_infusion_outcome(definitions, instrument=instrument, scores=points, infusion_times=times)
    after_series: PatientOutcome | None = None
    if series_end is not None:
        after_series = evaluate_patient_outcome(
            definitions, instrument=instrument, scores=points, infusion_times=times, series_end=series_end
        )
    doses = tuple(_dose_mg_per_kg(session, now) for session in sessions)
    summary = PatientCourseSummary.create(
        patient_key=str(patient_id),
        indication=_indication(uow, patient_id),
        instrument=instrument,
        first_infusion_at=times[0],
        after_first_infusion=first,
        after_series=after_series,
        infusions=len(sessions),
        total_dose_mg_per_kg=sum(doses),
        adverse_events=sum(len(session.of_kind(EventKind.SIDE_EFFECT)) for session in sessions),
        early_stops=sum(1 for session in sessions if session.ended_early),
    )
    return _PatientRecord(
        summary=summary,
        dose_mg_per_kg_per_infusion=doses,
        series_by_course_plan=boundary.infusions is not None,
        series_ended=series_end is not None,
        synthetic=patient_id in synthetic,
    )


def choose_instrument(
    definitions: OutcomeDefinitions,
    rules: DashboardRules,
    responses: Sequence[ScaleResponse],
    infusion_times: Sequence[datetime],
) -> str:
    """The one instrument a patient is summarised on (dashboard.json ``instrument_order``): the first with a
    baseline score, else the first with any score, else the first in the order (where the patient counts as missing).
    """
    scored = [key for key in rules.instrument_order if score_points(responses, key)]
    for key in scored:
        outcome = evaluate_first_infusion_outcome(
            definitions, instrument=key, scores=score_points(responses, key), infusion_times=infusion_times
        )
        if outcome.baseline is not None:
            return key
    return scored[0] if scored else rules.instrument_order[0]


def series_boundary(uow: UnitOfWork, patient_id: UUID, rules: DashboardRules) -> SeriesBoundary:
    """The first phase of the plan of the patient's first course, when it has a fixed number of infusions;
    otherwise the dashboard's window (a ketaflow default)."""
    courses = uow.courses.list_courses(patient_id)
    plan = _course_plan(courses[0].plan_id) if courses else None
    if plan is not None and plan.phases and plan.phases[0].infusions is not None:
        return SeriesBoundary(infusions=plan.phases[0].infusions)
    return SeriesBoundary(window_days=rules.series_window_days)


def _indication(uow: UnitOfWork, patient_id: UUID) -> str:
    """The indication of the patient's latest intake screening."""
    intakes = [s for s in uow.screenings.list_screenings(patient_id) if s.purpose is Purpose.INTAKE]
    value = intakes[-1].intake.get("indication") if intakes else None
    return value if isinstance(value, str) and value.strip() else INDICATION_NOT_RECORDED


def _dose_mg_per_kg(session: InfusionSession, now: datetime) -> float:
    """What the pump delivered (to the end of the infusion, or until now while it runs) per kg of dosing weight."""
    header = session.header
    weight_kg = header.dosing_weight_kg or header.weight_kg
    return session.delivered_mg(session.ended_at_utc or now) / weight_kg


# --- CSV -----------------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "section",
    "instrument",
    "measure",
    "value",
    "numerator",
    "denominator",
    "missing",
    "rate",
    "rate_counting_missing_as_failures",
    "day",
    "at_risk",
    "relapses",
    "censored",
    "survival",
    "ci_lower",
    "ci_upper",
    "rule_id",
    "rule_set",
    "rule_set_version",
    "source",
)
AGGREGATE_ONLY = "aggregate counts, rates and curves only: no patient-level rows are exported"


def clinic_outcomes_csv(outcomes: ClinicOutcomes) -> str:
    """The report as long-format CSV: report rows (filter, counts), one row per instrument x measure with its
    numerator, denominator, missing, rate and definition, the Kaplan-Meier table, safety and exposure rows.
    No patient-level rows are written (aggregate only)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in _csv_rows(outcomes):
        writer.writerow(row)
    return out.getvalue()


_CsvRow = dict[str, object]


def _csv_rows(outcomes: ClinicOutcomes) -> list[_CsvRow]:
    summary, ref = outcomes.summary, outcomes.summary.ref
    period = summary.period
    series = outcomes.series
    rows: list[_CsvRow] = [
        {"section": "report", "measure": "contents", "value": AGGREGATE_ONLY},
        {"section": "report", "measure": "generated_at_utc", "value": format_utc(outcomes.generated_at_utc)},
        {"section": "report", "measure": "indication", "value": summary.indication or "all"},
        {"section": "report", "measure": "first_infusion_from", "value": "" if period is None else _bound(period[0])},
        {"section": "report", "measure": "first_infusion_to", "value": "" if period is None else _bound(period[1])},
        {"section": "report", "measure": "patients", "value": summary.patients},
        {"section": "report", "measure": "synthetic_demo_patients", "value": outcomes.synthetic_patients},
        {"section": "series", "measure": "ended_by_course_plan", "value": series.by_course_plan},
        {
            "section": "series",
            "measure": "ended_by_window_days",
            "value": series.by_window,
            "day": series.window_days,
            "rule_set": outcomes.rules.ref.id,
            "rule_set_version": outcomes.rules.ref.version,
            "source": series.window_source,
        },
        {"section": "series", "measure": "not_ended_counted_missing", "value": series.not_ended},
    ]
    for instrument in summary.by_instrument:
        label = outcomes.instrument_label(instrument.instrument)
        rows.append({"section": "outcome", "instrument": label, "measure": "patients", "value": instrument.patients})
        measures = (
            ("response_after_first_infusion", instrument.response_after_first_infusion, instrument.response_definition),
            (
                "remission_after_first_infusion",
                instrument.remission_after_first_infusion,
                instrument.remission_definition,
            ),
            ("response_after_series", instrument.response_after_series, instrument.response_definition),
            ("remission_after_series", instrument.remission_after_series, instrument.remission_definition),
        )
        for measure, rate, definition in measures:
            rows.append(
                {
                    "section": "outcome",
                    "instrument": label,
                    "measure": measure,
                    **_rate_columns(rate),
                    "rule_id": definition.rule_id,
                    "rule_set": ref.id,
                    "rule_set_version": ref.version,
                    "source": definition.source,
                }
            )
        rows.extend(_relapse_rows(label, instrument.relapse, instrument.relapse_definition, ref))
    adverse = _rate_columns(summary.patients_with_adverse_events)
    rows.append({"section": "safety", "measure": "patients_with_adverse_events", **adverse})
    rows.append({"section": "safety", "measure": "adverse_events", "value": summary.adverse_events})
    rows.append({"section": "safety", "measure": "early_stops_per_infusion", **_rate_columns(summary.early_stops)})
    spreads = (
        ("dose_mg_per_kg_per_infusion", outcomes.dose_mg_per_kg_per_infusion),
        ("infusions_per_patient", summary.infusions_per_patient),
        ("total_dose_mg_per_kg_per_patient", summary.dose_mg_per_kg_per_patient),
    )
    for measure, spread in spreads:
        if spread is None:
            continue
        for name, value in (("median", spread.median), ("minimum", spread.minimum), ("maximum", spread.maximum)):
            rows.append({"section": "exposure", "measure": f"{measure}.{name}", "value": _number(value)})
    return rows


def _relapse_rows(label: str, curve: KaplanMeierCurve, definition: DefinitionUsed, ref: RuleRef) -> list[_CsvRow]:
    common: _CsvRow = {
        "section": "time_to_relapse",
        "instrument": label,
        "rule_id": definition.rule_id,
        "rule_set": ref.id,
        "rule_set_version": ref.version,
        "source": definition.source,
    }
    median = "" if curve.median_days is None else _number(curve.median_days)
    rows: list[_CsvRow] = [
        {**common, "measure": "series_responders_followed", "value": curve.patients},
        {**common, "measure": "median_days", "value": median},
    ]
    for index, day in enumerate(curve.times_days):
        rows.append(
            {
                **common,
                "measure": "kaplan_meier",
                "day": _number(day),
                "at_risk": curve.at_risk[index],
                "relapses": curve.events[index],
                "censored": curve.censored[index],
                "survival": _number(curve.survival[index]),
                "ci_lower": _number(curve.lower[index]),
                "ci_upper": _number(curve.upper[index]),
            }
        )
    return rows


def _rate_columns(rate: Rate) -> _CsvRow:
    return {
        "numerator": rate.numerator,
        "denominator": rate.denominator,
        "missing": rate.missing,
        "rate": "" if rate.value is None else _number(rate.value),
        "rate_counting_missing_as_failures": ""
        if rate.value_counting_missing_as_failures is None
        else _number(rate.value_counting_missing_as_failures),
    }


def _number(value: float) -> str:
    """Numbers in the CSV: up to 4 decimals, no trailing zeros (0.6667, 2, 18.5)."""
    return f"{round(value, 4):.10g}"
