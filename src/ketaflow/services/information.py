"""Plain-language patient information sheets (versioned rule data), filled in with the clinic's details."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

from ketaflow.domain.access import Permission
from ketaflow.domain.audit import ActionCode
from ketaflow.domain.errors import InputError, NotFound, RuleDataError
from ketaflow.rules import list_rule_files, load_rule_file
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, record_audit, require

AREA = "information"


@dataclass(frozen=True, slots=True)
class SheetSection:
    id: str
    heading: str
    paragraphs: tuple[str, ...]
    bullets: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InformationSheet:
    id: str
    version: str
    title: str
    applies_to_indications: tuple[str, ...]
    sections: tuple[SheetSection, ...]
    sources: dict[str, str]

    def filled(self, *, clinic_name: str, clinic_phone: str) -> InformationSheet:
        """The sheet with the clinic's name and phone number in place of the placeholders."""

        def fill(text: str) -> str:
            return text.replace("{clinic_name}", clinic_name).replace("{clinic_phone}", clinic_phone)

        sections = tuple(
            SheetSection(
                s.id,
                fill(s.heading),
                tuple(fill(p) for p in s.paragraphs),
                tuple(fill(b) for b in s.bullets),
                s.sources,
            )
            for s in self.sections
        )
        return InformationSheet(
            self.id, self.version, fill(self.title), self.applies_to_indications, sections, self.sources
        )


def _parse(data: dict[str, Any]) -> InformationSheet:
    try:
        sources = {k: f"{v['citation']} [{v.get('confidence', 'NF')}]" for k, v in data["sources"].items()}
        sections = tuple(
            SheetSection(
                id=str(s["id"]),
                heading=str(s["heading"]),
                paragraphs=tuple(s.get("paragraphs", [])),
                bullets=tuple(s.get("bullets", [])),
                sources=tuple(s.get("sources", [])),
            )
            for s in data["sections"]
        )
        return InformationSheet(
            id=str(data["id"]),
            version=str(data["version"]),
            title=str(data["title"]),
            applies_to_indications=tuple(data.get("applies_to_indications", [])),
            sections=sections,
            sources=sources,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise RuleDataError(f"information sheet {data.get('id', '?')}: malformed ({exc})") from exc


@cache
def list_information_sheets() -> tuple[InformationSheet, ...]:
    return tuple(_parse(load_rule_file(AREA, name)) for name in list_rule_files(AREA))


def get_information_sheet(sheet_id: str) -> InformationSheet:
    for sheet in list_information_sheets():
        if sheet.id == sheet_id:
            return sheet
    known = ", ".join(s.id for s in list_information_sheets())
    raise InputError("sheet_id", f"one of {known}", sheet_id)


def sheet_as_text(sheet: InformationSheet) -> str:
    """The filled sheet as plain text, for e-mail or a printed letter."""
    lines = [sheet.title, f"(version {sheet.version})", ""]
    for section in sheet.sections:
        lines += [section.heading, *section.paragraphs, *(f"- {b}" for b in section.bullets), ""]
    return "\n".join(lines)


def send_information_sheet(svc: AppServices, actor: Actor, patient_id: UUID, sheet_id: str) -> str:
    """Send the patient the filled sheet at the e-mail address on file (a disclosure: audited)."""
    require(actor, Permission.INFORMATION_SEND)
    sheet = get_information_sheet(sheet_id).filled(clinic_name=svc.clinic_name, clinic_phone=svc.clinic_phone)
    with svc.uow_factory() as uow:
        current = uow.patients.latest(patient_id)
        if current is None:
            raise NotFound("patient", patient_id)
        address = current.details.email
        if not address:
            raise InputError("email", "an e-mail address on the patient's record (correct the details first)")
        delivery = svc.sender.send(address, f"{svc.clinic_name}: {sheet.title}", sheet_as_text(sheet))
        record_audit(
            uow,
            svc.clock,
            actor,
            "information.send",
            ActionCode.EXECUTE,
            patient_id=patient_id,
            resource_type="InformationSheet",
            resource_id=f"{sheet.id}/{sheet.version}",
            detail=f"via {svc.sender.name}, delivery {delivery}",
        )
        uow.commit()
    return delivery
