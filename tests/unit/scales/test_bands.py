"""Every instrument's total lands in the cited band on both sides of every boundary."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.scales import score_answers

from .builders import answers_totalling, load_library, load_scale, load_scale_data

# (instrument, total, band): the first and last total of every band, as the rule files' sources give them.
BOUNDARIES = [
    # PHQ-9, Kroenke 2001: 5 / 10 / 15 / 20 = mild / moderate / moderately severe / severe
    ("phq9", 0, "minimal"),
    ("phq9", 4, "minimal"),
    ("phq9", 5, "mild"),
    ("phq9", 9, "mild"),
    ("phq9", 10, "moderate"),
    ("phq9", 14, "moderate"),
    ("phq9", 15, "moderately_severe"),
    ("phq9", 19, "moderately_severe"),
    ("phq9", 20, "severe"),
    ("phq9", 27, "severe"),
    # GAD-7: 5 / 10 / 15 = mild / moderate / severe
    ("gad7", 0, "minimal"),
    ("gad7", 4, "minimal"),
    ("gad7", 5, "mild"),
    ("gad7", 9, "mild"),
    ("gad7", 10, "moderate"),
    ("gad7", 14, "moderate"),
    ("gad7", 15, "severe"),
    ("gad7", 21, "severe"),
    # QIDS-SR16, Rush 2003: 0-5 none, 6-10 mild, 11-15 moderate, 16-20 severe, 21-27 very severe
    ("qids_sr16", 0, "none"),
    ("qids_sr16", 5, "none"),
    ("qids_sr16", 6, "mild"),
    ("qids_sr16", 10, "mild"),
    ("qids_sr16", 11, "moderate"),
    ("qids_sr16", 15, "moderate"),
    ("qids_sr16", 16, "severe"),
    ("qids_sr16", 20, "severe"),
    ("qids_sr16", 21, "very_severe"),
    ("qids_sr16", 27, "very_severe"),
    # MADRS, Snaith: 0-6 absent, 7-19 mild, 20-34 moderate, 35-60 severe
    ("madrs", 0, "absent"),
    ("madrs", 6, "absent"),
    ("madrs", 7, "mild"),
    ("madrs", 19, "mild"),
    ("madrs", 20, "moderate"),
    ("madrs", 34, "moderate"),
    ("madrs", 35, "severe"),
    ("madrs", 60, "severe"),
]


@pytest.mark.parametrize(("instrument", "total", "band"), BOUNDARIES, ids=lambda v: str(v))
def test_a_total_at_a_band_edge_is_in_the_cited_band(instrument: str, total: int, band: str) -> None:
    scale = load_scale(instrument)

    result = score_answers(scale, answers_totalling(scale, total))

    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(
    ("instrument", "max_total"), [("phq9", 27), ("gad7", 21), ("qids_sr16", 27), ("madrs", 60), ("cssrs_screener", 0)]
)
def test_each_instrument_has_its_published_maximum(instrument: str, max_total: int) -> None:
    scale = load_scale(instrument)

    assert scale.max_total == max_total


def test_madrs_uses_snaith_bands_and_names_the_alternatives() -> None:
    scale = load_scale("madrs")

    severe = scale.scoring.bands[-1]
    notes = " ".join(load_scale_data("madrs")["notes"])

    assert (severe.id, severe.min_total) == ("severe", 35)
    assert "Snaith" in severe.source and "Müller MJ et al., J Affect Disord 2000" in severe.source
    assert "Müller 2003 found 31" in notes and "0-10/11-20/21-30/>30 (not used)" in notes


@given(st.data())
def test_every_possible_total_has_exactly_one_band(data: st.DataObject) -> None:
    scale = load_library().get(data.draw(st.sampled_from(["phq9", "gad7", "qids_sr16", "madrs"])))
    answers = [data.draw(st.integers(0, item.max_points)) for item in scale.items]

    result = score_answers(scale, answers)

    assert result.total is not None and 0 <= result.total <= scale.max_total
    assert [b.id for b in scale.scoring.bands if b.contains(result.total)] == [result.band]
