"""Response and remission at their exact boundaries, on each instrument and under each MADRS remission choice."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.basis import Effect
from ketaflow.domain.outcomes import OutcomeDefinitions, PatientOutcome, evaluate_patient_outcome

from .builders import SERIES_END, score, shipped_definitions, thrice_weekly_infusions

DEFINITIONS = shipped_definitions()


def series_outcome(
    instrument: str, baseline_total: int, endpoint_total: int, definitions: OutcomeDefinitions = DEFINITIONS
) -> PatientOutcome:
    """Baseline just before the first infusion; endpoint 24 h after the last infusion of the series (day 12)."""
    return evaluate_patient_outcome(
        definitions,
        instrument=instrument,
        scores=[score(-0.01, baseline_total), score(12, endpoint_total)],
        infusion_times=thrice_weekly_infusions(),
        series_end=SERIES_END,
    )


@pytest.mark.parametrize(
    ("baseline_total", "endpoint_total", "responded"),
    [
        (30, 15, True),  # exactly 50 % reduction: response (>= 50 %)
        (30, 16, False),  # 46.7 %
        (30, 14, True),  # 53.3 %
        (31, 15, True),  # 51.6 %
        (31, 16, False),  # 48.4 %
        (20, 10, True),  # exactly 50 %
        (20, 11, False),  # 45 %
        (20, 25, False),  # worse
    ],
    ids=["30-15-exactly-half", "30-16", "30-14", "31-15", "31-16", "20-10-exactly-half", "20-11", "worse"],
)
def test_response_is_a_reduction_of_at_least_half(baseline_total: int, endpoint_total: int, responded: bool) -> None:
    outcome = series_outcome("madrs", baseline_total, endpoint_total)

    assert outcome.responded is responded
    assert outcome.change == endpoint_total - baseline_total
    assert outcome.percent_change == pytest.approx((endpoint_total - baseline_total) / baseline_total * 100)


@pytest.mark.parametrize(
    ("instrument", "endpoint_total", "remitted"),
    [
        ("phq9", 4, True),
        ("phq9", 5, False),  # PHQ-9 remission is < 5
        ("qids_sr16", 5, True),  # QIDS-SR16 remission is <= 5 (STAR*D)
        ("qids_sr16", 6, False),
        ("madrs", 9, True),  # Hawley 2002 (selected): < 10
        ("madrs", 10, False),
    ],
    ids=["phq9-4", "phq9-5", "qids-5", "qids-6", "madrs-hawley-9", "madrs-hawley-10"],
)
def test_remission_boundaries_of_the_shipped_definitions(instrument: str, endpoint_total: int, remitted: bool) -> None:
    outcome = series_outcome(instrument, 20, endpoint_total)

    assert outcome.remitted is remitted


@pytest.mark.parametrize(
    ("endpoint_total", "remitted"),
    [(9, True), (10, True), (11, False)],
    ids=["madrs-trials-9", "madrs-trials-10", "madrs-trials-11"],
)
def test_madrs_remission_at_or_below_10_when_the_trials_option_is_selected(endpoint_total: int, remitted: bool) -> None:
    definitions = DEFINITIONS.select_remission("madrs", "trials_at_or_below_10")

    outcome = series_outcome("madrs", 30, endpoint_total, definitions)

    assert outcome.remitted is remitted
    remission = next(f for f in outcome.findings if f.rule_id.startswith("outcomes.madrs.remission"))
    assert remission.rule_id == "outcomes.madrs.remission_at_or_below_10"
    assert remission.inputs["remission_option"] == "trials_at_or_below_10"
    assert outcome.ref.version.endswith("+madrs.trials_at_or_below_10")


def test_each_result_is_stated_by_a_finding_that_cites_its_definition() -> None:
    outcome = series_outcome("madrs", 30, 9)

    response, remission = outcome.findings

    assert (response.rule_id, response.effect) == ("outcomes.madrs.response", Effect.INFO)
    assert "MADRS 9" in response.message and "change -70 %" in response.message and "response" in response.message
    assert response.source.endswith("[C]") and "Phillips" in response.source
    assert remission.rule_id == "outcomes.madrs.remission_below_10"
    assert "Hawley" in remission.source
    assert response.inputs["baseline.total"] == 30 and response.inputs["endpoint.total"] == 9


def test_phq9_response_is_labelled_an_extension_of_the_trials_definition() -> None:
    outcome = series_outcome("phq9", 20, 10)

    assert outcome.responded is True
    assert outcome.findings[0].source.endswith("[NF]")


def test_a_zero_baseline_gives_no_percent_change_and_no_response_but_a_remission() -> None:
    outcome = series_outcome("phq9", 0, 2)

    assert (outcome.percent_change, outcome.responded, outcome.remitted) == (None, None, True)
    assert outcome.change == 2
    assert [f.rule_id for f in outcome.findings] == ["outcomes.zero_baseline", "outcomes.phq9.remission"]
    assert outcome.findings[0].effect is Effect.INSUFFICIENT_DATA


@given(baseline=st.integers(min_value=1, max_value=60), endpoint=st.integers(min_value=0, max_value=60))
def test_response_matches_exact_arithmetic_for_every_madrs_pair(baseline: int, endpoint: int) -> None:
    outcome = series_outcome("madrs", baseline, endpoint)

    assert outcome.responded is (Fraction(baseline - endpoint, baseline) >= Fraction(1, 2))
    assert outcome.remitted is (endpoint < 10)
