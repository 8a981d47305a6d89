"""Clinic outcome summary: response and remission rates, time to relapse, adverse events, early stops, exposure.

Honest by construction: every rate carries its numerator, its denominator (patients with a known result) and
the number of eligible patients whose result is missing. A missing follow-up is never a responder: the summary
shows the observed rate and the rate that counts every missing patient as a non-responder.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from statistics import median

from ketaflow.domain.basis import JsonValue, RuleRef
from ketaflow.domain.errors import InputError
from ketaflow.domain.outcomes.definitions import OutcomeDefinitions
from ketaflow.domain.outcomes.kaplan_meier import KaplanMeierCurve, estimate_kaplan_meier
from ketaflow.domain.outcomes.patient import Assessment, PatientOutcome
from ketaflow.domain.outcomes.scores import check_utc


@dataclass(frozen=True, slots=True)
class Rate:
    """``numerator`` of ``denominator`` known results; ``missing`` eligible ones had no result.

    >>> rate = Rate.count([True, False, None, True])
    >>> rate.numerator, rate.denominator, rate.missing, rate.value, rate.value_counting_missing_as_failures
    (2, 3, 1, 0.6666666666666666, 0.5)
    """

    numerator: int
    denominator: int
    missing: int

    @classmethod
    def count(cls, results: Iterable[bool | None]) -> Rate:
        """Count yes (True), no (False) and missing (None) results."""
        listed = list(results)
        known = [result for result in listed if result is not None]
        return cls(numerator=sum(known), denominator=len(known), missing=len(listed) - len(known))

    @property
    def eligible(self) -> int:
        return self.denominator + self.missing

    @property
    def value(self) -> float | None:
        """The observed proportion; None when no result is known (never 0 %, never 100 %)."""
        return self.numerator / self.denominator if self.denominator else None

    @property
    def value_counting_missing_as_failures(self) -> float | None:
        """The proportion of all eligible patients: the lowest the true rate can be."""
        return self.numerator / self.eligible if self.eligible else None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "missing": self.missing,
            "eligible": self.eligible,
            "value": self.value,
            "value_counting_missing_as_failures": self.value_counting_missing_as_failures,
        }


@dataclass(frozen=True, slots=True)
class PatientCourseSummary:
    """What the clinic summary needs from one patient's course, on the patient's outcome instrument.

    ``after_first_infusion`` comes from ``evaluate_first_infusion_outcome`` and ``after_series`` from
    ``evaluate_patient_outcome(..., series_end=...)``; None means no outcome was computed (counted as missing).
    """

    patient_key: str
    indication: str
    instrument: str
    first_infusion_at: datetime
    after_first_infusion: PatientOutcome | None
    after_series: PatientOutcome | None
    infusions: int
    total_dose_mg_per_kg: float
    adverse_events: int
    early_stops: int

    @classmethod
    def create(
        cls,
        *,
        patient_key: str,
        indication: str,
        instrument: str,
        first_infusion_at: datetime,
        after_first_infusion: PatientOutcome | None,
        after_series: PatientOutcome | None,
        infusions: int,
        total_dose_mg_per_kg: float,
        adverse_events: int = 0,
        early_stops: int = 0,
    ) -> PatientCourseSummary:
        """A checked summary; InputError names the field that breaks its contract."""
        summary = cls(
            patient_key=patient_key,
            indication=indication,
            instrument=instrument,
            first_infusion_at=check_utc(first_infusion_at, "first_infusion_at"),
            after_first_infusion=after_first_infusion,
            after_series=after_series,
            infusions=infusions,
            total_dose_mg_per_kg=total_dose_mg_per_kg,
            adverse_events=adverse_events,
            early_stops=early_stops,
        )
        _check_patient(summary, "")
        return summary

    @property
    def relapse_duration_days(self) -> float | None:
        """Days from the end of the series to relapse or to the last score, for series responders only."""
        outcome = self.after_series
        return None if outcome is None or not outcome.responded else outcome.durability_days

    @property
    def relapsed(self) -> bool | None:
        """True: relapsed; False: censored (followed without relapse); None: not a series responder."""
        if self.relapse_duration_days is None:
            return None
        assert self.after_series is not None  # a duration exists only with a series outcome
        return self.after_series.relapsed_at is not None


def _check_patient(patient: PatientCourseSummary, path: str) -> None:
    prefix = f"{path}." if path else ""
    if not patient.patient_key.strip():
        raise InputError(f"{prefix}patient_key", "a non-empty key", patient.patient_key)
    if not patient.indication.strip():
        raise InputError(f"{prefix}indication", "a non-empty indication", patient.indication)
    check_utc(patient.first_infusion_at, f"{prefix}first_infusion_at")
    for name in ("infusions", "adverse_events", "early_stops"):
        value = getattr(patient, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"{prefix}{name}", "a whole number, 0 or more", value)
    if patient.early_stops > patient.infusions:
        raise InputError(f"{prefix}early_stops", f"at most the number of infusions ({patient.infusions})", None)
    dose = patient.total_dose_mg_per_kg
    if not math.isfinite(dose) or dose < 0:
        raise InputError(f"{prefix}total_dose_mg_per_kg", "a finite number, 0 or more", dose)
    for name, assessment in (("after_first_infusion", Assessment.FIRST_INFUSION), ("after_series", Assessment.SERIES)):
        outcome: PatientOutcome | None = getattr(patient, name)
        if outcome is None:
            continue
        if outcome.instrument != patient.instrument:
            raise InputError(f"{prefix}{name}.instrument", f"the patient's instrument {patient.instrument}", None)
        if outcome.assessment is not assessment:
            raise InputError(f"{prefix}{name}.assessment", f"an outcome read {assessment.value}", None)


@dataclass(frozen=True, slots=True)
class Spread:
    """How a per-patient quantity is spread over the patients."""

    patients: int
    total: float
    mean: float
    median: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread | None:
        if not values:
            return None
        return cls(
            patients=len(values),
            total=math.fsum(values),
            mean=math.fsum(values) / len(values),
            median=float(median(values)),
            minimum=min(values),
            maximum=max(values),
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "patients": self.patients,
            "total": self.total,
            "mean": self.mean,
            "median": self.median,
            "minimum": self.minimum,
            "maximum": self.maximum,
        }


@dataclass(frozen=True, slots=True)
class DefinitionUsed:
    """A definition a rate was computed with: its rule id and its cited source."""

    rule_id: str
    source: str

    def to_json(self) -> dict[str, JsonValue]:
        return {"rule_id": self.rule_id, "source": self.source}


@dataclass(frozen=True, slots=True)
class InstrumentSummary:
    """Rates and time to relapse for the patients measured on one instrument."""

    instrument: str
    patients: int
    response_after_first_infusion: Rate
    remission_after_first_infusion: Rate
    response_after_series: Rate
    remission_after_series: Rate
    relapse: KaplanMeierCurve
    response_definition: DefinitionUsed
    remission_definition: DefinitionUsed
    relapse_definition: DefinitionUsed

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "instrument": self.instrument,
            "patients": self.patients,
            "response_after_first_infusion": self.response_after_first_infusion.to_json(),
            "remission_after_first_infusion": self.remission_after_first_infusion.to_json(),
            "response_after_series": self.response_after_series.to_json(),
            "remission_after_series": self.remission_after_series.to_json(),
            "relapse_after_series": self.relapse.to_json(),
            "definitions": {
                "response": self.response_definition.to_json(),
                "remission": self.remission_definition.to_json(),
                "relapse": self.relapse_definition.to_json(),
            },
        }


@dataclass(frozen=True, slots=True)
class ClinicOutcomeSummary:
    """The clinic's outcomes for one filter (indication, period of the first infusion)."""

    ref: RuleRef
    indication: str | None
    period: tuple[date, date] | None
    patients: int
    by_instrument: tuple[InstrumentSummary, ...]
    patients_with_adverse_events: Rate
    adverse_events: int
    early_stops: Rate
    infusions_per_patient: Spread | None
    dose_mg_per_kg_per_patient: Spread | None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "definitions": self.ref.to_json(),
            "filter": {
                "indication": self.indication,
                "period": None if self.period is None else [day.isoformat() for day in self.period],
                "period_applies_to": "date (UTC) of each patient's first infusion",
            },
            "patients": self.patients,
            "by_instrument": [summary.to_json() for summary in self.by_instrument],
            "patients_with_adverse_events": self.patients_with_adverse_events.to_json(),
            "adverse_events": self.adverse_events,
            "early_stops_per_infusion": self.early_stops.to_json(),
            "exposure": {
                "infusions_per_patient": None
                if self.infusions_per_patient is None
                else self.infusions_per_patient.to_json(),
                "dose_mg_per_kg_per_patient": None
                if self.dose_mg_per_kg_per_patient is None
                else self.dose_mg_per_kg_per_patient.to_json(),
            },
        }


