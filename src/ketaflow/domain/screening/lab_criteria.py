"""Criteria on liver tests: transaminases as multiples of the upper limit of normal, and the Hy's-law pattern.

Hepatic impairment is graded by the diagnosis and its severity (criteria.py); lab values alone do not
grade it (Child-Pugh needs albumin, INR and clinical findings the intake does not carry). What the labs
can show, with a published anchor, is hepatocellular injury (ALT or AST at least 3 x ULN) and its
combination with bilirubin above 2 x ULN (Hy's law), which is a reason for a physician's review.
The laboratory's own ULN is used when the intake gives it; otherwise ALT falls back to the rule set's
sex-specific healthy upper limit, and AST and bilirubin are not graded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ketaflow.domain.basis import Finding, JsonValue
from ketaflow.domain.ruledata.comparison import Comparison
from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis, format_number
from ketaflow.domain.screening.facts import RuleContext, ScreeningFacts
from ketaflow.domain.screening.vocabulary import Sex

_PLACEHOLDERS = ("analytes", "transaminase_multiple", "bilirubin", "bilirubin_multiple")


def _read_basis(f: JsonFields, key: str, context: RuleContext) -> RuleBasis:
    row = f.get_object(key)
    row.check_keys(BASIS_KEYS)
    return RuleBasis.from_fields(row, context.sources, placeholders=_PLACEHOLDERS)


@dataclass(frozen=True, slots=True)
class LiverTestCriteria:
    transaminase_multiple_of_uln: float
    transaminase_comparison: Comparison
    bilirubin_multiple_of_uln: float
    bilirubin_comparison: Comparison
    default_alt_uln_u_per_l: Mapping[Sex, float]
    not_recorded: RuleBasis
    transaminases_raised: RuleBasis
    hys_law_pattern: RuleBasis

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> LiverTestCriteria:
        f.check_keys(
            {
                "transaminase_multiple_of_uln",
                "transaminase_comparison",
                "bilirubin_multiple_of_uln",
                "bilirubin_comparison",
                "default_alt_uln_u_per_l",
                "not_recorded",
                "transaminases_raised",
                "hys_law_pattern",
                "notes",
            }
        )
        defaults = f.get_object("default_alt_uln_u_per_l")
        defaults.check_keys({sex.value for sex in Sex} | {"sources", "confidence", "notes"})
        context.sources.cite(defaults)
        return cls(
            transaminase_multiple_of_uln=f.get_number("transaminase_multiple_of_uln", low=1, high=50),
            transaminase_comparison=f.get_enum("transaminase_comparison", Comparison),
            bilirubin_multiple_of_uln=f.get_number("bilirubin_multiple_of_uln", low=1, high=50),
            bilirubin_comparison=f.get_enum("bilirubin_comparison", Comparison),
            default_alt_uln_u_per_l={sex: defaults.get_number(sex.value, low=1, high=500) for sex in Sex},
            not_recorded=_read_basis(f, "not_recorded", context),
            transaminases_raised=_read_basis(f, "transaminases_raised", context),
            hys_law_pattern=_read_basis(f, "hys_law_pattern", context),
        )


def evaluate_liver_tests(facts: ScreeningFacts, criteria: LiverTestCriteria) -> list[Finding]:
    labs = facts.intake.labs
    values = {
        "transaminase_multiple": format_number(criteria.transaminase_multiple_of_uln),
        "bilirubin_multiple": format_number(criteria.bilirubin_multiple_of_uln),
        "analytes": "none",
        "bilirubin": "not graded",
    }
    if labs is None:
        return [criteria.not_recorded.make_finding(values, {"labs": None})]
    sex = facts.intake.patient.sex
    alt_uln = labs.alt_uln_u_per_l
    alt_uln_origin = "laboratory ULN"
    if alt_uln is None:
        alt_uln = criteria.default_alt_uln_u_per_l[sex]
        alt_uln_origin = f"rule-set healthy ULN for sex {sex.value}"
    raised: list[str] = []
    inputs: dict[str, JsonValue] = {"patient.sex": sex.value}
    for name, value, uln, origin in (
        ("ALT", labs.alt_u_per_l, alt_uln, alt_uln_origin),
        ("AST", labs.ast_u_per_l, labs.ast_uln_u_per_l, "laboratory ULN"),
    ):
        if value is None or uln is None:
            continue
        inputs |= {f"labs.{name.lower()}_u_per_l": value, f"{name.lower()}_uln_used_u_per_l": uln}
        # Limits are rounded like the values they meet, so 3 x 25 U/L compares as exactly 75 U/L.
        if criteria.transaminase_comparison.holds(value, round(criteria.transaminase_multiple_of_uln * uln, 6)):
            raised.append(
                f"{name} {format_number(value)} U/L = {format_number(value / uln)} x ULN "
                f"{format_number(uln)} ({origin})"
            )
    if not raised:
        return []
    values["analytes"] = "; ".join(raised)
    bilirubin, bilirubin_uln = labs.bilirubin_mg_per_dl, labs.bilirubin_uln_mg_per_dl
    if bilirubin is not None and bilirubin_uln is not None:
        inputs |= {"labs.bilirubin_mg_per_dl": bilirubin, "labs.bilirubin_uln_mg_per_dl": bilirubin_uln}
        values["bilirubin"] = (
            f"{format_number(bilirubin)} mg/dL = {format_number(bilirubin / bilirubin_uln)} x ULN "
            f"{format_number(bilirubin_uln)}"
        )
        if criteria.bilirubin_comparison.holds(bilirubin, round(criteria.bilirubin_multiple_of_uln * bilirubin_uln, 6)):
            return [criteria.hys_law_pattern.make_finding(values, inputs)]
    return [criteria.transaminases_raised.make_finding(values, inputs)]
