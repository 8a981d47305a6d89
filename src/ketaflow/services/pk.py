"""The PK engine's JSON contracts (`ketaflow pk ...`): parse a document, run the domain, answer in JSON."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from ketaflow.domain.dosing import Regimen, RegimenKind
from ketaflow.domain.errors import InputError, RuleDataError
from ketaflow.domain.pk import (
    MODELS,
    Bolus,
    Dose,
    Infusion,
    PkPatient,
    WeightBasedBolus,
    WeightBasedInfusion,
    evaluate_percentile_bands,
    generate_cohort,
    get_variability,
    plan_tci,
    probability_cmax_above,
    simulate,
)
from ketaflow.domain.sessions import InfusionSession
from ketaflow.rules import load_rule_file
from ketaflow.services.dosing import load_protocol_library

MAX_TIMES = 100_000
MAX_COHORT = 10_000_000
DEFAULT_SEED = 20261125


def _object(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    if not isinstance(value, Mapping):
        raise InputError(key, "an object", value)
    return value


def _number(doc: Mapping[str, Any], key: str, path: str, *, default: float | None = None) -> float:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(path, "a finite number", value)
    return float(value)


def _model_id(doc: Mapping[str, Any]) -> str:
    model = doc.get("model")
    if not isinstance(model, str) or model not in MODELS:
        raise InputError("model", "one of " + ", ".join(MODELS), model)
    return str(model)


def _patient(doc: Mapping[str, Any]) -> PkPatient:
    p = _object(doc, "patient")
    return PkPatient.create(
        weight_kg=_number(p, "weight_kg", "patient.weight_kg"),
        age_years=_number(p, "age_years", "patient.age_years"),
        sex=str(p.get("sex")),
        height_cm=_number(p, "height_cm", "patient.height_cm"),
    )


_DOSE_FIELDS: Mapping[str, tuple[Callable[..., Dose], tuple[str, ...]]] = {
    "bolus": (Bolus, ("at_min", "mg")),
    "infusion": (Infusion, ("start_min", "duration_min", "mg_per_h")),
    "weight_bolus": (WeightBasedBolus, ("at_min", "mg_per_kg")),
    "weight_infusion": (WeightBasedInfusion, ("start_min", "duration_min", "mg_per_kg_per_h")),
}


def _doses(doc: Mapping[str, Any], *, weight_based: bool) -> list[Dose]:
    raw = doc.get("doses")
    if not isinstance(raw, list) or not raw:
        raise InputError("doses", "a non-empty list of doses", raw)
    kinds = _DOSE_FIELDS if weight_based else {k: v for k, v in _DOSE_FIELDS.items() if not k.startswith("weight_")}
    doses: list[Dose] = []
    for i, item in enumerate(raw):
        kind = item.get("kind") if isinstance(item, Mapping) else None
        if not isinstance(kind, str) or kind not in kinds:
            raise InputError(f"doses[{i}].kind", "one of " + ", ".join(kinds), item)
        make, names = kinds[kind]
        doses.append(make(*(_number(item, n, f"doses[{i}].{n}") for n in names)))
    return doses


def _times(doc: Mapping[str, Any]) -> np.ndarray:
    raw = doc.get("times_min")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TIMES:
        raise InputError("times_min", f"a list of 1 to {MAX_TIMES} times in minutes", type(raw).__name__)
    values = [_number({"t": t}, "t", f"times_min[{i}]") for i, t in enumerate(raw)]
    if any(b <= a for a, b in itertools.pairwise(values)) or values[0] < 0:
        raise InputError("times_min", "times >= 0 in strictly increasing order")
    return np.asarray(values, dtype=np.float64)


def _rounded(values: Sequence[float] | np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values]


def describe_models() -> list[dict[str, Any]]:
    """The model catalogue: id, source, population, confirmation and caveats (`ketaflow pk models`)."""
    return [
        {
            "id": m.id,
            "name": m.name,
            "compartments": m.compartments,
            "citation": {"text": m.citation.text, "pmid": m.citation.pmid, "doi": m.citation.doi},
            "population": m.population,
            "confirmation": m.confirmation.value,
            "effect_site": m.has_effect_site,
            "caveats": list(m.caveats),
            "variability_sourced": m.variability is not None,
        }
        for m in MODELS.values()
    ]


def simulate_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """`ketaflow pk simulate`: concentrations of one patient under one model for a dosing history."""
    model_id = _model_id(doc)
    result = simulate(model_id, _patient(doc), _doses(doc, weight_based=True), _times(doc))
    return {
        "model": model_id,
        "times_min": _rounded(result.times_min),
        "plasma_ng_per_ml": _rounded(result.plasma_ng_per_ml),
        "effect_ng_per_ml": None if result.effect_ng_per_ml is None else _rounded(result.effect_ng_per_ml),
        "cmax_ng_per_ml": round(result.cmax_ng_per_ml, 6),
        "tmax_min": round(result.tmax_min, 6),
        "caveats": list(result.caveats),
    }


def tci_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """`ketaflow pk tci`: pump rates that reach and hold a plasma or effect-site target."""
    model_id = _model_id(doc)
    site = doc.get("site", "plasma")
    if site not in ("plasma", "effect"):
        raise InputError("site", "plasma or effect", site)
    segments = plan_tci(
        model_id,
        _patient(doc),
        _number(doc, "target_ng_per_ml", "target_ng_per_ml"),
        site=site,
        duration_min=_number(doc, "duration_min", "duration_min"),
        update_s=_number(doc, "update_s", "update_s", default=10.0),
        max_rate_mg_per_h=_number(doc, "max_rate_mg_per_h", "max_rate_mg_per_h"),
    )
    return {
        "model": model_id,
        "site": site,
        "segments": [
            {
                "start_min": round(s.start_min, 6),
                "duration_min": round(s.duration_min, 6),
                "mg_per_h": round(s.mg_per_h, 6),
            }
            for s in segments
        ],
        "total_mg": round(sum(s.total_mg for s in segments), 6),
    }


def cohort_document(doc: Mapping[str, Any], progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """`ketaflow pk cohort`: a virtual population's exceedance probability and percentile bands."""
    model_id = _model_id(doc)
    n = doc.get("n_patients")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_COHORT:
        raise InputError("n_patients", f"a whole number from 1 to {MAX_COHORT}", n)
    assumed = doc.get("assumed_cv")
    if assumed is not None and not isinstance(assumed, Mapping):
        raise InputError("assumed_cv", "an object of parameter -> coefficient of variation", assumed)
    variability = get_variability(model_id, dict(assumed) if assumed is not None else None)
    seed = doc.get("seed", DEFAULT_SEED)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError("seed", "a whole number", seed)
    cohort = generate_cohort(n, np.random.default_rng(seed), variability=variability)
    doses = _doses(doc, weight_based=True)
    threshold = _number(doc, "threshold_ng_per_ml", "threshold_ng_per_ml")
    exceedance = probability_cmax_above(model_id, cohort, doses, threshold, progress=progress)
    answer: dict[str, Any] = {
        "model": model_id,
        "n_patients": n,
        "seed": seed,
        "variability_source": variability.source,
        "threshold_ng_per_ml": threshold,
        "p_cmax_above": round(exceedance.probability, 6),
        "ci95": [round(exceedance.ci95_low, 6), round(exceedance.ci95_high, 6)],
        "percentiles": None,
    }
    if "times_min" in doc:
        bands = evaluate_percentile_bands(model_id, cohort, doses, _times(doc), progress=progress)
        answer["percentiles"] = {
            "times_min": _rounded(bands.times_min),
            **{f"p{p:g}": _rounded(row) for p, row in zip(bands.percentiles, bands.values_ng_per_ml, strict=True)},
        }
    return answer


