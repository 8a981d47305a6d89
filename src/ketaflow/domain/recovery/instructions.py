"""Discharge instructions as rule data: cited lines in sections, with the clinic's name and phone filled in.

A section either lists its lines or offers options of which the rule file selects one (the driving
restriction: the regulatory "next day after restful sleep" by default, 24 h or 12 h as clinic policies).
Texts may use only ``{clinic_name}`` and ``{clinic_phone}``, and at least one must give the phone number.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import SourceRegistry

PLACEHOLDERS = frozenset({"clinic_name", "clinic_phone"})
_KEY = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class InstructionLine:
    text: str  # a template with {clinic_name} / {clinic_phone}
    source: str


@dataclass(frozen=True, slots=True)
class InstructionSection:
    """One heading of the instruction sheet and its lines (filled in, or templates in the rule set)."""

    id: str
    title: str
    lines: tuple[InstructionLine, ...]

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "title": self.title,
            "lines": [{"text": line.text, "source": line.source} for line in self.lines],
        }


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _read_line(f: JsonFields, sources: SourceRegistry) -> InstructionLine:
    f.check_keys({"text", "sources", "confidence", "notes"})
    text = f.get_str("text")
    try:
        used = _placeholders(text)
    except ValueError as exc:
        raise f.fail("text", "a text with well-formed {placeholders}", text) from exc
    unknown = sorted(used - PLACEHOLDERS)
    if unknown:
        raise f.fail("text", "only the placeholders {clinic_name} and {clinic_phone}", "{" + unknown[0] + "}")
    return InstructionLine(text=text, source=sources.cite(f))


def _read_section(f: JsonFields, sources: SourceRegistry) -> InstructionSection:
    f.check_keys({"id", "title", "lines", "selected", "options", "notes"})
    section_id = f.get_str("id", pattern=_KEY, expected="a section id of lower-case letters, digits and underscores")
    if f.has("options"):
        if f.has("lines"):
            raise f.fail("lines", "no lines in a section with options (the selected option is its line)")
        options = f.get_object("options")
        chosen: dict[str, InstructionLine] = {}
        for key in options.data:
            if not _KEY.fullmatch(key):
                raise options.fail(key, "an option key of lower-case letters, digits and underscores", key)
            chosen[key] = _read_line(options.get_object(key), sources)
        if not chosen:
            raise f.fail("options", "at least one option")
        selected = f.get_str("selected")
        if selected not in chosen:
            raise f.fail("selected", "one of the section's options (" + ", ".join(chosen) + ")", selected)
        lines: tuple[InstructionLine, ...] = (chosen[selected],)
    else:
        if f.has("selected"):
            raise f.fail("selected", "no selection in a section without options")
        lines = tuple(_read_line(row, sources) for row in f.get_objects("lines"))
        if not lines:
            raise f.fail("lines", "at least one line (or options with a selection)")
    return InstructionSection(id=section_id, title=f.get_str("title"), lines=lines)


def read_instructions(f: JsonFields, sources: SourceRegistry) -> tuple[InstructionSection, ...]:
    f.check_keys({"sections", "notes"})
    sections = tuple(_read_section(row, sources) for row in f.get_objects("sections"))
    ids = [section.id for section in sections]
    duplicate = next((section_id for section_id in ids if ids.count(section_id) > 1), None)
    if duplicate is not None:
        raise f.fail("sections", "section ids used once each", duplicate)
    if not any("clinic_phone" in _placeholders(line.text) for section in sections for line in section.lines):
        raise f.fail("sections", "a line that gives the clinic's phone number ({clinic_phone})")
    return sections


def fill_instructions(
    sections: tuple[InstructionSection, ...], *, clinic_name: str, clinic_phone: str
) -> tuple[InstructionSection, ...]:
    """The sections with the clinic's name and phone number written into every line."""
    values = {"clinic_name": clinic_name, "clinic_phone": clinic_phone}
    return tuple(
        InstructionSection(
            id=section.id,
            title=section.title,
            lines=tuple(InstructionLine(line.text.format_map(values), line.source) for line in section.lines),
        )
        for section in sections
    )
