"""The facts a clinic collects before an infusion, checked once at the edge of the domain.

``Intake.from_json`` is the only way in: it validates types, ranges, codes and enumerations and raises
``InputError`` naming the JSON path of the first offending field (``patient.weight_kg``,
``conditions[0].code``). Everything after it can trust the object. ``Intake.to_json`` gives the canonical
snapshot that a screening stores next to its result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.ruledata.fields import JsonFields, format_utc, input_error
from ketaflow.domain.screening.assessments import Assessments
from ketaflow.domain.screening.vocabulary import (
    ICD10CM_CODE,
    ClinicalStatus,
    Indication,
    KetamineRoute,
    Severity,
    Sex,
    TrialOutcome,
    normalise_icd10cm,
    normalise_name,
)

# Plausibility bounds for data entry, not clinical thresholds: they catch unit slips and typos
# (a weight in grams, a blood pressure typed as 1300) before any rule runs. Clinical thresholds live in
# rules/screening/default.json with their sources.
_AGE_YEARS = (0, 130)
_WEIGHT_KG = (0.5, 650.0)
_HEIGHT_CM = (30.0, 275.0)
_SYSTOLIC_MMHG = (40.0, 300.0)
_DIASTOLIC_MMHG = (20.0, 200.0)
_HEART_RATE_BPM = (20.0, 300.0)
_SPO2_PCT = (40.0, 100.0)
_RESPIRATORY_RATE_PER_MIN = (2.0, 80.0)
_ENZYME_U_PER_L = (0.0, 100_000.0)
_BILIRUBIN_MG_PER_DL = (0.0, 100.0)
_EGFR_ML_PER_MIN = (0.0, 250.0)
_DAILY_DOSE_MG = (0.0, 100_000.0)

_ICD10CM_SYSTEMS = ("ICD-10-CM", "http://hl7.org/fhir/sid/icd-10-cm")


@dataclass(frozen=True, slots=True)
class Patient:
    age_years: int
    sex: Sex
    weight_kg: float
    height_cm: float | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None

    @property
    def bmi_kg_per_m2(self) -> float | None:
        if self.height_cm is None:
            return None
        return self.weight_kg / (self.height_cm / 100.0) ** 2

    @classmethod
    def from_fields(cls, f: JsonFields) -> Patient:
        f.check_keys({"age_years", "sex", "weight_kg", "height_cm", "pregnant", "breastfeeding"})
        return cls(
            age_years=f.get_int("age_years", low=_AGE_YEARS[0], high=_AGE_YEARS[1]),
            sex=f.get_enum("sex", Sex),
            weight_kg=f.get_number("weight_kg", low=_WEIGHT_KG[0], high=_WEIGHT_KG[1]),
            height_cm=f.get_optional_number("height_cm", low=_HEIGHT_CM[0], high=_HEIGHT_CM[1]),
            pregnant=f.get_optional_bool("pregnant"),
            breastfeeding=f.get_optional_bool("breastfeeding"),
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "age_years": self.age_years,
            "sex": self.sex.value,
            "weight_kg": self.weight_kg,
            "height_cm": self.height_cm,
            "pregnant": self.pregnant,
            "breastfeeding": self.breastfeeding,
        }


@dataclass(frozen=True, slots=True)
class Vitals:
    """Resting vital signs and the time (UTC) they were taken."""

    systolic_mmhg: float
    diastolic_mmhg: float
    measured_at: datetime
    heart_rate_bpm: float | None = None
    spo2_pct: float | None = None
    respiratory_rate_per_min: float | None = None

    @classmethod
    def from_fields(cls, f: JsonFields) -> Vitals:
        f.check_keys(
            {
                "systolic_mmhg",
                "diastolic_mmhg",
                "heart_rate_bpm",
                "spo2_pct",
                "respiratory_rate_per_min",
                "measured_at",
            }
        )
        systolic_mmhg = f.get_number("systolic_mmhg", low=_SYSTOLIC_MMHG[0], high=_SYSTOLIC_MMHG[1])
        diastolic_mmhg = f.get_number("diastolic_mmhg", low=_DIASTOLIC_MMHG[0], high=_DIASTOLIC_MMHG[1])
        if diastolic_mmhg >= systolic_mmhg:
            raise f.fail("diastolic_mmhg", f"a value below systolic_mmhg ({systolic_mmhg:g})", diastolic_mmhg)
        return cls(
            systolic_mmhg=systolic_mmhg,
            diastolic_mmhg=diastolic_mmhg,
            measured_at=f.get_utc_datetime("measured_at"),
            heart_rate_bpm=f.get_optional_number("heart_rate_bpm", low=_HEART_RATE_BPM[0], high=_HEART_RATE_BPM[1]),
            spo2_pct=f.get_optional_number("spo2_pct", low=_SPO2_PCT[0], high=_SPO2_PCT[1]),
            respiratory_rate_per_min=f.get_optional_number(
                "respiratory_rate_per_min",
                low=_RESPIRATORY_RATE_PER_MIN[0],
                high=_RESPIRATORY_RATE_PER_MIN[1],
            ),
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "systolic_mmhg": self.systolic_mmhg,
            "diastolic_mmhg": self.diastolic_mmhg,
            "heart_rate_bpm": self.heart_rate_bpm,
            "spo2_pct": self.spo2_pct,
            "respiratory_rate_per_min": self.respiratory_rate_per_min,
            "measured_at": format_utc(self.measured_at),
        }


@dataclass(frozen=True, slots=True)
class Condition:
    """A diagnosis coded in ICD-10-CM with its FHIR clinical status."""

    code: str
    clinical_status: ClinicalStatus
    controlled: bool | None = None
    severity: Severity | None = None

    @classmethod
    def from_fields(cls, f: JsonFields) -> Condition:
        f.check_keys({"code", "system", "clinical_status", "controlled", "severity"})
        if f.has("system") and f.data["system"] not in _ICD10CM_SYSTEMS:
            raise f.fail("system", "ICD-10-CM", f.data["system"])
        raw = f.get_str("code", expected="an ICD-10-CM code such as F33.2")
        code = normalise_icd10cm(raw)
        if not ICD10CM_CODE.fullmatch(code):
            raise f.fail("code", "an ICD-10-CM code such as F33.2", raw)
        return cls(
            code=code,
            clinical_status=f.get_enum("clinical_status", ClinicalStatus),
            controlled=f.get_optional_bool("controlled"),
            severity=f.get_optional_enum("severity", Severity),
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "code": self.code,
            "system": "ICD-10-CM",
            "clinical_status": self.clinical_status.value,
            "controlled": self.controlled,
            "severity": self.severity.value if self.severity else None,
        }


@dataclass(frozen=True, slots=True)
class Medication:
    """A current medicine by generic name (lower-case) and its total daily dose."""

    name: str
    daily_dose_mg: float | None = None

    @classmethod
    def from_fields(cls, f: JsonFields) -> Medication:
        f.check_keys({"name", "daily_dose_mg"})
        return cls(
            name=normalise_name(f.get_str("name")),
            daily_dose_mg=f.get_optional_number("daily_dose_mg", low=_DAILY_DOSE_MG[0], high=_DAILY_DOSE_MG[1]),
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {"name": self.name, "daily_dose_mg": self.daily_dose_mg}


@dataclass(frozen=True, slots=True)
class AntidepressantTrial:
    drug: str
    adequate: bool
    outcome: TrialOutcome

    @classmethod
    def from_fields(cls, f: JsonFields) -> AntidepressantTrial:
        f.check_keys({"drug", "adequate", "outcome"})
        return cls(
            drug=normalise_name(f.get_str("drug")),
            adequate=f.get_bool("adequate"),
            outcome=f.get_enum("outcome", TrialOutcome),
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {"drug": self.drug, "adequate": self.adequate, "outcome": self.outcome.value}


@dataclass(frozen=True, slots=True)
class SubstanceUse:
    substance: str
    status: ClinicalStatus

    @classmethod
    def from_fields(cls, f: JsonFields) -> SubstanceUse:
        f.check_keys({"substance", "status"})
        return cls(substance=normalise_name(f.get_str("substance")), status=f.get_enum("status", ClinicalStatus))

    def to_json(self) -> dict[str, JsonValue]:
        return {"substance": self.substance, "status": self.status.value}


@dataclass(frozen=True, slots=True)
class Allergy:
    """A recorded hypersensitivity or prior adverse reaction to a substance."""

    substance: str
    reaction: str | None = None

    @classmethod
    def from_fields(cls, f: JsonFields) -> Allergy:
        f.check_keys({"substance", "reaction"})
        return cls(substance=normalise_name(f.get_str("substance")), reaction=f.get_optional_str("reaction"))

    def to_json(self) -> dict[str, JsonValue]:
        return {"substance": self.substance, "reaction": self.reaction}


@dataclass(frozen=True, slots=True)
class Labs:
    """Liver and kidney tests; ``*_uln_*`` fields are the reporting laboratory's upper limits of normal."""

    alt_u_per_l: float | None = None
    ast_u_per_l: float | None = None
    bilirubin_mg_per_dl: float | None = None
    egfr_ml_per_min: float | None = None
    alt_uln_u_per_l: float | None = None
    ast_uln_u_per_l: float | None = None
    bilirubin_uln_mg_per_dl: float | None = None

    @classmethod
    def from_fields(cls, f: JsonFields) -> Labs:
        f.check_keys(
            {
                "alt_u_per_l",
                "ast_u_per_l",
                "bilirubin_mg_per_dl",
                "egfr_ml_per_min",
                "alt_uln_u_per_l",
                "ast_uln_u_per_l",
                "bilirubin_uln_mg_per_dl",
            }
        )
        enzyme = {"low": _ENZYME_U_PER_L[0], "high": _ENZYME_U_PER_L[1]}
        bilirubin = {"low": _BILIRUBIN_MG_PER_DL[0], "high": _BILIRUBIN_MG_PER_DL[1]}
        return cls(
            alt_u_per_l=f.get_optional_number("alt_u_per_l", **enzyme),
            ast_u_per_l=f.get_optional_number("ast_u_per_l", **enzyme),
            bilirubin_mg_per_dl=f.get_optional_number("bilirubin_mg_per_dl", **bilirubin),
            egfr_ml_per_min=f.get_optional_number("egfr_ml_per_min", low=_EGFR_ML_PER_MIN[0], high=_EGFR_ML_PER_MIN[1]),
            alt_uln_u_per_l=f.get_optional_number("alt_uln_u_per_l", **enzyme),
            ast_uln_u_per_l=f.get_optional_number("ast_uln_u_per_l", **enzyme),
            bilirubin_uln_mg_per_dl=f.get_optional_number("bilirubin_uln_mg_per_dl", **bilirubin),
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "alt_u_per_l": self.alt_u_per_l,
            "ast_u_per_l": self.ast_u_per_l,
            "bilirubin_mg_per_dl": self.bilirubin_mg_per_dl,
            "egfr_ml_per_min": self.egfr_ml_per_min,
            "alt_uln_u_per_l": self.alt_uln_u_per_l,
            "ast_uln_u_per_l": self.ast_uln_u_per_l,
            "bilirubin_uln_mg_per_dl": self.bilirubin_uln_mg_per_dl,
        }


