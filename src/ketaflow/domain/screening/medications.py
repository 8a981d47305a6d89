"""The medicine table: generic name -> interaction classes, and diazepam equivalents for benzodiazepines.

The table is rule data (``medicine_classes`` and ``medicines`` in rules/screening/default.json), each
entry citing where its class membership and conversion factor come from. Names are matched after
lower-casing and collapsing spaces; synonyms cover INN/USAN pairs (rifampicin/rifampin).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import SourceRegistry
from ketaflow.domain.screening.vocabulary import normalise_name

_CLASS = re.compile(r"[a-z][a-z0-9_]*")
# Equivalence tables (Ashton; VA/DoD; WHO 2009 per 5 mg, doubled in the rule data) list the dose of each
# benzodiazepine equivalent to 10 mg of diazepam; the rule data keeps that column as published.
_TABLE_DIAZEPAM_MG = 10.0
# Sanity bounds on that column in a rule file (mg equivalent to 10 mg diazepam), far outside any table.
_EQUIVALENT_DOSE_MG = (0.01, 1000.0)


@dataclass(frozen=True, slots=True)
class Medicine:
    """One medicine as the screening rules see it."""

    name: str
    classes: frozenset[str]
    diazepam_mg_per_mg: float | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class MedicineTable:
    """Lookup of medicines by generic name or synonym."""

    classes: Mapping[str, str]
    medicines: Mapping[str, Medicine]

    @classmethod
    def from_fields(cls, classes_f: JsonFields, medicines_f: JsonFields, sources: SourceRegistry) -> MedicineTable:
        classes: dict[str, str] = {}
        for name in classes_f.data:
            if not _CLASS.fullmatch(name):
                raise classes_f.fail(name, "a class name of lower-case letters, digits and underscores", name)
            classes[name] = classes_f.get_str(name)
        by_name: dict[str, Medicine] = {}
        for entry in medicines_f.get_objects("medicines"):
            entry.check_keys(
                {
                    "name",
                    "synonyms",
                    "classes",
                    "equivalent_to_diazepam_10_mg",
                    "sources",
                    "confidence",
                    "notes",
                }
            )
            medicine_classes = frozenset(entry.get_strs("classes"))
            if not medicine_classes:
                raise entry.fail("classes", "at least one medicine class")
            for class_name in sorted(medicine_classes):
                if class_name not in classes:
                    raise entry.fail("classes", "classes defined in medicine_classes", class_name)
            equivalent_mg = entry.get_optional_number(
                "equivalent_to_diazepam_10_mg", low=_EQUIVALENT_DOSE_MG[0], high=_EQUIVALENT_DOSE_MG[1]
            )
            medicine = Medicine(
                name=normalise_name(entry.get_str("name")),
                classes=medicine_classes,
                diazepam_mg_per_mg=None if equivalent_mg is None else _TABLE_DIAZEPAM_MG / equivalent_mg,
                source=sources.cite(entry),
            )
            for name in (medicine.name, *(normalise_name(s) for s in entry.get_strs("synonyms"))):
                if name in by_name:
                    raise entry.fail("name", "a name or synonym listed only once in the table", name)
                by_name[name] = medicine
        return cls(classes=classes, medicines=by_name)

    def get_medicine(self, name: str) -> Medicine | None:
        """The table entry for a generic name or synonym, in any case and spacing.

        >>> valproate = Medicine("valproate", frozenset({"mood_stabiliser"}))
        >>> by_name = {"valproate": valproate, "valproic acid": valproate}
        >>> table = MedicineTable({"mood_stabiliser": "lithium, valproate"}, by_name)
        >>> table.get_medicine("Valproic  Acid").name
        'valproate'
        """
        return self.medicines.get(normalise_name(name))

    def list_members(self, class_name: str) -> list[Medicine]:
        """Every table entry in a class (once each, even with synonyms)."""
        seen: dict[str, Medicine] = {}
        for medicine in self.medicines.values():
            if class_name in medicine.classes:
                seen[medicine.name] = medicine
        return list(seen.values())
