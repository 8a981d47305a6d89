"""Liver tests: transaminases at or above 3 x ULN warn; with bilirubin above 2 x ULN (Hy's law) they hold."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Effect
from ketaflow.domain.screening import ScreeningRuleSet
from tests.unit.screening.builders import JsonDoc, baseline_intake, find, rule_ids, screen

LAB_CASES = [
    # The baseline patient is female: ACG healthy ALT upper limit 25 U/L, so 3 x ULN = 75 U/L.
    ("ALT 74 female, no lab ULN", {"alt_u_per_l": 74}, None),
    ("ALT 75 female, no lab ULN", {"alt_u_per_l": 75}, "labs.transaminases_raised"),
    ("ALT 110 with lab ULN 40", {"alt_u_per_l": 110, "alt_uln_u_per_l": 40}, None),
    ("ALT 120 with lab ULN 40", {"alt_u_per_l": 120, "alt_uln_u_per_l": 40}, "labs.transaminases_raised"),
    ("AST 200 without lab ULN is not graded", {"ast_u_per_l": 200}, None),
    ("AST 120 with lab ULN 40", {"ast_u_per_l": 120, "ast_uln_u_per_l": 40}, "labs.transaminases_raised"),
    (
        "raised ALT, bilirubin exactly 2 x ULN",
        {"alt_u_per_l": 200, "bilirubin_mg_per_dl": 2.4, "bilirubin_uln_mg_per_dl": 1.2},
        "labs.transaminases_raised",
    ),
    (
        "raised ALT, bilirubin above 2 x ULN",
        {"alt_u_per_l": 200, "bilirubin_mg_per_dl": 2.5, "bilirubin_uln_mg_per_dl": 1.2},
        "labs.hys_law_pattern",
    ),
    (
        "raised bilirubin alone",
        {"alt_u_per_l": 20, "bilirubin_mg_per_dl": 5, "bilirubin_uln_mg_per_dl": 1.2},
        None,
    ),
]


@pytest.mark.parametrize(("labs", "rule_id"), [row[1:] for row in LAB_CASES], ids=[row[0] for row in LAB_CASES])
def test_liver_tests_are_graded_against_the_upper_limit_of_normal(
    rules: ScreeningRuleSet, labs: JsonDoc, rule_id: str | None
) -> None:
    document = baseline_intake()
    document["labs"] = labs

    result = screen(document, rules)

    assert [r for r in rule_ids(result) if r.startswith("labs.")] == ([rule_id] if rule_id else [])


def test_hys_law_pattern_holds_and_shows_the_multiples(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["labs"] = {
        "alt_u_per_l": 200,
        "alt_uln_u_per_l": 40,
        "bilirubin_mg_per_dl": 3.0,
        "bilirubin_uln_mg_per_dl": 1.2,
    }

    result = screen(document, rules)

    finding = find(result, "labs.hys_law_pattern")
    assert finding.effect is Effect.HOLD
    assert "ALT 200 U/L = 5 x ULN 40 (laboratory ULN)" in finding.message
    assert "3 mg/dL = 2.5 x ULN 1.2" in finding.message


def test_without_a_laboratory_uln_alt_uses_the_sex_specific_healthy_limit(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["patient"]["sex"] = "male"
    document["labs"] = {"alt_u_per_l": 99}

    result = screen(document, rules)

    assert (
        "ALT 99 U/L = 3 x ULN 33 (rule-set healthy ULN for sex male)"
        in find(result, "labs.transaminases_raised").message
    )


def test_missing_labs_are_noted(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    del document["labs"]

    result = screen(document, rules)

    assert find(result, "labs.not_recorded").effect is Effect.INFO
