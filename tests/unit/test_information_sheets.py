"""The patient information sheets and the pre-infusion gate are well-formed, cited rule data.

Read straight from the JSON files (no loader), so these checks hold whatever code later renders the sheets.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

RULES = Path(__file__).resolve().parents[2] / "src" / "ketaflow" / "rules"
SHEETS = sorted((RULES / "information").glob("*.json"))
GATE = RULES / "screening" / "gate.json"

SECTION_IDS = [
    "what_it_is",
    "before",
    "what_happens",
    "how_it_may_feel",
    "side_effects",
    "after",
    "when_to_call",
    "your_rights",
]
INDICATIONS = {
    "treatment_resistant_depression",
    "major_depressive_disorder",
    "bipolar_depression",
    "postpartum_depression",
    "ptsd",
    "ocd",
    "anxiety_disorder",
    "chronic_pain",
    "crps",
    "fibromyalgia",
}
PATIENT_CONFIDENCE = {"C", "S"}  # "NF" facts are never shown to patients
ALLOWED_PLACEHOLDERS = {"{clinic_name}", "{clinic_phone}"}
GATE_ITEM_IDS = ["fasting", "escort", "medication_holds", "consent_on_file", "vitals_today"]

JsonDoc = dict[str, Any]


def _load(path: Path) -> JsonDoc:
    data: JsonDoc = json.loads(path.read_text(encoding="utf-8"))
    return data


def _patient_text(sheet: JsonDoc) -> str:
    parts = [sheet["title"]]
    for section in sheet["sections"]:
        parts += [section["heading"], *section["paragraphs"], *section["bullets"]]
    return "\n".join(parts)


def _sentences(sheet: JsonDoc) -> list[str]:
    """Each paragraph and bullet split at sentence ends; a bullet without a full stop counts as one sentence."""
    blocks = [text for section in sheet["sections"] for text in (*section["paragraphs"], *section["bullets"])]
    return [s for block in blocks for s in re.split(r"(?<=[.!?:])\s+", block.strip()) if s]


@pytest.fixture(params=SHEETS, ids=lambda path: path.stem)
def sheet(request: pytest.FixtureRequest) -> JsonDoc:
    path: Path = request.param
    return _load(path)


def test_both_protocol_sheets_are_shipped() -> None:
    names = {path.stem for path in SHEETS}

    assert {"iv-ketamine-depression", "iv-ketamine-chronic-pain"} <= names


def test_sheet_has_the_required_keys_and_its_id_matches_the_file_name(sheet: JsonDoc) -> None:
    required = {"id", "version", "title", "reading_level_note", "applies_to_indications", "sections", "sources"}

    assert required <= sheet.keys()
    assert (RULES / "information" / f"{sheet['id']}.json").exists()
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", sheet["version"])
    assert sheet["title"].strip()
    assert sheet["reading_level_note"].strip()


def test_sheet_applies_only_to_known_indications(sheet: JsonDoc) -> None:
    indications = sheet["applies_to_indications"]

    assert indications
    assert set(indications) <= INDICATIONS
    assert len(set(indications)) == len(indications)


def test_sheet_has_exactly_the_eight_sections_in_order(sheet: JsonDoc) -> None:
    ids = [section["id"] for section in sheet["sections"]]

    assert ids == SECTION_IDS


def test_every_section_has_a_heading_and_some_text(sheet: JsonDoc) -> None:
    for section in sheet["sections"]:
        assert {"id", "heading", "paragraphs", "bullets", "sources"} <= section.keys(), section["id"]
        assert section["heading"].strip(), section["id"]
        texts = [*section["paragraphs"], *section["bullets"]]
        assert texts, section["id"]
        assert all(isinstance(text, str) and text.strip() for text in texts), section["id"]


def test_every_section_cites_sources_that_resolve_with_a_patient_safe_confidence(sheet: JsonDoc) -> None:
    sources = sheet["sources"]

    for section in sheet["sections"]:
        assert section["sources"], section["id"]
        for key in section["sources"]:
            assert key in sources, (section["id"], key)
    for key, source in sources.items():
        assert source["citation"].strip(), key
        assert source["confidence"] in PATIENT_CONFIDENCE, key


def test_every_listed_source_is_cited_by_some_section(sheet: JsonDoc) -> None:
    cited = {key for section in sheet["sections"] for key in section["sources"]}

    assert set(sheet["sources"]) == cited


def test_sheet_tells_the_patient_how_to_reach_the_clinic(sheet: JsonDoc) -> None:
    text = _patient_text(sheet)

    assert "{clinic_phone}" in text
    assert "{clinic_name}" in text


def test_sheet_requires_an_escort_and_no_driving_until_the_next_day(sheet: JsonDoc) -> None:
    after = " ".join(next(s for s in sheet["sections"] if s["id"] == "after")["bullets"]).lower()

    assert "responsible adult" in after
    assert "take you home" in after
    assert "do not drive" in after
    assert "until the next day" in after


def test_fasting_advice_uses_the_cited_anchor_values(sheet: JsonDoc) -> None:
    before = " ".join(next(s for s in sheet["sections"] if s["id"] == "before")["bullets"])

    assert "at least 2 hours" in before
    assert "at least 30 minutes" in before


def test_sheet_contains_no_placeholder_other_than_clinic_name_and_phone(sheet: JsonDoc) -> None:
    text = _patient_text(sheet)

    placeholders = set(re.findall(r"\{[^{}]*\}", text))

    assert placeholders <= ALLOWED_PLACEHOLDERS
    assert "{" not in re.sub(r"\{clinic_(name|phone)\}", "", text)
    assert "}" not in re.sub(r"\{clinic_(name|phone)\}", "", text)


def test_sheet_sentences_are_short_on_average(sheet: JsonDoc) -> None:
    sentences = _sentences(sheet)

    average = sum(len(s.split()) for s in sentences) / len(sentences)

    assert average < 20, f"average sentence length {average:.1f} words"


# --- pre-infusion gate ---------------------------------------------------------------------------


@pytest.fixture
def gate() -> JsonDoc:
    return _load(GATE)


def test_gate_has_its_id_version_and_exactly_the_five_items(gate: JsonDoc) -> None:
    ids = [item["id"] for item in gate["items"]]

    assert gate["id"] == "ketaflow.pre_infusion_gate"
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", gate["version"])
    assert ids == GATE_ITEM_IDS


@pytest.mark.parametrize(
    ("item_id", "effect"),
    [
        ("fasting", "hold"),
        ("escort", "hold"),
        ("medication_holds", "hold"),
        ("consent_on_file", "block"),
        ("vitals_today", "hold"),
    ],
    ids=GATE_ITEM_IDS,
)
def test_gate_item_has_its_effect_when_not_confirmed(gate: JsonDoc, item_id: str, effect: str) -> None:
    item = next(item for item in gate["items"] if item["id"] == item_id)

    assert item["effect_if_not_confirmed"] == effect


def test_every_gate_item_asks_a_question_explains_itself_and_cites_known_sources(gate: JsonDoc) -> None:
    for item in gate["items"]:
        assert item["question"].strip().endswith("?"), item["id"]
        assert item["notes"].strip(), item["id"]
        assert isinstance(item["parameters"], dict), item["id"]
        for key in [item["source"], *item.get("supporting_sources", [])]:
            assert key in gate["sources"], (item["id"], key)
    for key, source in gate["sources"].items():
        assert source["citation"].strip(), key
        assert source["confidence"] in {"C", "S"}, key


def test_gate_fasting_parameters_match_what_the_sheets_tell_patients(gate: JsonDoc) -> None:
    fasting = next(item for item in gate["items"] if item["id"] == "fasting")["parameters"]

    told = [" ".join(next(s for s in _load(p)["sections"] if s["id"] == "before")["bullets"]) for p in SHEETS]

    assert fasting == {"no_food_hours": 2, "no_liquids_minutes": 30}
    for before in told:
        assert f"at least {fasting['no_food_hours']} hours" in before
        assert f"at least {fasting['no_liquids_minutes']} minutes" in before