WEB_COHORT_MAX = 200_000


# The report starts from the standard depression protocol's regimen (and shows its source), not from literals.
DEFAULT_COHORT_PROTOCOL = "depression_standard"


def default_cohort_regimen() -> Regimen:
    protocol = load_protocol_library().get_protocol(DEFAULT_COHORT_PROTOCOL)
    if protocol is None or protocol.regimen.kind is not RegimenKind.DOSE_PER_KG:
        raise RuleDataError(f"protocol {DEFAULT_COHORT_PROTOCOL} with a mg/kg regimen is needed for the cohort report")
    return protocol.regimen


def reference_concentrations() -> list[dict[str, Any]]:
    """Published concentrations to compare against, each with its source (rules/pk), the default first."""
    data = load_rule_file("pk", "reference_concentrations")
    return [dict(c) for c in data["concentrations"]]


@dataclass(frozen=True, slots=True)
class CohortReport:
    """What the cohort page shows: the question asked, the exceedance answer, the bands and the model's basis."""

    model: dict[str, Any]
    request: dict[str, Any]
    answer: dict[str, Any]


def create_cohort_report(form: Mapping[str, object]) -> CohortReport:
    """A virtual-cohort report for the web page (bounded size), from a form of strings."""

    def number(name: str, default: float) -> float:
        raw = str(form.get(name) or "").strip()
        try:
            value = float(raw) if raw else default
        except ValueError:
            raise InputError(name, "a number", raw) from None
        if not math.isfinite(value) or value <= 0:
            raise InputError(name, "a positive number", raw)
        return value

    references = reference_concentrations()
    model_id = str(form.get("model") or "herd")
    n = int(number("n_patients", 20_000))
    if n > WEB_COHORT_MAX:
        raise InputError(
            "n_patients", f"at most {WEB_COHORT_MAX:,} on this page (use `ketaflow pk cohort` for more)", n
        )
    default = default_cohort_regimen()
    dose_mg_per_kg = number("dose_mg_per_kg", default.amount)
    duration_min = number("duration_min", default.duration_min)
    cv = str(form.get("assumed_cv") or "").strip()
    document: dict[str, Any] = {
        "model": model_id,
        "n_patients": n,
        "seed": DEFAULT_SEED,
        "threshold_ng_per_ml": number("threshold_ng_per_ml", references[0]["ng_per_ml"]),
        "doses": [
            {
                "kind": "weight_infusion",
                "start_min": 0,
                "duration_min": duration_min,
                "mg_per_kg_per_h": dose_mg_per_kg * 60.0 / duration_min,
            }
        ],
        "times_min": [float(t) for t in range(0, int(duration_min) + 181, 2)],
    }
    if cv:
        document["assumed_cv"] = {name: number("assumed_cv", 0.3) for name in ("cl", "v1", "q2", "v2")}
    model = next(m for m in describe_models() if m["id"] == model_id) if model_id in MODELS else None
    if model is None:
        raise InputError("model", "one of " + ", ".join(MODELS), model_id)
    answer = cohort_document(document)
    request = {"dose_mg_per_kg": dose_mg_per_kg, "duration_min": duration_min, **document}
    return CohortReport(model=model, request=request, answer=answer)


