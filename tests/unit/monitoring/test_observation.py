"""Reading a charted observation from JSON: every bad field is named by its JSON path."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.domain.errors import InputError
from ketaflow.domain.monitoring import Observation, TimedObservation
from ketaflow.domain.ruledata.fields import input_error
from ketaflow.domain.vitals import Vitals

CODES = ("nausea", "chest_pain")


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"systolic_mmhg": 1500}, "reading.systolic_mmhg"),
        ({"systolic_mmhg": "high"}, "reading.systolic_mmhg"),
        ({"pulse": 80}, "reading.pulse"),
        ({"moaa_s": 6}, "reading.moaa_s"),
        ({"moaa_s": -1}, "reading.moaa_s"),
        ({"moaa_s": 2.5}, "reading.moaa_s"),
        ({"cadss_total": 93}, "reading.cadss_total"),
        ({"side_effects": ["nausea", "hiccups"]}, "reading.side_effects[1]"),
        ({"side_effects": [7]}, "reading.side_effects[0]"),
        ({"side_effects": "nausea"}, "reading.side_effects"),
        ({}, "reading"),
        ({"vitals": {"systolic_mmhg": 120}, "diastolic_mmhg": 80}, "reading.diastolic_mmhg"),
        ({"vitals": {"spo2_pct": 101}}, "reading.vitals.spo2_pct"),
        ([120, 80], "reading"),
    ],
    ids=[
        "implausible",
        "text",
        "unknown-key",
        "moaa_s-above-5",
        "moaa_s-below-0",
        "moaa_s-not-whole",
        "cadss-above-92",
        "unknown-side-effect",
        "side-effect-not-text",
        "side-effects-not-a-list",
        "empty",
        "nested-and-flat-vitals",
        "nested-implausible",
        "not-an-object",
    ],
)
def test_a_bad_field_is_named_by_its_path(document: Any, field: str) -> None:
    with pytest.raises(InputError) as caught:
        Observation.from_json(document, "reading", input_error, side_effect_codes=CODES)

    assert caught.value.field == field


def test_a_full_reading_is_read_with_every_part() -> None:
    document = {
        "systolic_mmhg": 150,
        "diastolic_mmhg": 92,
        "spo2_pct": 97,
        "moaa_s": 4,
        "cadss_total": 0,
        "side_effects": ["nausea", "nausea", "chest_pain"],
    }

    observation = Observation.from_json(document, "reading", input_error, side_effect_codes=CODES)

    assert observation == Observation(
        vitals=Vitals(systolic_mmhg=150, diastolic_mmhg=92, spo2_pct=97),
        moaa_s=4,
        cadss_total=0,
        side_effects=("nausea", "chest_pain"),
    )


def test_the_stored_form_reads_back_unchanged() -> None:
    observation = Observation(Vitals(systolic_mmhg=150, heart_rate_bpm=88), moaa_s=3, side_effects=("nausea",))

    again = Observation.from_json(observation.to_json(), "", input_error)

    assert again == observation


def test_a_side_effect_only_report_is_a_reading() -> None:
    observation = Observation.from_json({"side_effects": ["chest_pain"]}, "reading", input_error)

    assert observation.vitals.is_empty() and observation.side_effects == ("chest_pain",)


def test_a_timed_reading_needs_its_time() -> None:
    with pytest.raises(InputError) as caught:
        TimedObservation.from_json({"systolic_mmhg": 130}, "recent_readings[0]", input_error)

    assert caught.value.field == "recent_readings[0].minutes_since_start"


def test_a_timed_reading_is_read_with_its_time() -> None:
    timed = TimedObservation.from_json({"minutes_since_start": 20, "systolic_mmhg": 130}, "r", input_error)

    assert timed == TimedObservation(20, Observation(Vitals(systolic_mmhg=130)))
