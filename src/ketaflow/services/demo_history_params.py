"""The synthetic history's parameters, read from rules/demo/synthetic_history.json and checked once.

They are synthetic generator parameters, not clinical rules: every number that shapes the demo history (rates,
incidences, the blood-pressure rise, missing follow-ups) lives in that file with its source, so the generator
in ``demo_history`` holds no clinical number of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from ketaflow.domain.basis import RuleRef
from ketaflow.domain.ruledata.fields import JsonFields, rule_data_error
from ketaflow.domain.ruledata.rulebasis import SourceRegistry
from ketaflow.rules import load_rule_file

RULE_AREA = "demo"
RULE_NAME = "synthetic_history"
_UNIT = {"low": 0.0, "high": 1.0}
_MMHG = {"low": 0.0, "high": 300.0}
_BPM = {"low": 0.0, "high": 250.0}


@dataclass(frozen=True, slots=True)
class Normal:
    """A normal distribution drawn for one quantity (mean and SD in the quantity's unit)."""

    mean: float
    sd: float

    def at(self, z: float) -> float:
        """The value ``z`` standard deviations from the mean."""
        return self.mean + z * self.sd


@dataclass(frozen=True, slots=True)
class AdverseEffect:
    code: str
    incidence: float
    infusions_in_source: int

    @property
    def per_session_probability(self) -> float:
        """The per-patient incidence as a per-session chance, assuming independent sessions."""
        return float(1.0 - (1.0 - self.incidence) ** (1.0 / self.infusions_in_source))


@dataclass(frozen=True, slots=True)
class HistoryParameters:
    """Everything that shapes the synthetic history; see the rule file's notes for each group."""

    ref: RuleRef
    protocol_id: str
    preparation_drug_mg: float
    preparation_volume_ml: float
    chairs: int
    course_plan_id: str
    induction_phase: str
    maintenance_phase: str
    age_years_range: tuple[int, int]
    female_fraction: float
    weight_kg: Normal
    weight_kg_range: tuple[float, float]
    height_cm_female: Normal
    height_cm_male: Normal
    qids_fraction: float
    intake_days_range: tuple[int, int]
    check_in_hour_range: tuple[int, int]
    baseline_total_ranges: Mapping[str, tuple[int, int]]
    response_probability: float
    remission_probability: float
    first_infusion_response_probability: float
    relapse_median_days: float
    maintenance_fraction: float
    dropout_per_infusion: float
    discontinuation_for_adverse_event: float
    missing_24h_fraction: float
    missing_visit_fraction: float
    missing_endpoint_fraction: float
    missing_follow_up_fraction: float
    follow_up_every_days_range: tuple[int, int]
    follow_up_weeks: int
    items_kept_at_zero: Mapping[str, tuple[str, ...]]
    systolic_mmhg: Normal
    diastolic_mmhg: Normal
    peak_rise_systolic_mmhg: Normal
    peak_rise_diastolic_mmhg: Normal
    peak_at_min: float
    back_to_baseline_at_min: float
    reading_noise_mmhg_sd: float
    heart_rate_bpm: Normal
    heart_rate_rise_bpm: Normal
    heart_rate_noise_bpm_sd: float
    spo2_pct_range: tuple[int, int]
    respiratory_rate_range: tuple[int, int]
    adverse_effects: tuple[AdverseEffect, ...]
    moderate_fraction: float
    intervention_for: str
    intervention_fraction: float
    intervention: Mapping[str, str | float]
    pause_probability: float
    pause_min: float
    padss_every_min: float
    item_below_best_fraction: float
    extra_observation_steps: int

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> HistoryParameters:
        """Read and check the rule file; RuleDataError names the JSON path of a bad field."""
        f = JsonFields.of(data, "", rule_data_error)
        sources = SourceRegistry.from_fields(f.get_object("sources"))
        groups = {name: f.get_object(name) for name in _GROUPS}
        for name, group in groups.items():
            if name not in ("outcome", "adverse_effects"):
                sources.cite(group)
        protocol, plan, cohort = groups["protocol"], groups["course_plan"], groups["cohort"]
        intake, day, severity = groups["intake"], groups["clinic_day"], groups["baseline_severity"]
        outcome, course, questions = groups["outcome"], groups["course"], groups["questionnaires"]
        bp, signs, effects = groups["blood_pressure"], groups["other_signs"], groups["adverse_effects"]
        intervention, pauses, recovery = groups["interventions"], groups["pauses"], groups["recovery"]
        selected = outcome.get_str("selected")
        option = outcome.get_object("options").get_object(selected)
        sources.cite(option)
        first_response = outcome.get_object("first_infusion_response_probability")
        relapse = outcome.get_object("relapse_median_days")
        for row in (first_response, relapse):
            sources.cite(row)
        sources.cite(effects)
        sources.cite(course, "maintenance_sources")
        sources.cite(course, "discontinuation_sources")
        rows = list(effects.get_objects("effects"))
        for row in rows:
            sources.cite(row)
        response = option.get_number("response_probability", **_UNIT)
        remission = option.get_number("remission_probability", **_UNIT)
        if remission > response:
            raise option.fail("remission_probability", f"at most the response probability ({response:g})", remission)
        zero = questions.get_object("items_kept_at_zero")
        return cls(
            ref=RuleRef(f.get_str("id"), f.get_str("version")),
            protocol_id=protocol.get_str("id"),
            preparation_drug_mg=protocol.get_number("preparation_drug_mg", low=1, high=10_000),
            preparation_volume_ml=protocol.get_number("preparation_volume_ml", low=1, high=10_000),
            chairs=protocol.get_int("chairs", low=1, high=100),
            course_plan_id=plan.get_str("id"),
            induction_phase=plan.get_str("induction_phase"),
            maintenance_phase=plan.get_str("maintenance_phase"),
            age_years_range=_int_range(cohort, "age_years", 18, 100),
            female_fraction=cohort.get_number("female_fraction", **_UNIT),
            weight_kg=Normal(
                cohort.get_number("weight_kg_mean", low=2, high=400), cohort.get_number("weight_kg_sd", low=0, high=100)
            ),
            weight_kg_range=(
                cohort.get_number("weight_kg_min", low=2, high=400),
                cohort.get_number("weight_kg_max", low=2, high=400),
            ),
            height_cm_female=Normal(
                cohort.get_number("height_cm_female_mean", low=40, high=250),
                cohort.get_number("height_cm_sd", low=0, high=50),
            ),
            height_cm_male=Normal(
                cohort.get_number("height_cm_male_mean", low=40, high=250),
                cohort.get_number("height_cm_sd", low=0, high=50),
            ),
            qids_fraction=cohort.get_number("qids_fraction", **_UNIT),
            intake_days_range=_int_range(intake, "days_before_first_infusion", 0, 14),
            check_in_hour_range=(
                day.get_int("first_check_in_hour", low=0, high=23),
                day.get_int("last_check_in_hour", low=0, high=23),
            ),
            baseline_total_ranges={
                instrument: _int_range(severity, f"{instrument}_total", 0, 100) for instrument in ("phq9", "qids_sr16")
            },
            response_probability=response,
            remission_probability=remission,
            first_infusion_response_probability=first_response.get_number("value", **_UNIT),
            relapse_median_days=relapse.get_number("value", low=1, high=3650),
            maintenance_fraction=course.get_number("maintenance_fraction_of_responders", **_UNIT),
            dropout_per_infusion=course.get_number("dropout_per_infusion", **_UNIT),
            discontinuation_for_adverse_event=course.get_number("discontinuation_for_adverse_event", **_UNIT),
            missing_24h_fraction=questions.get_number("missing_24h_fraction", **_UNIT),
            missing_visit_fraction=questions.get_number("missing_visit_fraction", **_UNIT),
            missing_endpoint_fraction=questions.get_number("missing_endpoint_fraction", **_UNIT),
            missing_follow_up_fraction=questions.get_number("missing_follow_up_fraction", **_UNIT),
            follow_up_every_days_range=_int_range(questions, "follow_up_every_days", 1, 60),
            follow_up_weeks=questions.get_int("follow_up_weeks", low=0, high=520),
            items_kept_at_zero={key: zero.get_strs(key) for key in zero.data},
            systolic_mmhg=_normal(bp, "baseline_systolic_mmhg", _MMHG),
            diastolic_mmhg=_normal(bp, "baseline_diastolic_mmhg", _MMHG),
            peak_rise_systolic_mmhg=_normal(bp, "peak_rise_systolic_mmhg", _MMHG),
            peak_rise_diastolic_mmhg=_normal(bp, "peak_rise_diastolic_mmhg", _MMHG),
            peak_at_min=bp.get_number("peak_at_min", low=1, high=600),
            back_to_baseline_at_min=bp.get_number("back_to_baseline_at_min", low=1, high=600),
            reading_noise_mmhg_sd=bp.get_number("reading_noise_mmhg_sd", low=0, high=50),
            heart_rate_bpm=_normal(signs, "heart_rate_bpm", _BPM),
            heart_rate_rise_bpm=_normal(signs, "heart_rate_rise_bpm", _BPM),
            heart_rate_noise_bpm_sd=signs.get_number("heart_rate_noise_bpm_sd", **_BPM),
            spo2_pct_range=_int_range(signs, "spo2_pct", 50, 100),
            respiratory_rate_range=_int_range(signs, "respiratory_rate", 1, 60),
            adverse_effects=tuple(
                AdverseEffect(
                    row.get_str("code"),
                    row.get_number("incidence", **_UNIT),
                    row.get_int("infusions_in_source", low=1, high=100),
                )
                for row in rows
            ),
            moderate_fraction=effects.get_number("moderate_fraction", **_UNIT),
            intervention_for=intervention.get_str("for_side_effect"),
            intervention_fraction=intervention.get_number("given_fraction", **_UNIT),
            intervention={
                "drug": intervention.get_str("drug"),
                "dose": intervention.get_number("dose", low=0.001, high=10_000),
                "unit": intervention.get_str("unit"),
                "route": intervention.get_str("route"),
                "indication": intervention.get_str("for_side_effect"),
            },
            pause_probability=pauses.get_number("per_session_probability", **_UNIT),
            pause_min=pauses.get_number("pause_min", low=1, high=120),
            padss_every_min=recovery.get_number("padss_every_min", low=1, high=240),
            item_below_best_fraction=recovery.get_number("item_below_best_fraction", **_UNIT),
            extra_observation_steps=recovery.get_int("extra_observation_steps", low=0, high=20),
        )


_GROUPS = (
    "protocol",
    "course_plan",
    "cohort",
    "intake",
    "clinic_day",
    "baseline_severity",
    "outcome",
    "course",
    "questionnaires",
    "blood_pressure",
    "other_signs",
    "adverse_effects",
    "interventions",
    "pauses",
    "recovery",
)


def _normal(f: JsonFields, prefix: str, bounds: Mapping[str, float]) -> Normal:
    return Normal(f.get_number(f"{prefix}_mean", **bounds), f.get_number(f"{prefix}_sd", **bounds))


def _int_range(f: JsonFields, prefix: str, low: int, high: int) -> tuple[int, int]:
    first = f.get_int(f"{prefix}_min", low=low, high=high)
    last = f.get_int(f"{prefix}_max", low=first, high=high)
    return first, last


@cache
def load_history_parameters() -> HistoryParameters:
    """The shipped synthetic-history parameters, parsed and checked once per process."""
    return HistoryParameters.from_dict(load_rule_file(RULE_AREA, RULE_NAME))
