"""The coded vocabulary of an intake: indications, FHIR statuses, severities, routes and ICD-10-CM syntax."""

from __future__ import annotations

import re
from enum import StrEnum

# ICD-10-CM code syntax: a letter, a digit, a digit or letter (O9A, C4A), then optionally a dot and up to
# four more characters (F33.2, S06.0X1A, F32.A). Whether the code exists is checked by the app against
# the official code list; the domain checks the shape.
ICD10CM_CODE = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?")
_ICD10CM_UNDOTTED = re.compile(r"([A-Z][0-9][0-9A-Z])([0-9A-Z]{1,4})")


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Indication(StrEnum):
    """What the infusion is for (the ten indications of issue 3)."""

    TREATMENT_RESISTANT_DEPRESSION = "treatment_resistant_depression"
    MAJOR_DEPRESSIVE_DISORDER = "major_depressive_disorder"
    BIPOLAR_DEPRESSION = "bipolar_depression"
    POSTPARTUM_DEPRESSION = "postpartum_depression"
    PTSD = "ptsd"
    OCD = "ocd"
    ANXIETY_DISORDER = "anxiety_disorder"
    CHRONIC_PAIN = "chronic_pain"
    CRPS = "crps"
    FIBROMYALGIA = "fibromyalgia"


class ClinicalStatus(StrEnum):
    """FHIR Condition.clinicalStatus codes (http://terminology.hl7.org/CodeSystem/condition-clinical)."""

    ACTIVE = "active"
    RECURRENCE = "recurrence"
    RELAPSE = "relapse"
    INACTIVE = "inactive"
    REMISSION = "remission"
    RESOLVED = "resolved"


class Severity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class TrialOutcome(StrEnum):
    NO_RESPONSE = "no_response"
    PARTIAL_RESPONSE = "partial_response"
    RESPONSE = "response"
    REMISSION = "remission"
    INTOLERANCE = "intolerance"
    UNKNOWN = "unknown"


class KetamineRoute(StrEnum):
    """How the ketamine will be given; CYP interactions matter mainly for oral and sublingual routes."""

    INTRAVENOUS = "intravenous"
    INTRAMUSCULAR = "intramuscular"
    SUBCUTANEOUS = "subcutaneous"
    INTRANASAL = "intranasal"
    SUBLINGUAL = "sublingual"
    ORAL = "oral"


def normalise_icd10cm(raw: str) -> str:
    """Upper-case a code and put the dot in if it was sent without one.

    >>> normalise_icd10cm(" f332 ")
    'F33.2'
    """
    code = raw.strip().upper()
    undotted = _ICD10CM_UNDOTTED.fullmatch(code)
    return f"{undotted.group(1)}.{undotted.group(2)}" if undotted else code


def normalise_name(raw: str) -> str:
    """Medicine and substance names compare lower-case with single spaces."""
    return " ".join(raw.lower().split())
