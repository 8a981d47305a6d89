"""Discharge instructions come from the rule data with the clinic's name and phone filled in."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.domain.errors import InputError
from ketaflow.domain.recovery import RecoveryRules

from .builders import RULES, load_rule_data

CLINIC = {"clinic_name": "Lakeside Ketamine Clinic", "clinic_phone": "+1 555 010 2030"}


def test_the_lines_fill_in_the_clinic_and_leave_no_placeholder() -> None:
    lines = RULES.instructions(**CLINIC)

    assert lines[6] == (
        "If you have questions, or sickness, headache or dizziness that does not stop, "
        "call Lakeside Ketamine Clinic on +1 555 010 2030."
    )
    assert not any("{" in line or "}" in line for line in lines)


def test_the_sheet_covers_escort_driving_what_to_watch_for_and_who_to_call_in_that_order() -> None:
    sections = RULES.instruction_sections(**CLINIC)

    assert [section.id for section in sections] == [
        "going_home",
        "driving",
        "alcohol",
        "what_to_watch_for",
        "who_to_call",
    ]


def test_driving_defaults_to_the_regulatory_next_day_after_sleep() -> None:
    driving = next(section for section in RULES.instruction_sections(**CLINIC) if section.id == "driving")

    (line,) = driving.lines
    assert (
        line.text
        == "Do not drive, ride a bike or use heavy machinery until the next day, after a restful night's sleep."
    )
    assert line.source.startswith("spravatohcp.com") and line.source.endswith("[C]")


@pytest.mark.parametrize(
    ("selected", "expected"),
    [("after_24_hours", "for 24 hours after"), ("after_12_hours", "for 12 hours after")],
    ids=["24-h", "12-h"],
)
def test_a_clinic_may_select_another_driving_rule(selected: str, expected: str) -> None:
    data = load_rule_data()
    driving = next(section for section in data["instructions"]["sections"] if section["id"] == "driving")
    driving["selected"] = selected

    lines = RecoveryRules.from_dict(data).instructions(**CLINIC)

    assert sum("heavy machinery" in line for line in lines) == 1
    assert any(expected in line for line in lines)


def test_sections_serialise_with_their_sources() -> None:
    document = RULES.instruction_sections(**CLINIC)[0].to_json()

    lines: Any = document["lines"]
    assert (document["id"], document["title"]) == ("going_home", "Going home")
    assert lines[0]["text"] == "A responsible adult must take you home. You cannot leave on your own."
    assert "Chung" in lines[0]["source"] and lines[0]["source"].endswith("[C]")


def test_the_name_and_phone_are_trimmed() -> None:
    lines = RULES.instructions(clinic_name=" Lakeside ", clinic_phone=" 555 0100 ")

    assert any(line.endswith("call Lakeside on 555 0100.") for line in lines)


@pytest.mark.parametrize(
    ("name", "phone", "field"),
    [("Lakeside", "", "clinic_phone"), ("Lakeside", "   ", "clinic_phone"), ("", "555 0100", "clinic_name"),
     ("Lakeside", None, "clinic_phone")],
    ids=["empty-phone", "blank-phone", "empty-name", "no-phone"],
)  # fmt: skip
def test_a_missing_name_or_phone_is_refused(name: Any, phone: Any, field: str) -> None:
    with pytest.raises(InputError) as caught:
        RULES.instructions(clinic_name=name, clinic_phone=phone)

    assert caught.value.field == field


def test_braces_in_the_phone_are_written_as_they_are() -> None:
    lines = RULES.instructions(clinic_name="{x}", clinic_phone="{clinic_phone}")

    assert any("call {x} on {clinic_phone}." in line for line in lines)
