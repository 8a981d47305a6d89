"""ICD-10-CM value sets: which code prefixes mean which clinical concept (loaded from the rule data).

A concept such as ``intracranial_haemorrhage`` is a list of code prefixes (``I61`` covers I61.0-I61.9)
with optional exclusions (``G45`` without ``G45.4``, transient global amnesia). A code can belong to
several concepts. The rule data owns the lists; this module only defines their shape and the lookup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import SourceRegistry

# A prefix is the start of a dotted ICD-10-CM code: a category (I61) or a longer prefix (F31.1, Z98.61).
_PREFIX = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{0,4})?")
_CONCEPT = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class ValueSet:
    """One concept: the code prefixes it includes and those it leaves out."""

    concept: str
    prefixes: tuple[str, ...]
    excluded_prefixes: tuple[str, ...] = ()
    source: str = ""

    def has_code(self, code: str) -> bool:
        """Whether a (normalised, dotted) ICD-10-CM code belongs to this concept.

        >>> tia = ValueSet("cerebrovascular_event", ("G45", "I63"), excluded_prefixes=("G45.4",))
        >>> tia.has_code("G45.9"), tia.has_code("G45.4"), tia.has_code("I10")
        (True, False, False)
        """
        return code.startswith(self.prefixes) and not code.startswith(self.excluded_prefixes)


@dataclass(frozen=True, slots=True)
class ConceptMap:
    """All value sets of a rule set; turns a code into the concepts it stands for."""

    value_sets: Mapping[str, ValueSet]

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> ConceptMap:
        value_sets: dict[str, ValueSet] = {}
        for concept in f.data:
            if not _CONCEPT.fullmatch(concept):
                raise f.fail(concept, "a concept name of lower-case letters, digits and underscores", concept)
            entry = f.get_object(concept)
            entry.check_keys({"description", "include", "exclude", "sources", "confidence", "notes"})
            entry.get_str("description")
            prefixes = _read_prefixes(entry, "include")
            if not prefixes:
                raise entry.fail("include", "at least one ICD-10-CM code prefix")
            value_sets[concept] = ValueSet(
                concept=concept,
                prefixes=prefixes,
                excluded_prefixes=_read_prefixes(entry, "exclude"),
                source=sources.cite(entry),
            )
        return cls(value_sets=value_sets)

    def has_concept(self, concept: str) -> bool:
        return concept in self.value_sets

    def get_concepts(self, code: str) -> frozenset[str]:
        """Every concept whose value set holds the code.

        >>> concepts = ConceptMap({"bipolar_disorder": ValueSet("bipolar_disorder", ("F31",))})
        >>> sorted(concepts.get_concepts("F31.4")), sorted(concepts.get_concepts("F33.2"))
        (['bipolar_disorder'], [])
        """
        return frozenset(name for name, value_set in self.value_sets.items() if value_set.has_code(code))


def _read_prefixes(f: JsonFields, key: str) -> tuple[str, ...]:
    prefixes = f.get_strs(key)
    for prefix in prefixes:
        if not _PREFIX.fullmatch(prefix):
            raise f.fail(key, "ICD-10-CM code prefixes such as I61 or F31.1", prefix)
    return prefixes