# -- the session chart's curves --------------------------------------------------------------------------------
SESSION_MODEL = "domino"  # the model the order page previews with, so the two pictures agree
SESSION_AFTER_END_MIN = 120.0
SESSION_STEP_MIN = 1.0


@dataclass(frozen=True, slots=True)
class SessionCurves:
    """Predicted plasma concentration of the order as written, and of what the pump actually delivered so far."""

    origin_utc: datetime
    times_min: list[float]
    predicted_plasma: list[float]
    actual_plasma: list[float | None] | None
    model: str
    caveats: list[str]


def session_concentrations(
    session: InfusionSession, order_inputs: Mapping[str, Any], now: datetime
) -> SessionCurves | None:
    """Both curves on one grid from the start (or from now, before the start); None without covariates."""
    try:
        patient = PkPatient.create(
            weight_kg=float(order_inputs["weight_kg"]),
            age_years=float(order_inputs["age_years"]),
            sex=str(order_inputs["sex"]),
            height_cm=float(order_inputs["height_cm"]),
        )
    except (KeyError, TypeError, ValueError, InputError):
        return None
    header = session.header
    origin = session.started_at_utc or now
    running_min = session.pump.running_minutes(now)
    elapsed_min = max(0.0, (now - origin).total_seconds() / 60.0)
    end_min = max(header.ordered_duration_min, elapsed_min, running_min) + SESSION_AFTER_END_MIN
    times = np.arange(0.0, end_min + SESSION_STEP_MIN / 2, SESSION_STEP_MIN)
    as_ordered: list[Dose] = [
        Infusion(start, duration, rate_ml_per_h * header.concentration_mg_per_ml)
        for start, duration, rate_ml_per_h in header.ordered_steps
    ] or [Infusion(0.0, header.ordered_duration_min, header.ordered_rate_mg_per_h)]
    ordered = simulate(SESSION_MODEL, patient, as_ordered, times)
    actual: list[float | None] | None = None
    infused = session.pump.as_infusions(origin, now)
    if session.started_at_utc is not None and infused:
        doses: list[Dose] = [Infusion(start, duration, rate) for start, duration, rate in infused]
        delivered = simulate(SESSION_MODEL, patient, doses, times).plasma_ng_per_ml
        actual = [round(float(v), 2) if t <= elapsed_min else None for t, v in zip(times, delivered, strict=True)]
    return SessionCurves(
        origin_utc=origin,
        times_min=[round(float(t), 3) for t in times],
        predicted_plasma=_rounded(ordered.plasma_ng_per_ml),
        actual_plasma=actual,
        model=SESSION_MODEL,
        caveats=list(ordered.caveats),
    )
