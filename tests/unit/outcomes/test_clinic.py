"""Clinic summary: honest rates (numerator, denominator, missing), filters, relapse curve, adverse events, exposure."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.errors import InputError
from ketaflow.domain.outcomes import (
    PatientCourseSummary,
    PatientOutcome,
    Rate,
    ScorePoint,
    evaluate_first_infusion_outcome,
    evaluate_patient_outcome,
    is_in_filter,
    summarise_clinic,
)

from .builders import FIRST_INFUSION, SERIES_END, score, shipped_definitions, thrice_weekly_infusions

DEFINITIONS = shipped_definitions()
TRD = "treatment_resistant_depression"


def patient(
    key: str,
    scores: list[ScorePoint],
    *,
    instrument: str = "madrs",
    indication: str = TRD,
    days_later: int = 0,
    series: bool = True,
    infusions: int = 6,
    adverse_events: int = 0,
    early_stops: int = 0,
) -> PatientCourseSummary:
    """A thrice-weekly course; ``days_later`` moves only the recorded first-infusion date (for period filters)."""
    first = evaluate_first_infusion_outcome(
        DEFINITIONS, instrument=instrument, scores=scores, infusion_times=thrice_weekly_infusions()
    )
    after_series: PatientOutcome | None = (
        evaluate_patient_outcome(
            DEFINITIONS,
            instrument=instrument,
            scores=scores,
            infusion_times=thrice_weekly_infusions(),
            series_end=SERIES_END,
        )
        if series
        else None
    )
    return PatientCourseSummary.create(
        patient_key=key,
        indication=indication,
        instrument=instrument,
        first_infusion_at=FIRST_INFUSION + timedelta(days=days_later),
        after_first_infusion=first,
        after_series=after_series,
        infusions=infusions,
        total_dose_mg_per_kg=0.5 * infusions,
        adverse_events=adverse_events,
        early_stops=early_stops,
    )


def clinic() -> list[PatientCourseSummary]:
    base = score(-0.01, 30)
    return [
        # A: responds after the first infusion and after the series (remits, MADRS 8), relapses from day 19.
        patient("A", [base, score(1, 14), score(12, 8), score(19, 16), score(26, 18)], adverse_events=2),
        # B: no response either time.
        patient("B", [base, score(1, 20), score(12, 16)]),
        # C: never filled in a follow-up; stopped early at the second infusion.
        patient("C", [base], infusions=2, early_stops=1),
        # D: responds both times, followed without relapse to day 33 (censored 22 days after the series).
        patient("D", [base, score(1, 12), score(12, 12), score(33, 14)], adverse_events=1),
        # E: no baseline: not evaluable.
        patient("E", [score(1, 10), score(12, 8)]),
        # F: no response after the first infusion; the series outcome was never computed.
        patient("F", [base, score(1, 22)], series=False, infusions=3),
        # G: another indication and instrument.
        patient("G", [score(-0.01, 20), score(1, 8), score(12, 4)], instrument="phq9", indication="ptsd"),
        # H: first infusion in March.
        patient("H", [base, score(1, 10), score(12, 9)], days_later=60),
    ]


def test_rates_show_numerator_denominator_and_missing_never_counting_missing_as_response() -> None:
    summary = summarise_clinic(DEFINITIONS, clinic(), indication=TRD, period=(date(2026, 1, 1), date(2026, 1, 31)))

    (madrs,) = summary.by_instrument
    assert (summary.patients, madrs.instrument, madrs.patients) == (6, "madrs", 6)
    assert madrs.response_after_first_infusion == Rate(numerator=2, denominator=4, missing=2)  # A, D of A, B, D, F
    assert madrs.remission_after_first_infusion == Rate(numerator=0, denominator=4, missing=2)
    assert madrs.response_after_series == Rate(numerator=2, denominator=3, missing=3)  # C, E, F missing
    assert madrs.remission_after_series == Rate(numerator=1, denominator=3, missing=3)  # A (8 < 10)
    assert madrs.response_after_series.value == pytest.approx(2 / 3)
    assert madrs.response_after_series.value_counting_missing_as_failures == pytest.approx(2 / 6)


def test_time_to_relapse_is_estimated_over_the_series_responders() -> None:
    summary = summarise_clinic(DEFINITIONS, clinic(), indication=TRD, period=(date(2026, 1, 1), date(2026, 1, 31)))

    relapse = summary.by_instrument[0].relapse
    assert relapse.times_days == pytest.approx((8.0, 22.0))  # A relapsed day 19 (8 days), D censored day 33
    assert (relapse.events, relapse.censored, relapse.at_risk) == ((1, 0), (0, 1), (2, 1))
    assert relapse.median_days == pytest.approx(8.0)


def test_adverse_events_early_stops_and_exposure_are_counted_over_the_filtered_patients() -> None:
    summary = summarise_clinic(DEFINITIONS, clinic(), indication=TRD, period=(date(2026, 1, 1), date(2026, 1, 31)))

    assert summary.patients_with_adverse_events == Rate(numerator=2, denominator=6, missing=0)
    assert summary.adverse_events == 3
    assert summary.early_stops == Rate(numerator=1, denominator=6 + 6 + 2 + 6 + 6 + 3, missing=0)
    assert summary.infusions_per_patient is not None and summary.dose_mg_per_kg_per_patient is not None
    assert (summary.infusions_per_patient.total, summary.infusions_per_patient.median) == (29, 6)
    assert summary.dose_mg_per_kg_per_patient.maximum == pytest.approx(3.0)


def test_without_filters_every_instrument_is_summarised_separately() -> None:
    summary = summarise_clinic(DEFINITIONS, clinic())

    assert summary.patients == 8
    assert [(s.instrument, s.patients) for s in summary.by_instrument] == [("madrs", 7), ("phq9", 1)]
    assert summary.by_instrument[1].remission_after_series == Rate(1, 1, 0)


def test_the_period_is_inclusive_and_applies_to_the_first_infusion_date() -> None:
    patients = clinic()

    on_the_day = summarise_clinic(DEFINITIONS, patients, period=(date(2026, 1, 5), date(2026, 1, 5)))
    ending_the_day_before_h = summarise_clinic(DEFINITIONS, patients, period=(date(2026, 1, 6), date(2026, 3, 5)))
    ending_on_h = summarise_clinic(DEFINITIONS, patients, period=(date(2026, 1, 6), date(2026, 3, 6)))

    assert on_the_day.patients == 7
    assert ending_the_day_before_h.patients == 0
    assert ending_on_h.patients == 1  # H's first infusion: 5 January + 60 days = 6 March


def test_an_empty_selection_has_no_rates_rather_than_zero_percent() -> None:
    summary = summarise_clinic(DEFINITIONS, clinic(), indication="chronic_pain")

    assert (summary.patients, summary.by_instrument, summary.infusions_per_patient) == (0, (), None)
    assert summary.patients_with_adverse_events.value is None
    assert summary.early_stops.value is None


def test_the_summary_json_shows_denominators_definitions_and_the_filter() -> None:
    summary = summarise_clinic(DEFINITIONS, clinic(), indication=TRD, period=(date(2026, 1, 1), date(2026, 1, 31)))

    document = summary.to_json()

    assert document["filter"] == {
        "indication": TRD,
        "period": ["2026-01-01", "2026-01-31"],
        "period_applies_to": "date (UTC) of each patient's first infusion",
    }
    madrs = summary.by_instrument[0].to_json()
    assert madrs["response_after_series"] == {
        "numerator": 2,
        "denominator": 3,
        "missing": 3,
        "eligible": 6,
        "value": 2 / 3,
        "value_counting_missing_as_failures": 2 / 6,
    }
    assert madrs["definitions"] == {
        "response": {
            "rule_id": "outcomes.madrs.response",
            "source": DEFINITIONS.by_instrument["madrs"].response.basis.source,
        },
        "remission": {
            "rule_id": "outcomes.madrs.remission_below_10",
            "source": DEFINITIONS.by_instrument["madrs"].remission.basis.source,
        },
        "relapse": {"rule_id": "outcomes.relapse", "source": DEFINITIONS.relapse.basis.source},
    }


def test_a_patient_without_any_series_outcome_counts_as_missing() -> None:
    only = patient("F", [score(-0.01, 30), score(1, 22)], series=False)

    summary = summarise_clinic(DEFINITIONS, [only])

    assert summary.by_instrument[0].response_after_series == Rate(0, 0, 1)
    assert summary.by_instrument[0].response_after_series.value is None


@given(st.lists(st.one_of(st.none(), st.booleans()), max_size=30))
def test_counting_missing_as_failures_never_raises_the_rate(results: list[bool | None]) -> None:
    rate = Rate.count(results)

    assert rate.eligible == len(results)
    if rate.value is not None:
        assert rate.value_counting_missing_as_failures is not None
        assert rate.value_counting_missing_as_failures <= rate.value


# Input errors ----------------------------------------------------------------------------------------------------


def test_outcomes_computed_with_another_definition_version_are_refused() -> None:
    other = DEFINITIONS.select_remission("madrs", "trials_at_or_below_10")
    patients = clinic()[:1]

    with pytest.raises(InputError) as error:
        summarise_clinic(other, patients)

    assert error.value.field == "patients[0].after_first_infusion"


def test_selecting_the_already_selected_option_keeps_the_definitions() -> None:
    assert DEFINITIONS.select_remission("madrs", "hawley_below_10") is DEFINITIONS
    with pytest.raises(InputError, match="remission_option"):
        DEFINITIONS.select_remission("madrs", "below_12")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"early_stops": 7}, "early_stops"),
        ({"infusions": -1}, "infusions"),
        ({"adverse_events": True}, "adverse_events"),
        ({"total_dose_mg_per_kg": float("inf")}, "total_dose_mg_per_kg"),
        ({"patient_key": " "}, "patient_key"),
        ({"indication": ""}, "indication"),
        ({"instrument": "phq9"}, "after_first_infusion.instrument"),
    ],
    ids=[
        "early-stops-above-infusions",
        "negative",
        "bool",
        "infinite-dose",
        "blank-key",
        "blank-indication",
        "instrument",
    ],
)
def test_a_malformed_patient_summary_names_the_field(change: dict[str, object], field: str) -> None:
    good = clinic()[0]

    with pytest.raises(InputError) as error:
        # arg-type: the case table passes deliberately wrong field types.
        summarise_clinic(DEFINITIONS, [replace(good, **change)])  # type: ignore[arg-type]

    assert error.value.field == f"patients[0].{field}"


def test_an_outcome_read_at_the_wrong_point_is_refused() -> None:
    good = clinic()[0]

    with pytest.raises(InputError) as error:
        PatientCourseSummary.create(
            patient_key="A",
            indication=TRD,
            instrument="madrs",
            first_infusion_at=FIRST_INFUSION,
            after_first_infusion=good.after_series,
            after_series=None,
            infusions=6,
            total_dose_mg_per_kg=3.0,
        )

    assert error.value.field == "after_first_infusion.assessment"


def test_a_reversed_period_and_an_unknown_instrument_are_refused() -> None:
    good = clinic()[0]

    with pytest.raises(InputError, match="period"):
        summarise_clinic(DEFINITIONS, [good], period=(date(2026, 2, 1), date(2026, 1, 1)))
    with pytest.raises(InputError) as error:
        summarise_clinic(DEFINITIONS, [replace(good, instrument="hamd", after_first_infusion=None, after_series=None)])
    assert error.value.field == "patients[0].instrument"


def test_each_patient_states_their_relapse_follow_up_for_the_curve() -> None:
    a, b, _, d, *_ = clinic()

    assert a.relapse_duration_days == pytest.approx(8.0) and a.relapsed is True
    assert d.relapse_duration_days == pytest.approx(22.0) and d.relapsed is False  # censored
    assert (b.relapse_duration_days, b.relapsed) == (None, None)  # not a series responder


def test_the_period_is_read_on_the_clinics_day_not_the_utc_day() -> None:
    """20:00 UTC on 5 January is 05:00 on 6 January in Tokyo: a Tokyo clinic counts it on the 6th."""
    first = patient("late", [score(0, 30)], series=False)
    evening_utc = replace(first, first_infusion_at=first.first_infusion_at.replace(hour=20))  # 20:00 UTC
    tokyo = timezone(timedelta(hours=9))  # 05:00 on 6 January in Tokyo
    assert is_in_filter(evening_utc, None, (date(2026, 1, 5), date(2026, 1, 5)))
    assert not is_in_filter(evening_utc, None, (date(2026, 1, 5), date(2026, 1, 5)), tokyo)
    assert is_in_filter(evening_utc, None, (date(2026, 1, 6), date(2026, 1, 6)), tokyo)
    in_tokyo = summarise_clinic(
        DEFINITIONS, [evening_utc], period=(date(2026, 1, 6), date(2026, 1, 6)), clinic_zone=tokyo
    )
    assert in_tokyo.patients == 1
