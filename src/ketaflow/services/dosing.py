"""The dosing engine's JSON contracts (`ketaflow plan`, `ketaflow protocols list`): parse, plan, answer."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ketaflow.domain.dosing import DosingPatient, Preparation, ProtocolLibrary, WeightBasis, plan_infusion
from ketaflow.domain.errors import InputError
from ketaflow.domain.ruledata.fields import JsonFields, input_error
from ketaflow.rules import list_rule_files, load_rule_file

_PLAN_KEYS = {
    "patient",
    "protocol",
    "dose_mg_per_kg",
    "rate_mg_per_kg_per_h",
    "rate_mg_per_h",
    "duration_min",
    "dosing_weight",
    "preparation",
}


def load_protocol_library() -> ProtocolLibrary:
    """Every protocol shipped in rules/protocols/, checked as it is read."""
    return ProtocolLibrary.from_dicts(load_rule_file("protocols", name) for name in list_rule_files("protocols"))


def _number(f: JsonFields, key: str, *, required: bool = True) -> float | None:
    """A finite positive number (sizes are judged by the protocol's limits, not refused here)."""
    if not f.has(key):
        if required:
            raise f.fail(key, "a positive number (required)")
        return None
    value = f.data[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise f.fail(key, "a positive number", value)
    return float(value)


def _required(value: float | None) -> float:
    assert value is not None  # _number(required=True) never returns None
    return value


def plan_document(doc: Mapping[str, Any], library: ProtocolLibrary | None = None) -> dict[str, Any]:
    """`ketaflow plan`: the infusion plan for one patient, protocol and preparation (docs/cli-contracts.md)."""
    library = library or load_protocol_library()
    f = JsonFields.of(doc, "", input_error)
    f.check_keys(_PLAN_KEYS)
    protocol_id = doc.get("protocol")
    protocol = library.get_protocol(protocol_id) if isinstance(protocol_id, str) else None
    if protocol is None:
        raise InputError("protocol", "one of " + ", ".join(library.ids), protocol_id)
    p = f.get_object("patient")
    p.check_keys({"weight_kg", "height_cm", "sex", "age_years"})
    patient = DosingPatient.create(
        weight_kg=_required(_number(p, "weight_kg")),
        height_cm=_required(_number(p, "height_cm")),
        sex=str(p.data.get("sex")),
        age_years=p.get_number("age_years", low=0, high=130),
    )
    prep = f.get_object("preparation")
    prep.check_keys({"drug_mg", "volume_ml"})
    plan = plan_infusion(
        patient,
        protocol,
        preparation=Preparation.create(
            drug_mg=_required(_number(prep, "drug_mg")), volume_ml=_required(_number(prep, "volume_ml"))
        ),
        dose_mg_per_kg=_number(f, "dose_mg_per_kg", required=False),
        rate_mg_per_kg_per_h=_number(f, "rate_mg_per_kg_per_h", required=False),
        rate_mg_per_h=_number(f, "rate_mg_per_h", required=False),
        duration_min=_number(f, "duration_min", required=False),
        dosing_weight=f.get_optional_enum("dosing_weight", WeightBasis),
    )
    return plan.to_json()


def describe_protocols(library: ProtocolLibrary | None = None, *, full: bool = False) -> list[dict[str, Any]]:
    """`ketaflow protocols list`: id, version and title of each protocol, or (full) its whole cited file."""
    library = library or load_protocol_library()
    if full:
        return [dict(p.document) for p in library.protocols]
    return [{"id": p.ref.id, "version": p.ref.version, "title": p.title} for p in library.protocols]
