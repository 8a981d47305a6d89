"""Criteria on current medicines: interaction classes (route-aware), benzodiazepine load, unknown names.

Classes come from the medicine table in the rule data. CYP3A4/2B6 inhibitors and inducers change oral
ketamine exposure far more than intravenous exposure (rifampicin: AUC -86 % oral vs -14 % IV), so those
rows set their effect per ketamine route.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ketaflow.domain.basis import Effect, Finding, JsonValue
from ketaflow.domain.ruledata.comparison import Comparison
from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis, format_number
from ketaflow.domain.screening.facts import ListedMedicine, RuleContext, ScreeningFacts
from ketaflow.domain.screening.vocabulary import Indication, KetamineRoute

_CLASS_PLACEHOLDERS = ("medicines", "route", "medicine_class")


def _medicine_inputs(items: Sequence[ListedMedicine]) -> dict[str, JsonValue]:
    inputs: dict[str, JsonValue] = {}
    for item in items:
        inputs[f"{item.path}.name"] = item.name
        inputs[f"{item.path}.daily_dose_mg"] = item.daily_dose_mg
    return inputs


def _describe_doses(items: Sequence[ListedMedicine]) -> str:
    return ", ".join(
        item.name if item.daily_dose_mg is None else f"{item.name} {format_number(item.daily_dose_mg)} mg/day"
        for item in items
    )


def _read_class(f: JsonFields, context: RuleContext) -> str:
    name = f.get_str("medicine_class")
    if name not in context.medicines.classes:
        raise f.fail("medicine_class", "a class defined in medicine_classes", name)
    return name


@dataclass(frozen=True, slots=True)
class MedicineClassCriterion:
    """One finding listing the current medicines of a class; ``effect_by_route`` overrides per route."""

    basis: RuleBasis
    medicine_class: str
    effect_by_route: Mapping[KetamineRoute, Effect]

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> MedicineClassCriterion:
        f.check_keys(BASIS_KEYS | {"medicine_class", "effect_by_route"})
        effect_by_route: dict[KetamineRoute, Effect] = {}
        by_route = f.get_optional_object("effect_by_route")
        if by_route is not None:
            by_route.check_keys({route.value for route in KetamineRoute})
            effect_by_route = {route: by_route.get_enum(route.value, Effect) for route in KetamineRoute}
        return cls(
            basis=RuleBasis.from_fields(f, context.sources, placeholders=_CLASS_PLACEHOLDERS),
            medicine_class=_read_class(f, context),
            effect_by_route=effect_by_route,
        )


def evaluate_medicine_classes(facts: ScreeningFacts, criteria: Sequence[MedicineClassCriterion]) -> list[Finding]:
    route = facts.intake.ketamine_route
    findings: list[Finding] = []
    for criterion in criteria:
        members = facts.list_in_class(criterion.medicine_class)
        if not members:
            continue
        values = {
            "medicines": _describe_doses(members),
            "route": route.value,
            "medicine_class": criterion.medicine_class.replace("_", " "),
        }
        inputs = _medicine_inputs(members)
        if criterion.effect_by_route:
            inputs["ketamine_route"] = route.value
        effect = criterion.effect_by_route.get(route)
        findings.append(criterion.basis.make_finding(values, inputs, effect=effect))
    return findings


_LOAD_PLACEHOLDERS = (
    "total_diazepam_mg",
    "limit_diazepam_mg",
    "comparison",
    "breakdown",
    "medicines",
    "indication",
)


@dataclass(frozen=True, slots=True)
class BenzodiazepineLoad:
    """Total daily benzodiazepine dose as diazepam equivalents against a limit, for the indications it was
    studied in; other indications get an informational finding."""

    medicine_class: str
    indications: frozenset[Indication]
    limit_diazepam_mg_per_day: float
    comparison: Comparison
    above: RuleBasis
    within: RuleBasis
    dose_unknown: RuleBasis
    other_indication: RuleBasis

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> BenzodiazepineLoad:
        f.check_keys(
            {
                "medicine_class",
                "indications",
                "limit_diazepam_mg_per_day",
                "comparison",
                "above",
                "within",
                "dose_unknown",
                "other_indication",
                "notes",
            }
        )
        medicine_class = _read_class(f, context)
        for medicine in context.medicines.list_members(medicine_class):
            if medicine.diazepam_mg_per_mg is None:
                raise f.fail(
                    "medicine_class",
                    f"an equivalent_to_diazepam_10_mg dose for every member ({medicine.name})",
                )
        bases: dict[str, RuleBasis] = {}
        for key in ("above", "within", "dose_unknown", "other_indication"):
            row = f.get_object(key)
            row.check_keys(BASIS_KEYS)
            bases[key] = RuleBasis.from_fields(row, context.sources, placeholders=_LOAD_PLACEHOLDERS)
        return cls(
            medicine_class=medicine_class,
            indications=frozenset(f.get_enums("indications", Indication)),
            limit_diazepam_mg_per_day=f.get_number("limit_diazepam_mg_per_day", low=0, high=1000),
            comparison=f.get_enum("comparison", Comparison),
            **bases,
        )


def evaluate_benzodiazepine_load(facts: ScreeningFacts, load: BenzodiazepineLoad) -> list[Finding]:
    members = facts.list_in_class(load.medicine_class)
    if not members:
        return []
    indication = facts.intake.indication
    values = {
        "medicines": _describe_doses(members),
        "indication": indication.value.replace("_", " "),
        "limit_diazepam_mg": format_number(load.limit_diazepam_mg_per_day),
        "comparison": load.comparison.wording,
        "total_diazepam_mg": "unknown",
        "breakdown": "",
    }
    inputs = _medicine_inputs(members) | {"indication": indication.value}
    if indication not in load.indications:
        return [load.other_indication.make_finding(values, inputs)]
    # Factors are checked at load time for every member of the class, so only a missing dose is left out.
    doses = [
        (item, item.daily_dose_mg, item.entry.diazepam_mg_per_mg)
        for item in members
        if item.daily_dose_mg is not None and item.entry is not None and item.entry.diazepam_mg_per_mg is not None
    ]
    if len(doses) < len(members):
        return [load.dose_unknown.make_finding(values, inputs)]
    parts: list[str] = []
    total_mg = 0.0
    for item, daily_dose_mg, diazepam_mg_per_mg in doses:
        equivalent_mg = daily_dose_mg * diazepam_mg_per_mg
        total_mg += equivalent_mg
        parts.append(
            f"{item.name} {format_number(daily_dose_mg)} mg x {format_number(diazepam_mg_per_mg)}"
            f" = {format_number(equivalent_mg)} mg"
        )
        inputs[f"{item.path}.diazepam_mg_per_mg"] = diazepam_mg_per_mg
    # Round away binary-float noise before comparing: lorazepam 0.8 mg x 10 is 8 mg, not 8.000000000000002.
    total_mg = round(total_mg, 6)
    inputs["total_diazepam_equivalent_mg_per_day"] = total_mg
    values |= {"total_diazepam_mg": format_number(total_mg), "breakdown": "; ".join(parts)}
    basis = load.above if load.comparison.holds(total_mg, load.limit_diazepam_mg_per_day) else load.within
    return [basis.make_finding(values, inputs)]


@dataclass(frozen=True, slots=True)
class NotInTable:
    """A finding naming medicines the table does not know, so their interactions were not checked."""

    basis: RuleBasis

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> NotInTable:
        f.check_keys(BASIS_KEYS)
        return cls(RuleBasis.from_fields(f, context.sources, placeholders=("medicines",)))


def evaluate_not_in_table(facts: ScreeningFacts, rule: NotInTable) -> list[Finding]:
    unknown = [item for item in facts.medicines if item.entry is None]
    if not unknown:
        return []
    return [rule.basis.make_finding({"medicines": _describe_doses(unknown)}, _medicine_inputs(unknown))]