def summarise_clinic(
    definitions: OutcomeDefinitions,
    patients: Sequence[PatientCourseSummary],
    *,
    indication: str | None = None,
    period: tuple[date, date] | None = None,
    clinic_zone: tzinfo = UTC,
) -> ClinicOutcomeSummary:
    """Rates, time-to-relapse curves, adverse events and exposure for the patients that match the filter.

    ``period`` is inclusive and applies to the clinic's date (in ``clinic_zone``) of each first infusion.
    """
    if period is not None and period[0] > period[1]:
        raise InputError("period", "a start on or before the end", f"{period[0]} to {period[1]}")
    for index, patient in enumerate(patients):
        _check_patient(patient, f"patients[{index}]")
        definitions.get_instrument(patient.instrument, field=f"patients[{index}].instrument")
        for name in ("after_first_infusion", "after_series"):
            outcome: PatientOutcome | None = getattr(patient, name)
            if outcome is not None and outcome.ref != definitions.ref:
                raise InputError(
                    f"patients[{index}].{name}",
                    f"an outcome computed with {definitions.ref.id} {definitions.ref.version}",
                    f"{outcome.ref.id} {outcome.ref.version}",
                )
    chosen = [patient for patient in patients if is_in_filter(patient, indication, period, clinic_zone)]
    instruments = sorted({patient.instrument for patient in chosen})
    return ClinicOutcomeSummary(
        ref=definitions.ref,
        indication=indication,
        period=period,
        patients=len(chosen),
        by_instrument=tuple(
            _summarise_instrument(definitions, key, [p for p in chosen if p.instrument == key]) for key in instruments
        ),
        patients_with_adverse_events=Rate.count(patient.adverse_events > 0 for patient in chosen),
        adverse_events=sum(patient.adverse_events for patient in chosen),
        early_stops=Rate(
            numerator=sum(patient.early_stops for patient in chosen),
            denominator=sum(patient.infusions for patient in chosen),
            missing=0,
        ),
        infusions_per_patient=Spread.of([float(patient.infusions) for patient in chosen]),
        dose_mg_per_kg_per_patient=Spread.of([patient.total_dose_mg_per_kg for patient in chosen]),
    )


