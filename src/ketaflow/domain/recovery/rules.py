"""The recovery rule set (read from its versioned JSON): scales, discharge criteria and instructions.

``RecoveryRules.from_dict`` checks the whole file when it is loaded (sources resolve, levels and bands fit
their items, rows have the effect their role requires, message placeholders are known, rule ids are unique)
and raises ``RuleDataError`` on anything malformed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ketaflow.domain.basis import RuleRef
from ketaflow.domain.errors import InputError
from ketaflow.domain.recovery.criteria import (
    EscortCriterion,
    NearBaselineCriterion,
    ObservationCriterion,
    ScoreCriterion,
)
from ketaflow.domain.recovery.instructions import InstructionSection, fill_instructions, read_instructions
from ketaflow.domain.recovery.scales import Instrument, RecoveryScale, ScaleItem
from ketaflow.domain.ruledata.fields import JsonFields, rule_data_error
from ketaflow.domain.ruledata.rulebasis import RuleBasis, SourceRegistry

_VERSION = re.compile(r"[0-9]{4}\.[0-9]{1,2}\.[0-9]+")
_TOP_LEVEL_KEYS = {"id", "version", "title", "notes", "sources", "scales", "discharge", "instructions"}
_DISCHARGE_KEYS = {"observation", "padss", "aldrete", "near_baseline", "escort", "notes"}


@dataclass(frozen=True, slots=True)
class RecoveryRules:
    """A versioned recovery rule set: what is scored, what discharge requires, what the patient is told."""

    ref: RuleRef
    title: str
    scales: Mapping[Instrument, RecoveryScale]
    observation: ObservationCriterion
    padss: ScoreCriterion
    aldrete: ScoreCriterion
    near_baseline: NearBaselineCriterion
    escort: EscortCriterion
    instruction_templates: tuple[InstructionSection, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RecoveryRules:
        """Check and read a recovery rule file (parsed JSON); raises ``RuleDataError`` if it is malformed."""
        f = JsonFields.of(data, "", rule_data_error)
        f.check_keys(_TOP_LEVEL_KEYS)
        sources = SourceRegistry.from_fields(f.get_object("sources"))
        scales_f = f.get_object("scales")
        scales_f.check_keys({instrument.value for instrument in Instrument})
        scales = {
            instrument: RecoveryScale.from_fields(scales_f.get_object(instrument.value), instrument, sources)
            for instrument in Instrument
        }
        discharge = f.get_object("discharge")
        discharge.check_keys(_DISCHARGE_KEYS)
        rules = cls(
            ref=RuleRef(
                id=f.get_str("id"),
                version=f.get_str("version", pattern=_VERSION, expected="a version such as 2026.11.0"),
            ),
            title=f.get_str("title"),
            scales=MappingProxyType(scales),
            observation=ObservationCriterion.from_fields(discharge.get_object("observation"), sources),
            padss=ScoreCriterion.from_fields(discharge.get_object("padss"), scales[Instrument.PADSS], sources),
            # evaluate_discharge receives one Aldrete score, so "consecutive" can only be 1 for it.
            aldrete=ScoreCriterion.from_fields(
                discharge.get_object("aldrete"), scales[Instrument.ALDRETE], sources, max_consecutive=1
            ),
            near_baseline=NearBaselineCriterion.from_fields(discharge.get_object("near_baseline"), sources),
            escort=EscortCriterion.from_fields(discharge.get_object("escort"), sources),
            instruction_templates=read_instructions(f.get_object("instructions"), sources),
        )
        seen: set[str] = set()
        for basis in rules.list_bases():
            if basis.rule_id in seen:
                raise rule_data_error("discharge", "rule ids used once each", basis.rule_id)
            seen.add(basis.rule_id)
        return rules

    @property
    def minimum_observation_min(self) -> float:
        """Minutes after the infusion ends before discharge may be considered."""
        return self.observation.minimum_min

    def scale(self, instrument: Instrument) -> RecoveryScale:
        return self.scales[instrument]

    def items(self, instrument: Instrument) -> tuple[ScaleItem, ...]:
        """The instrument's items in the order they are scored, each with its levels."""
        return self.scales[instrument].items

    def instruction_sections(self, *, clinic_name: str, clinic_phone: str) -> tuple[InstructionSection, ...]:
        """The discharge instructions by section, with the clinic's name and phone filled in."""
        return fill_instructions(
            self.instruction_templates,
            clinic_name=_clinic_text("clinic_name", clinic_name),
            clinic_phone=_clinic_text("clinic_phone", clinic_phone),
        )

    def instructions(self, *, clinic_name: str, clinic_phone: str) -> tuple[str, ...]:
        """Every instruction line in sheet order, with the clinic's name and phone filled in."""
        sections = self.instruction_sections(clinic_name=clinic_name, clinic_phone=clinic_phone)
        return tuple(line.text for section in sections for line in section.lines)

    def list_bases(self) -> list[RuleBasis]:
        """Every rule row of the set, for listing rule ids and checking they are unique."""
        return [
            self.observation.met,
            self.observation.not_passed,
            *self.padss.list_bases(),
            *self.aldrete.list_bases(),
            *self.near_baseline.list_bases(),
            self.escort.named,
            self.escort.missing,
        ]


def _clinic_text(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(field, "a non-empty text", value)
    return value.strip()
