"""Builders for the dosing tests: the shipped protocol files (fresh copies) and standard patients."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from ketaflow.domain.dosing import DosingPatient, Preparation, Protocol, ProtocolLibrary

PROTOCOL_DIR = Path(__file__).resolve().parents[3] / "src" / "ketaflow" / "rules" / "protocols"
# Any: parsed JSON that tests edit freely before Protocol.from_dict checks it.
JsonDoc = dict[str, Any]
_DOCS: dict[str, JsonDoc] = {
    path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(PROTOCOL_DIR.glob("*.json"))
}
ONE_MG_PER_ML = Preparation.create(drug_mg=100, volume_ml=100)


def load_protocol_data(protocol_id: str) -> JsonDoc:
    """A fresh parsed copy of rules/protocols/<id>.json (tests may mutate it)."""
    return copy.deepcopy(_DOCS[protocol_id])


def load_protocol(protocol_id: str) -> Protocol:
    return Protocol.from_dict(load_protocol_data(protocol_id))


def load_library() -> ProtocolLibrary:
    return ProtocolLibrary.from_dicts(copy.deepcopy(list(_DOCS.values())))


def make_patient(
    weight_kg: float = 70.0, height_cm: float = 175.0, sex: str = "male", age_years: float = 40.0
) -> DosingPatient:
    return DosingPatient.create(weight_kg=weight_kg, height_cm=height_cm, sex=sex, age_years=age_years)
