"""The facts one screening run reads: the intake, the time of the screening and the rule set's lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ketaflow.domain.ruledata.rulebasis import SourceRegistry
from ketaflow.domain.screening.intake import Condition, Intake
from ketaflow.domain.screening.medications import Medicine, MedicineTable
from ketaflow.domain.screening.valuesets import ConceptMap


@dataclass(frozen=True, slots=True)
class CodedCondition:
    """A condition with its position in the intake (for the JSON path) and the concepts its code maps to."""

    index: int
    condition: Condition
    concepts: frozenset[str]

    @property
    def path(self) -> str:
        return f"conditions[{self.index}]"


@dataclass(frozen=True, slots=True)
class ListedMedicine:
    """A current medication with its position in the intake and its table entry (None if not in the table)."""

    index: int
    name: str
    daily_dose_mg: float | None
    entry: Medicine | None

    @property
    def path(self) -> str:
        return f"medications[{self.index}]"

    def is_in_class(self, class_name: str) -> bool:
        return self.entry is not None and class_name in self.entry.classes


@dataclass(frozen=True, slots=True)
class ScreeningFacts:
    intake: Intake
    now_utc: datetime
    conditions: tuple[CodedCondition, ...]
    medicines: tuple[ListedMedicine, ...]

    @classmethod
    def create(cls, intake: Intake, now_utc: datetime, concepts: ConceptMap, table: MedicineTable) -> ScreeningFacts:
        return cls(
            intake=intake,
            now_utc=now_utc,
            conditions=tuple(
                CodedCondition(index, condition, concepts.get_concepts(condition.code))
                for index, condition in enumerate(intake.conditions)
            ),
            medicines=tuple(
                ListedMedicine(index, item.name, item.daily_dose_mg, table.get_medicine(item.name))
                for index, item in enumerate(intake.medications)
            ),
        )

    def list_in_class(self, class_name: str) -> list[ListedMedicine]:
        return [item for item in self.medicines if item.is_in_class(class_name)]


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What rule rows are checked against while the rule set is read: its sources, concepts and classes."""

    sources: SourceRegistry
    concepts: ConceptMap
    medicines: MedicineTable