def is_in_filter(
    patient: PatientCourseSummary,
    indication: str | None,
    period: tuple[date, date] | None,
    clinic_zone: tzinfo = UTC,
) -> bool:
    """The report's filter: the indication, and the inclusive period on the clinic's day of the first infusion."""
    if indication is not None and patient.indication != indication:
        return False
    day = check_utc(patient.first_infusion_at, "first_infusion_at").astimezone(clinic_zone).date()
    return period is None or period[0] <= day <= period[1]


def _summarise_instrument(
    definitions: OutcomeDefinitions, key: str, patients: Sequence[PatientCourseSummary]
) -> InstrumentSummary:
    instrument = definitions.get_instrument(key)
    first = [patient.after_first_infusion for patient in patients]
    series = [patient.after_series for patient in patients]
    followed = [
        (patient.relapse_duration_days, bool(patient.relapsed))
        for patient in patients
        if patient.relapse_duration_days is not None
    ]
    return InstrumentSummary(
        instrument=key,
        patients=len(patients),
        response_after_first_infusion=Rate.count(None if o is None else o.responded for o in first),
        remission_after_first_infusion=Rate.count(None if o is None else o.remitted for o in first),
        response_after_series=Rate.count(None if o is None else o.responded for o in series),
        remission_after_series=Rate.count(None if o is None else o.remitted for o in series),
        relapse=estimate_kaplan_meier([days for days, _ in followed], [event for _, event in followed]),
        response_definition=DefinitionUsed(instrument.response.basis.rule_id, instrument.response.basis.source),
        remission_definition=DefinitionUsed(instrument.remission.basis.rule_id, instrument.remission.basis.source),
        relapse_definition=DefinitionUsed(definitions.relapse.basis.rule_id, definitions.relapse.basis.source),
    )
