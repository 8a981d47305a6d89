"""The intake form as HTML names it, turned into the intake document the screening service checks.

Input names are the document's JSON paths (``vitals.systolic_mmhg``, ``conditions[1].code``), so the
field an ``InputError`` names is the input it is shown next to. Empty rows of a repeating group are
left out and the filled ones close up, and the form is shown again from the closed-up rows: row ``i`` on
the page is always ``conditions[i]`` in the document. Text that is not a number is passed on as text,
so the domain names the field and what it expected; nothing is judged here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ketaflow.domain.basis import JsonValue

ROWS_SHOWN = 3
ROWS_READ = 20

# Repeating groups: their fields, in the order the row shows them.
GROUPS: dict[str, tuple[str, ...]] = {
    "conditions": ("code", "clinical_status", "controlled", "severity"),
    "medications": ("name", "daily_dose_mg"),
    "antidepressant_trials": ("drug", "adequate", "outcome"),
    "substance_use": ("substance", "status"),
    "allergies": ("substance", "reaction"),
}
CSSRS_ITEMS = ("q1", "q2", "q3", "q4", "q5", "q6_lifetime", "q6_past_3_months")
_NUMBERS = {
    "daily_dose_mg",
    "weight_kg",
    "height_cm",
    "age_years",
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_bpm",
    "spo2_pct",
    "respiratory_rate_per_min",
    "alt_u_per_l",
    "ast_u_per_l",
    "bilirubin_mg_per_dl",
    "egfr_ml_per_min",
    "ymrs_total",
}
_YES_NO = {"controlled", "adequate", "positive", "pregnant", "breastfeeding", *CSSRS_ITEMS}
PATIENT_FIELDS = ("age_years", "sex", "weight_kg", "height_cm")
VITAL_FIELDS = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_pct", "respiratory_rate_per_min")
LAB_FIELDS = ("alt_u_per_l", "ast_u_per_l", "bilirubin_mg_per_dl", "egfr_ml_per_min")
MANIA_FIELDS = ("instrument", "ymrs_total", "positive")


@dataclass(frozen=True, slots=True)
class IntakeForm:
    """The form's values (input name -> text, to show again) and the document built from them."""

    values: dict[str, str]
    document: dict[str, JsonValue]


def row_counts(values: Mapping[str, str]) -> dict[str, int]:
    """Rows to show per group: the filled ones and at least one empty one (at least ROWS_SHOWN)."""
    counts: dict[str, int] = {}
    for group in GROUPS:
        filled = {key.split("]", 1)[0] for key in values if key.startswith(f"{group}[")}
        counts[group] = max(ROWS_SHOWN, len(filled) + 1)
    return counts


def _scalar(name: str, text: str) -> JsonValue:
    """A number or yes/no when the field is one, else the text (the domain says what was expected)."""
    if name in _YES_NO:
        return {"yes": True, "no": False}.get(text, text)
    if name in _NUMBERS:
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _object(form: Mapping[str, str], prefix: str, names: tuple[str, ...]) -> dict[str, JsonValue]:
    """The filled fields under ``prefix`` (blank and "unknown" answers are left out)."""
    found: dict[str, JsonValue] = {}
    for name in names:
        text = form.get(f"{prefix}.{name}", "").strip()
        if text and text != "unknown":
            found[name] = _scalar(name, text)
    return found


def utc_from_local(text: str, clinic_timezone: str) -> str:
    """A datetime-local value (clinic time) as a UTC ISO time; anything else is passed on unchanged.

    >>> utc_from_local("2026-11-25T08:50", "America/New_York"), utc_from_local("yesterday", "UTC")
    ('2026-11-25T13:50:00Z', 'yesterday')
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(clinic_timezone))
    return moment.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")


def read_intake_form(form: Mapping[str, str], clinic_timezone: str) -> IntakeForm:
    """Build the intake document from the submitted form, and the values to show the form again."""
    values: dict[str, str] = {}
    doc: dict[str, JsonValue] = {}

    def keep(prefix: str, names: tuple[str, ...]) -> None:
        for name in names:
            key = f"{prefix}.{name}"
            if form.get(key, "").strip():
                values[key] = form[key].strip()

    patient = _object(form, "patient", PATIENT_FIELDS)
    keep("patient", PATIENT_FIELDS)
    if patient.get("sex") == "female":
        # The boxes are shown for female patients: unticked means the clinician asked and the answer is no.
        for name in ("pregnant", "breastfeeding"):
            patient[name] = bool(form.get(f"patient.{name}"))
            if patient[name]:
                values[f"patient.{name}"] = "1"
    doc["patient"] = patient
    for name in ("indication", "ketamine_route"):
        if form.get(name, "").strip():
            doc[name] = values[name] = form[name].strip()

    vitals = _object(form, "vitals", VITAL_FIELDS)
    keep("vitals", VITAL_FIELDS)
    measured_at = form.get("vitals.measured_at", "").strip()
    if measured_at:
        values["vitals.measured_at"] = measured_at
        vitals["measured_at"] = utc_from_local(measured_at, clinic_timezone)
    if vitals:
        doc["vitals"] = vitals

    for group, names in GROUPS.items():
        rows: list[JsonValue] = []
        for i in range(ROWS_READ):
            row = _object(form, f"{group}[{i}]", names)
            if row:
                for name in names:
                    text = form.get(f"{group}[{i}].{name}", "").strip()
                    if text:
                        values[f"{group}[{len(rows)}].{name}"] = text
                if group == "conditions":
                    row["system"] = "ICD-10-CM"
                rows.append(row)
        if rows:
            doc[group] = rows

    labs = _object(form, "labs", LAB_FIELDS)
    keep("labs", LAB_FIELDS)
    if labs:
        doc["labs"] = labs

    assessments: dict[str, JsonValue] = {}
    cssrs = _object(form, "assessments.cssrs_screener", CSSRS_ITEMS)
    keep("assessments.cssrs_screener", CSSRS_ITEMS)
    if cssrs:
        assessments["cssrs_screener"] = cssrs
    mania = _object(form, "assessments.mania_screen", MANIA_FIELDS)
    keep("assessments.mania_screen", MANIA_FIELDS)
    if mania:
        assessments["mania_screen"] = mania
    if assessments:
        doc["assessments"] = assessments
    return IntakeForm(values, doc)


def _text(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def values_from_intake(intake: Mapping[str, JsonValue]) -> dict[str, str]:
    """The history of an earlier intake as form values (conditions, medicines, trials, substances).

    Vitals, labs and the assessments are taken afresh each time, so they are not carried over.
    """
    values: dict[str, str] = {}
    for name in ("indication", "ketamine_route"):
        if intake.get(name):
            values[name] = _text(intake[name])
    for group, names in GROUPS.items():
        rows = intake.get(group)
        for i, row in enumerate(rows if isinstance(rows, list) else []):
            if isinstance(row, Mapping):
                for name in names:
                    if _text(row.get(name)):
                        values[f"{group}[{i}].{name}"] = _text(row.get(name))
    return values
