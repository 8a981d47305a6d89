"""A clinic's licensed item wording replaces ketaflow's neutral labels; unknown items are refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ketaflow.domain.errors import RuleDataError
from ketaflow.services.scales import load_scale_library

from .builders import load_scale


def write(directory: Path, name: str, document: object) -> Path:
    path = directory / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_shipped_licensed_scales_show_neutral_labels_not_wording() -> None:
    scale = load_scale("madrs")

    assert scale.items[0].text == "Observed sadness"
    assert not any(item.text_is_licensed_wording for item in scale.items)


def test_with_item_text_shows_the_clinic_wording_and_marks_it_licensed() -> None:
    scale = load_scale("madrs")

    licensed = scale.with_item_text({"q1": "Clinic wording for item one"})
    first, second = licensed.items[0], licensed.items[1]

    assert (first.text, first.text_is_licensed_wording) == ("Clinic wording for item one", True)
    assert (second.text, second.text_is_licensed_wording) == ("Sadness the patient reports", False)
    assert licensed.scoring == scale.scoring and licensed.ref == scale.ref


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ({"q11": "x"}, r"clinic\.json items\.q11: expected a known field"),
        ({"q1": "  "}, r"clinic\.json items\.q1: expected a non-empty string"),
        ({"q1": 3}, r"clinic\.json items\.q1: expected a non-empty string"),
        ({"q1": "x" * 2001}, r"clinic\.json items\.q1: expected an item text of at most 2000 characters"),
    ],
    ids=["unknown-item", "blank", "not-text", "too-long"],
)
def test_with_item_text_refuses_bad_text_naming_the_origin_and_item(texts: dict[str, object], message: str) -> None:
    with pytest.raises(RuleDataError, match=message):
        load_scale("madrs").with_item_text(texts, origin="clinic.json")


def test_loading_a_clinic_directory_replaces_the_wording_of_its_instruments(tmp_path: Path) -> None:
    write(tmp_path, "madrs.json", {"items": {"q1": "Licensed MADRS item 1", "q10": "Licensed MADRS item 10"}})
    write(tmp_path, "cssrs_screener.json", {"items": {"q2": "Licensed screener question 2"}})

    library = load_scale_library(tmp_path)

    madrs = library.get("madrs")
    assert [madrs.items[0].text, madrs.items[9].text] == ["Licensed MADRS item 1", "Licensed MADRS item 10"]
    assert library.get("cssrs_screener").items[1].text == "Licensed screener question 2"
    assert library.get("phq9") == load_scale_library().get("phq9")


def test_the_shipped_library_is_cached_and_unchanged_by_a_clinic_directory(tmp_path: Path) -> None:
    write(tmp_path, "madrs.json", {"items": {"q1": "Licensed MADRS item 1"}})

    load_scale_library(tmp_path)

    assert load_scale_library() is load_scale_library()
    assert load_scale_library().get("madrs").items[0].text == "Observed sadness"


def test_an_unknown_item_in_a_clinic_file_is_refused_naming_the_file_and_item(tmp_path: Path) -> None:
    path = write(tmp_path, "madrs.json", {"items": {"q1": "ok", "q11": "no such item"}})

    with pytest.raises(RuleDataError) as caught:
        load_scale_library(tmp_path)

    assert f"{path} items.q11" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("mdars.json", {"items": {}}, "expected a file named after an instrument"),
        ("madrs.json", [1, 2], "expected a JSON object"),
        ("madrs.json", {"items": {}, "instructions": "x"}, "unknown key 'instructions'"),
        ("madrs.json", {"items": ["a"]}, 'expected "items" as an object'),
    ],
    ids=["misspelt-file-name", "not-an-object", "unknown-key", "items-not-an-object"],
)
def test_a_malformed_clinic_file_is_refused_naming_it(tmp_path: Path, name: str, content: object, message: str) -> None:
    path = write(tmp_path, name, content)

    with pytest.raises(RuleDataError, match=message) as caught:
        load_scale_library(tmp_path)

    assert str(path) in str(caught.value)


def test_a_clinic_file_that_is_not_json_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "madrs.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(RuleDataError, match="expected a readable UTF-8 JSON file") as caught:
        load_scale_library(tmp_path)

    assert str(path) in str(caught.value)


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleDataError, match="is not a directory"):
        load_scale_library(tmp_path / "nowhere")