_INTAKE_KEYS = {
    "patient",
    "indication",
    "ketamine_route",
    "vitals",
    "conditions",
    "medications",
    "antidepressant_trials",
    "substance_use",
    "allergies",
    "labs",
    "assessments",
}


@dataclass(frozen=True, slots=True)
class Intake:
    """Everything the screening rules read about one patient on one day."""

    patient: Patient
    indication: Indication
    vitals: Vitals | None = None
    conditions: tuple[Condition, ...] = ()
    medications: tuple[Medication, ...] = ()
    antidepressant_trials: tuple[AntidepressantTrial, ...] = ()
    substance_use: tuple[SubstanceUse, ...] = ()
    allergies: tuple[Allergy, ...] = ()
    labs: Labs | None = None
    assessments: Assessments = field(default_factory=Assessments)
    ketamine_route: KetamineRoute = KetamineRoute.INTRAVENOUS

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Intake:
        """Check an intake document and build it; raises ``InputError`` naming the offending field.

        >>> intake = Intake.from_json({"patient": {"age_years": 42, "sex": "female", "weight_kg": 70},
        ...                            "indication": "ptsd"})
        >>> intake.indication, intake.vitals
        (<Indication.PTSD: 'ptsd'>, None)
        >>> Intake.from_json({"patient": {"age_years": 42, "sex": "female", "weight_kg": 70},
        ...                   "indication": "insomnia"})
        Traceback (most recent call last):
        ...
        ketaflow.domain.errors.InputError: indication: expected one of treatment_resistant_depression, \
major_depressive_disorder, bipolar_depression, postpartum_depression, ptsd, ocd, anxiety_disorder, \
chronic_pain, crps, fibromyalgia, got 'insomnia'
        """
        f = JsonFields.of(data, "", input_error)
        f.check_keys(_INTAKE_KEYS)
        vitals = f.get_optional_object("vitals")
        labs = f.get_optional_object("labs")
        assessments = f.get_optional_object("assessments")
        route = f.get_optional_enum("ketamine_route", KetamineRoute)
        return cls(
            patient=Patient.from_fields(f.get_object("patient")),
            indication=f.get_enum("indication", Indication),
            vitals=Vitals.from_fields(vitals) if vitals is not None else None,
            conditions=tuple(Condition.from_fields(item) for item in f.get_objects("conditions")),
            medications=tuple(Medication.from_fields(item) for item in f.get_objects("medications")),
            antidepressant_trials=tuple(
                AntidepressantTrial.from_fields(item) for item in f.get_objects("antidepressant_trials")
            ),
            substance_use=tuple(SubstanceUse.from_fields(item) for item in f.get_objects("substance_use")),
            allergies=tuple(Allergy.from_fields(item) for item in f.get_objects("allergies")),
            labs=Labs.from_fields(labs) if labs is not None else None,
            assessments=Assessments.from_fields(assessments) if assessments is not None else Assessments(),
            ketamine_route=route or KetamineRoute.INTRAVENOUS,
        )

    def to_json(self) -> dict[str, JsonValue]:
        """The canonical input snapshot stored with a screening; ``from_json`` reads it back unchanged."""
        return {
            "patient": self.patient.to_json(),
            "indication": self.indication.value,
            "ketamine_route": self.ketamine_route.value,
            "vitals": self.vitals.to_json() if self.vitals else None,
            "conditions": [item.to_json() for item in self.conditions],
            "medications": [item.to_json() for item in self.medications],
            "antidepressant_trials": [item.to_json() for item in self.antidepressant_trials],
            "substance_use": [item.to_json() for item in self.substance_use],
            "allergies": [item.to_json() for item in self.allergies],
            "labs": self.labs.to_json() if self.labs else None,
            "assessments": self.assessments.to_json(),
        }
