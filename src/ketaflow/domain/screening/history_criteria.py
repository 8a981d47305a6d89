"""Criteria on the patient's history: substance use and treatment resistance (prior antidepressant trials)."""

from __future__ import annotations

from dataclasses import dataclass

from ketaflow.domain.basis import Finding, JsonValue
from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis
from ketaflow.domain.screening.facts import RuleContext, ScreeningFacts
from ketaflow.domain.screening.vocabulary import ClinicalStatus, Indication, TrialOutcome


@dataclass(frozen=True, slots=True)
class SubstanceUseCriterion:
    """A finding for each substance-use entry with one of ``statuses`` (e.g. active -> block)."""

    basis: RuleBasis
    statuses: frozenset[ClinicalStatus]

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> SubstanceUseCriterion:
        f.check_keys(BASIS_KEYS | {"statuses"})
        statuses = frozenset(f.get_enums("statuses", ClinicalStatus))
        if not statuses:
            raise f.fail("statuses", "at least one status")
        return cls(RuleBasis.from_fields(f, context.sources, placeholders=("substance", "status")), statuses)


@dataclass(frozen=True, slots=True)
class SubstanceUseCriteria:
    """The substance-use rows and the substances they do not count (e.g. tobacco)."""

    rows: tuple[SubstanceUseCriterion, ...]
    not_counted: frozenset[str]

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> SubstanceUseCriteria:
        f.check_keys({"not_counted_substances", "rows", "notes"})
        return cls(
            rows=tuple(SubstanceUseCriterion.from_fields(row, context) for row in f.get_objects("rows")),
            not_counted=frozenset(" ".join(s.lower().split()) for s in f.get_strs("not_counted_substances")),
        )


def evaluate_substance_use(facts: ScreeningFacts, criteria: SubstanceUseCriteria) -> list[Finding]:
    return [
        row.basis.make_finding(
            {"substance": use.substance, "status": use.status.value},
            {
                f"substance_use[{index}].substance": use.substance,
                f"substance_use[{index}].status": use.status.value,
            },
        )
        for row in criteria.rows
        for index, use in enumerate(facts.intake.substance_use)
        if use.substance not in criteria.not_counted and use.status in row.statuses
    ]


@dataclass(frozen=True, slots=True)
class TrialShortfall:
    """What fewer than the required failed trials means for some indications (warn for MDD, hold for TRD)."""

    basis: RuleBasis
    indications: frozenset[Indication]


_TRIAL_PLACEHOLDERS = ("count", "minimum", "indication", "drugs")


@dataclass(frozen=True, slots=True)
class TreatmentResistanceCriterion:
    """Count adequate antidepressant trials that failed, against a minimum, for depression indications."""

    indications: frozenset[Indication]
    minimum_failed_adequate_trials: int
    failure_outcomes: frozenset[TrialOutcome]
    established: RuleBasis
    shortfalls: tuple[TrialShortfall, ...]

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> TreatmentResistanceCriterion:
        f.check_keys(
            {
                "indications",
                "minimum_failed_adequate_trials",
                "failure_outcomes",
                "established",
                "below_minimum",
                "notes",
            }
        )
        indications = frozenset(f.get_enums("indications", Indication))
        shortfalls: list[TrialShortfall] = []
        for row in f.get_objects("below_minimum"):
            row.check_keys(BASIS_KEYS | {"indications"})
            basis = RuleBasis.from_fields(row, context.sources, placeholders=_TRIAL_PLACEHOLDERS)
            shortfalls.append(TrialShortfall(basis, frozenset(row.get_enums("indications", Indication))))
        for indication in sorted(indications):
            covering = [s for s in shortfalls if indication in s.indications]
            if len(covering) != 1:
                raise f.fail("below_minimum", f"exactly one row for indication {indication.value}", len(covering))
        established = f.get_object("established")
        established.check_keys(BASIS_KEYS)
        return cls(
            indications=indications,
            minimum_failed_adequate_trials=f.get_int("minimum_failed_adequate_trials", low=1, high=10),
            failure_outcomes=frozenset(f.get_enums("failure_outcomes", TrialOutcome)),
            established=RuleBasis.from_fields(established, context.sources, placeholders=_TRIAL_PLACEHOLDERS),
            shortfalls=tuple(shortfalls),
        )


def evaluate_treatment_resistance(facts: ScreeningFacts, criterion: TreatmentResistanceCriterion) -> list[Finding]:
    """For depression indications: established (info) or a shortfall whose effect the rule data sets."""
    indication = facts.intake.indication
    if indication not in criterion.indications:
        return []
    failed = [
        (index, trial)
        for index, trial in enumerate(facts.intake.antidepressant_trials)
        if trial.adequate and trial.outcome in criterion.failure_outcomes
    ]
    values = {
        "count": str(len(failed)),
        "minimum": str(criterion.minimum_failed_adequate_trials),
        "indication": indication.value.replace("_", " "),
        "drugs": ", ".join(trial.drug for _, trial in failed) or "none recorded",
    }
    inputs: dict[str, JsonValue] = {"indication": indication.value}
    for index, trial in enumerate(facts.intake.antidepressant_trials):
        inputs[f"antidepressant_trials[{index}]"] = trial.to_json()
    if len(failed) >= criterion.minimum_failed_adequate_trials:
        return [criterion.established.make_finding(values, inputs)]
    shortfall = next(s for s in criterion.shortfalls if indication in s.indications)
    return [shortfall.basis.make_finding(values, inputs)]
