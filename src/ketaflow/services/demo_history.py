"""A synthetic clinic history for `ketaflow demo`: hundreds of fictional patients over a year, true to published rates.

Every patient is fictional (MRN ``SYN-...``, invented names, phone numbers in the 555-01xx fiction range) and
marked synthetic in storage, and every page that shows one says so. Each goes through intake screening,
consent, an induction series (the course plan's schedule) of sessions charted through ``InfusionSession``,
questionnaires before, 24 h after the first infusion, after the series and weekly-ish after, with missed ones,
maintenance for some responders, and relapse. The numbers that shape it come from
rules/demo/synthetic_history.json (synthetic generator parameters with their sources, not clinical rules);
the verdicts come from the clinic's own rules. It writes straight through the repositories, a batch of
patients per transaction, with one audit event per patient (``demo.synthetic_history``).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from ketaflow.domain.access import Permission
from ketaflow.domain.basis import JsonValue
from ketaflow.domain.errors import InputError
from ketaflow.services.app import AppServices
from ketaflow.services.context import Actor, require
from ketaflow.services.demo_history_patient import (
    BATCH_PATIENTS,
    MAX_DAYS,
    MAX_PATIENTS,
    HistoryWriter,
    ProgressCallback,
    load_history_setting,
)


@dataclass(frozen=True, slots=True)
class HistorySummary:
    """What was generated: every count is of synthetic (fictional) patients and their records."""

    patients: int
    screened_out: int
    sessions: int
    deferred_infusions: int
    questionnaire_responses: int
    series_responders: int
    series_remitters: int
    relapses: int
    maintenance_patients: int
    side_effects: int
    alerts: int
    seed: int
    generator_version: str
    synthetic: bool = True

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "synthetic": self.synthetic,
            "patients": self.patients,
            "screened_out": self.screened_out,
            "sessions": self.sessions,
            "deferred_infusions": self.deferred_infusions,
            "questionnaire_responses": self.questionnaire_responses,
            "series_responders": self.series_responders,
            "series_remitters": self.series_remitters,
            "relapses": self.relapses,
            "maintenance_patients": self.maintenance_patients,
            "side_effects": self.side_effects,
            "alerts": self.alerts,
            "seed": self.seed,
            "generator_version": self.generator_version,
        }


def generate_clinic_history(
    svc: AppServices,
    *,
    patients: int = 300,
    days: int = 365,
    seed: int = 20261126,
    progress: ProgressCallback | None = None,
) -> HistorySummary:
    """Generate ``patients`` synthetic patients over the last ``days`` days; every one is marked synthetic.

    Deterministic for a seed and a clock. Raises Conflict if this database already holds a synthetic history.
    """
    setting = load_history_setting(svc, seed)
    lead_days = setting.params.intake_days_range[1]
    if not 0 <= patients <= MAX_PATIENTS:
        raise InputError("patients", f"a number of patients from 0 to {MAX_PATIENTS}", patients)
    if not lead_days < days <= MAX_DAYS:
        raise InputError("days", f"a number of days from {lead_days + 1} to {MAX_DAYS}", days)
    writer = HistoryWriter(svc, setting)
    for batch_start in range(0, patients, BATCH_PATIENTS):
        with svc.uow_factory() as uow:
            for index in range(batch_start, min(patients, batch_start + BATCH_PATIENTS)):
                writer.write_patient(uow, index, days)
                if progress is not None:
                    progress(index + 1, patients)
            uow.commit()
    counts = writer.counts
    return HistorySummary(
        patients=counts.patients,
        screened_out=counts.screened_out,
        sessions=counts.sessions,
        deferred_infusions=counts.deferred,
        questionnaire_responses=counts.responses,
        series_responders=counts.responders,
        series_remitters=counts.remitters,
        relapses=counts.relapses,
        maintenance_patients=counts.maintenance,
        side_effects=counts.side_effects,
        alerts=counts.alerts,
        seed=seed,
        generator_version=setting.params.ref.version,
    )


def is_synthetic(svc: AppServices, actor: Actor, patient_id: UUID) -> bool:
    """Whether the patient is generated demo data (a fictional person), so every page can say so."""
    return patient_id in list_synthetic_patient_ids(svc, actor)


def list_synthetic_patient_ids(svc: AppServices, actor: Actor) -> frozenset[UUID]:
    """The ids of every synthetic (generated, fictional) patient: a short list, read once per page."""
    require(actor, Permission.PATIENT_READ)
    with svc.uow_factory() as uow:
        return frozenset(uow.courses.synthetic_patient_ids())
