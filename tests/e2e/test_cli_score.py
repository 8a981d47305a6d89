"""`ketaflow score INSTRUMENT FILE`: answers in, one JSON line out; a bad answer exits 2 naming the item."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ketaflow.bootstrap import CliRuntime
from ketaflow.cli.app import build_cli


def score(instrument: str, document: Any, file: str = "-") -> tuple[int, Any, str]:
    text = document if isinstance(document, str) else json.dumps(document)
    result = CliRunner().invoke(build_cli(CliRuntime), ["score", instrument, file], input=text)
    body = json.loads(result.stdout) if result.exit_code == 0 else result.stdout
    return result.exit_code, body, result.stderr


@pytest.mark.parametrize(
    ("instrument", "items", "total", "band"),
    [
        ("phq9", [1, 2, 0, 3, 1, 0, 2, 1, 0], 10, "moderate"),
        ("gad7", [3, 3, 3, 3, 3, 0, 0], 15, "severe"),
        ("qids_sr16", [3, 1, 0, 2, 1, 0, 2, 1, 0, 1, 1, 0, 1, 1, 2, 0], 12, "moderate"),
        ("madrs", [4, 4, 3, 2, 2, 3, 1, 1, 0, 0], 20, "moderate"),
        ("cssrs_screener", [True, False, None, None, None, False, None], None, "low"),
    ],
    ids=lambda v: str(v) if isinstance(v, str) else None,
)
def test_each_instrument_scores_from_a_list_in_item_order(
    instrument: str, items: list[Any], total: int | None, band: str
) -> None:
    code, out, _ = score(instrument, {"items": items})

    assert code == 0
    assert (out["instrument"], out["total"], out["band"]) == (instrument, total, band)
    assert out["rule_set"] == {"id": instrument, "version": "2026.11.0"}
    assert set(out) == {"instrument", "total", "band", "flags", "items", "domains", "rule_set"}


def test_qids_prints_its_domain_scores() -> None:
    _, out, _ = score("qids_sr16", {"items": [3, 1, 0, 2, 1, 0, 2, 1, 0, 1, 1, 0, 1, 1, 2, 0]})

    assert out["domains"]["sleep"] == 3 and out["domains"]["psychomotor"] == 2


def test_a_high_risk_cssrs_screen_prints_the_urgent_flag_with_its_safety_steps() -> None:
    answers = {"q1": True, "q2": False, "q6_lifetime": True, "q6_past_3_months": True}

    code, out, _ = score("cssrs_screener", {"items": answers})

    assert code == 0 and out["band"] == "high"
    (flag,) = out["flags"]
    assert (flag["rule_id"], flag["effect"]) == ("cssrs_screener.high_risk", "block")
    assert "immediate mental-health evaluation" in flag["message"]
    assert flag["inputs"]["items.q6_past_3_months"] is True


def test_phq9_item_9_prints_its_flag() -> None:
    _, out, _ = score("phq9", {"items": {f"q{n}": 0 for n in range(1, 9)} | {"q9": 1}})

    assert [f["rule_id"] for f in out["flags"]] == ["phq9.item9_positive"]


def test_answers_are_read_from_a_file_too(tmp_path: Path) -> None:
    path = tmp_path / "gad7.json"
    path.write_text(json.dumps({"items": [0, 1, 0, 1, 0, 1, 0]}), encoding="utf-8")

    code, out, _ = score("gad7", "", file=str(path))

    assert (code, out["total"], out["band"]) == (0, 3, "minimal")


@pytest.mark.parametrize(
    ("instrument", "document", "named"),
    [
        ("phq9", {"items": [0, 0, 0, 4, 0, 0, 0, 0, 0]}, "items[3]: expected an answer to q4: 0, 1, 2 or 3, got 4"),
        ("phq9", {"items": [0, 0, 0, "1", 0, 0, 0, 0, 0]}, "items[3]: expected an answer to q4"),
        ("phq9", {"items": {"q4": 1.5}}, "items.q1: expected an answer to q1: 0, 1, 2 or 3 (required)"),
        ("madrs", {"items": {f"q{n}": 0 for n in range(1, 10)}}, "items.q10: expected an answer to q10"),
        ("gad7", {"items": {f"q{n}": 0 for n in range(1, 9)}}, "items.q8: expected an item of gad7"),
        ("gad7", {"items": [0] * 8}, "items[7]: expected no entry: gad7 has 7 items"),
        ("gad7", {"items": [0] * 6}, "items[6]: expected an entry for q7"),
        ("cssrs_screener", {"items": {"q1": "yes"}}, "items.q1: expected an answer to q1: true (yes) or false (no)"),
        ("cssrs_screener", {"items": {"q1": False, "q2": False, "q4": True}}, "items.q4: expected no answer"),
        ("phq8", {"items": []}, "instrument: expected one of cssrs_screener, gad7, madrs, phq9, qids_sr16"),
        ("phq9", {"items": [0] * 9, "patient": "x"}, "patient: expected a known field"),
        ("phq9", {"answers": [0] * 9}, "answers: expected a known field"),
        ("phq9", {}, "items: expected the answers"),
        ("phq9", "[0, 0]", "FILE: expected a JSON object"),
    ],
    ids=[
        "out-of-range",
        "wrong-type",
        "first-missing-item",
        "missing-item",
        "unknown-item",
        "too-many-entries",
        "too-few-entries",
        "yes-no-as-text",
        "answer-to-a-skipped-item",
        "unknown-instrument",
        "unknown-top-level-key",
        "misnamed-items-key",
        "no-items",
        "not-an-object",
    ],
)
def test_a_bad_answer_exits_2_naming_the_item(instrument: str, document: Any, named: str) -> None:
    code, out, err = score(instrument, document)

    assert code == 2
    assert out == ""
    assert named in " ".join(err.split())
