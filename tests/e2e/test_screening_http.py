"""Screening, review, consent and the pre-infusion gate through the pages, as a clinician's browser sends them."""

from __future__ import annotations

import html
import re
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient
from sqlalchemy import text

from ketaflow.domain.access import Role
from ketaflow.interop.messaging import ConsoleSender
from ketaflow.services import patients, screening
from ketaflow.services.context import Actor
from ketaflow.services.ports import AuditQuery
from tests.conftest import Clinic, csrf_of

# The clinic's clock stands at 2026-11-25 14:00 UTC, 09:00 in New York (the test clinic's time zone).
TODAY_LOCAL = "2026-11-25T08:50"
YESTERDAY_LOCAL = "2026-11-24T08:50"
CHECKLIST = {"confirmed": ["fasting", "escort", "medication_holds"], "escort_name": "Sam Rivera, 555 0100"}

# A complete intake as the form sends it: every input is named by its JSON path in the intake document.
FORM: dict[str, str] = {
    "indication": "treatment_resistant_depression",
    "ketamine_route": "intravenous",
    "patient.age_years": "42",
    "patient.sex": "female",
    "patient.weight_kg": "70",
    "patient.height_cm": "168",
    "vitals.systolic_mmhg": "128",
    "vitals.diastolic_mmhg": "82",
    "vitals.heart_rate_bpm": "72",
    "vitals.spo2_pct": "98",
    "vitals.respiratory_rate_per_min": "14",
    "vitals.measured_at": TODAY_LOCAL,
    "conditions[0].code": "F33.2",
    "conditions[0].clinical_status": "active",
    "medications[0].name": "sertraline",
    "medications[0].daily_dose_mg": "150",
    "antidepressant_trials[0].drug": "escitalopram",
    "antidepressant_trials[0].adequate": "yes",
    "antidepressant_trials[0].outcome": "no_response",
    "antidepressant_trials[1].drug": "venlafaxine",
    "antidepressant_trials[1].adequate": "yes",
    "antidepressant_trials[1].outcome": "no_response",
    "labs.alt_u_per_l": "24",
    "labs.ast_u_per_l": "22",
    "labs.bilirubin_mg_per_dl": "0.7",
    "labs.egfr_ml_per_min": "96",
    "assessments.cssrs_screener.q1": "no",
    "assessments.cssrs_screener.q2": "no",
    "assessments.cssrs_screener.q6_lifetime": "no",
}


def _patient(clinic: Clinic) -> UUID:
    version = patients.register_patient(
        clinic.services,
        Actor.system("test"),
        "KF-300",
        {"family_name": "Rivera", "given_names": "Ana", "date_of_birth": "1984-03-02", "sex": "female"},
    )
    return version.patient_id


def _screen(
    client: TestClient, patient_id: UUID, purpose: str = "intake", **changes: str
) -> Any:  # Any: httpx.Response
    data = {**FORM, **changes, "csrf_token": csrf_of(client)}
    return client.post(f"/patients/{patient_id}/screenings/new?purpose={purpose}", data=data)


def _overview(clinic: Clinic, patient_id: UUID) -> screening.ScreeningOverview:
    return screening.get_screening_overview(clinic.services, Actor.system("test"), patient_id)


def _actions(clinic: Clinic) -> list[str]:
    with clinic.database.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT action FROM audit_events ORDER BY seq"))]


def _field_html(page: str, input_id: str) -> str:
    """The markup of the .field block around the input with this id."""
    found = re.search(rf'<div class="field[^"]*">\s*<label[^>]*for="{input_id}".*?</div>', page, re.S)
    assert found is not None, f"no field {input_id}"
    return found.group(0)


def _consent(client: TestClient, patient_id: UUID) -> Any:
    data = {
        "sheet_id": "iv-ketamine-depression",
        "signed_by_name": "Ana Rivera",
        "signed_on": "2026-11-25",
        "csrf_token": csrf_of(client),
    }
    return client.post(f"/patients/{patient_id}/consents/new", data=data)


def _gate(client: TestClient, patient_id: UUID, form: dict[str, Any] = CHECKLIST) -> Any:
    return client.post(f"/patients/{patient_id}/gate", data={**form, "csrf_token": csrf_of(client)})


def test_a_resting_bp_of_185_over_105_blocks_and_the_patient_page_shows_the_rule_and_its_source(
    clinic: Clinic,
) -> None:
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)

    response = _screen(nurse, patient_id, **{"vitals.systolic_mmhg": "185", "vitals.diastolic_mmhg": "105"})
    page = nurse.get(response.headers["location"]).text

    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{patient_id}?notice=screened#screening"
    record = _overview(clinic, patient_id).screenings[0]
    finding = next(f for f in record.result["findings"] if f["rule_id"] == "bp.resting_contraindicated")
    assert record.decision.value == "block"
    assert 'class="badge badge--block badge--large"' in page
    assert "<code>bp.resting_contraindicated</code>" in page
    assert html.escape(str(finding["source"])) in page


def test_vitals_from_yesterday_hold_as_insufficient_data(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)

    _screen(nurse, patient_id, **{"vitals.measured_at": YESTERDAY_LOCAL})
    page = nurse.get(f"/patients/{patient_id}").text

    record = _overview(clinic, patient_id).screenings[0]
    assert record.decision.value == "hold"
    assert record.intake["vitals"]["measured_at"] == "2026-11-24T13:50:00Z"
    assert "<code>vitals.stale</code>" in page
    assert "Waiting for a physician" in page  # a nurse sees the hold but no review form


def test_a_nurse_cannot_document_a_decision_on_a_hold(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)
    _screen(nurse, patient_id, **{"vitals.systolic_mmhg": "150", "vitals.diastolic_mmhg": "95"})
    held = _overview(clinic, patient_id).screenings[0]

    response = nurse.post(
        f"/screenings/{held.id}/review",
        data={
            "patient_id": str(patient_id),
            "outcome": "proceed",
            "reason": "reviewed in person today",
            "csrf_token": csrf_of(nurse),
        },
    )

    assert response.status_code == 403
    assert _overview(clinic, patient_id).reviews == {}


def test_a_physician_reviews_a_hold_with_a_reason_and_the_gate_counts_it(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)
    _screen(nurse, patient_id, "pre_infusion", **{"vitals.systolic_mmhg": "150", "vitals.diastolic_mmhg": "95"})
    held = _overview(clinic, patient_id).screenings[0]
    physician = clinic.login(Role.PHYSICIAN)
    assert 'id="review-form"' in physician.get(f"/patients/{patient_id}").text

    short = physician.post(
        f"/screenings/{held.id}/review",
        data={"patient_id": str(patient_id), "outcome": "proceed", "reason": "ok", "csrf_token": csrf_of(physician)},
    )
    done = physician.post(
        f"/screenings/{held.id}/review",
        data={
            "patient_id": str(patient_id),
            "outcome": "proceed",
            "reason": "BP 150/95 after 10 minutes rest; known, treated hypertension; proceed",
            "csrf_token": csrf_of(physician),
        },
    )
    _consent(nurse, patient_id)
    _gate(nurse, patient_id)
    gate_page = nurse.get(f"/patients/{patient_id}/gate").text
    chart = nurse.get(f"/patients/{patient_id}").text

    assert short.status_code == 422 and 'id="f-reason-error"' in short.text
    assert done.status_code == 303
    assert "known, treated hypertension" in chart and 'id="latest-review"' in chart
    check = _overview(clinic, patient_id).gate_checks[0]
    assert "gate.hold_reviewed" in [f["rule_id"] for f in check.result["findings"]]
    assert check.clear is True
    assert "Clear to start the infusion" in gate_page


def test_the_gate_blocks_without_consent_and_clears_with_consent_checklist_and_todays_screening(
    clinic: Clinic,
) -> None:
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)
    _screen(nurse, patient_id, "pre_infusion")

    _gate(nurse, patient_id)
    refused = _overview(clinic, patient_id).gate_checks[0]
    refused_page = nurse.get(f"/patients/{patient_id}/gate").text
    _consent(nurse, patient_id)
    _gate(nurse, patient_id, {"confirmed": ["fasting", "medication_holds"]})
    no_escort = _overview(clinic, patient_id).gate_checks[0]
    _gate(nurse, patient_id)
    cleared = _overview(clinic, patient_id).gate_checks[0]
    cleared_page = nurse.get(f"/patients/{patient_id}/gate").text

    assert (refused.clear, refused.decision.value) == (False, "block")
    assert "gate.consent_on_file" in [f["rule_id"] for f in refused.result["findings"]]
    assert "Not clear: do not start the infusion" in refused_page
    assert "<code>gate.consent_on_file</code>" in refused_page
    assert no_escort.clear is False
    assert cleared.clear is True
    assert "Clear to start the infusion" in cleared_page


def test_a_high_risk_cssrs_screen_shows_the_urgent_safety_banner(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)
    prefix = "assessments.cssrs_screener."

    _screen(
        nurse, patient_id, **{f"{prefix}q2": "yes", f"{prefix}q3": "yes", f"{prefix}q4": "yes", f"{prefix}q5": "yes"}
    )
    page = nurse.get(f"/patients/{patient_id}").text

    assert _overview(clinic, patient_id).screenings[0].urgent_safety_referral is True
    assert 'id="urgent-safety"' in page and "Urgent safety referral" in page


def test_a_code_that_is_not_in_icd10cm_is_named_next_to_its_own_field_and_nothing_is_saved(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)

    response = _screen(nurse, patient_id, **{"conditions[1].code": "F99.99", "conditions[1].clinical_status": "active"})

    assert response.status_code == 422
    bad = _field_html(response.text, "f-conditions-1-code")
    assert 'aria-invalid="true"' in bad and "ICD-10-CM" in bad and 'value="F99.99"' in bad
    assert 'aria-invalid="true"' not in _field_html(response.text, "f-conditions-0-code")
    assert _overview(clinic, patient_id).screenings == []


def test_empty_rows_are_ignored_and_later_rows_move_up(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)
    form = {k: v for k, v in FORM.items() if not k.startswith("medications")}

    nurse.post(
        f"/patients/{patient_id}/screenings/new",
        data={
            **form,
            "medications[2].name": "Lamotrigine",
            "medications[2].daily_dose_mg": "200",
            "csrf_token": csrf_of(nurse),
        },
    )

    assert _overview(clinic, patient_id).screenings[0].intake["medications"] == [
        {"name": "lamotrigine", "daily_dose_mg": 200.0}
    ]


def test_the_intake_form_is_prefilled_from_the_chart(clinic: Clinic) -> None:
    patient_id = _patient(clinic)
    patients.record_measurement(
        clinic.services, Actor.system("test"), patient_id, kind="weight", value="71.5", measured_on="2026-11-20"
    )
    nurse = clinic.login(Role.NURSE)

    page = nurse.get(f"/patients/{patient_id}/screenings/new?purpose=intake").text

    assert 'name="patient.age_years" value="42"' in page  # born 1984-03-02, today 2026-11-25
    assert 'name="patient.weight_kg" value="71.5"' in page
    assert '<option value="female" selected>' in page
    assert 'name="patient.pregnant"' in page


def test_every_action_writes_one_audit_event(clinic_both: Clinic) -> None:
    clinic = clinic_both
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)
    physician = clinic.login(Role.PHYSICIAN)

    def count_after(action: str, do: Any) -> int:
        before = _actions(clinic).count(action)
        do()
        return _actions(clinic).count(action) - before

    assert count_after("screening.record", lambda: _screen(nurse, patient_id, **{"vitals.systolic_mmhg": "150"})) == 1
    held = _overview(clinic, patient_id).screenings[0]
    review = {"patient_id": str(patient_id), "outcome": "do_not_proceed", "reason": "repeat BP after rest first"}
    assert (
        count_after(
            "screening.review",
            lambda: physician.post(f"/screenings/{held.id}/review", data={**review, "csrf_token": csrf_of(physician)}),
        )
        == 1
    )
    assert count_after("consent.record", lambda: _consent(nurse, patient_id)) == 1
    consent = _overview(clinic, patient_id).consents[0]
    assert (
        count_after(
            "consent.withdraw",
            lambda: nurse.post(
                f"/patients/{patient_id}/consents/{consent.id}/withdraw",
                data={"reason": "patient changed their mind", "csrf_token": csrf_of(nurse)},
            ),
        )
        == 1
    )
    assert count_after("gate.check", lambda: _gate(nurse, patient_id)) == 1
    assert count_after("screening.read", lambda: nurse.get(f"/patients/{patient_id}")) == 1
    assert "Withdrawn" in nurse.get(f"/patients/{patient_id}").text


def test_the_screening_keeps_the_rule_set_version_it_used_and_the_page_shows_it(clinic_both: Clinic) -> None:
    clinic = clinic_both  # on SQLite and PostgreSQL
    patient_id = _patient(clinic)
    nurse = clinic.login(Role.NURSE)

    _screen(nurse, patient_id)
    page = nurse.get(f"/patients/{patient_id}").text

    rules = screening.load_screening_rules()
    record = _overview(clinic, patient_id).screenings[0]
    assert (record.ruleset.id, record.ruleset.version) == (rules.ref.id, rules.ref.version)
    assert f"<code>{rules.ref.id}</code> version {rules.ref.version}" in page


def test_roles_without_screening_access_see_no_screening_section(clinic: Clinic) -> None:
    patient_id = _patient(clinic)

    page = clinic.login(Role.FRONT_DESK).get(f"/patients/{patient_id}").text

    assert 'id="screening"' not in page
    assert 'id="screening"' in clinic.login(Role.NURSE).get(f"/patients/{patient_id}").text


def test_the_icd_search_returns_matching_codes_for_the_row(clinic: Clinic) -> None:
    nurse = clinic.login(Role.NURSE)

    fragment = nurse.get("/icd10cm/search", params={"q": "recurrent severe", "row": 2}).text

    assert 'data-code="F33.2"' in fragment and 'data-fill="f-conditions-2-code"' in fragment
    assert "<html" not in fragment


def test_the_information_sheet_is_filled_in_with_the_clinic_and_lists_its_sources(clinic: Clinic) -> None:
    page = clinic.login(Role.FRONT_DESK).get("/information/iv-ketamine-depression")
    missing = clinic.login(Role.NURSE).get("/information/no-such-sheet")

    assert page.status_code == 200
    assert "{clinic_name}" not in page.text and "{clinic_phone}" not in page.text
    assert 'id="sources"' in page.text and "version 2026" in page.text
    assert missing.status_code == 404


def test_the_information_sheet_is_e_mailed_to_the_patient_and_the_disclosure_is_audited(clinic: Clinic) -> None:
    with_email = patients.register_patient(
        clinic.services,
        Actor.system("test"),
        "KF-MAIL",
        {
            "family_name": "Mail",
            "given_names": "Ana",
            "date_of_birth": "1984-03-02",
            "sex": "female",
            "email": "ana.mail@example.org",
        },
    ).patient_id
    without = patients.register_patient(
        clinic.services,
        Actor.system("test"),
        "KF-NOMAIL",
        {"family_name": "Nomail", "given_names": "Bo", "date_of_birth": "1980-01-01", "sex": "male"},
    ).patient_id
    client = clinic.login(Role.FRONT_DESK)
    token = csrf_of(client)

    sent = client.post(f"/patients/{with_email}/information/iv-ketamine-depression/send", data={"csrf_token": token})
    refused = client.post(f"/patients/{without}/information/iv-ketamine-depression/send", data={"csrf_token": token})

    sender = clinic.services.sender
    assert isinstance(sender, ConsoleSender)
    assert sent.status_code == 303 and sender.outbox[-1].to == "ana.mail@example.org"
    assert clinic.settings.clinic_phone in sender.outbox[-1].body and "{clinic_phone}" not in sender.outbox[-1].body
    assert refused.status_code == 422 and "e-mail address on the patient" in refused.text
    with clinic.services.uow_factory() as uow:
        events = uow.audit.query(AuditQuery(action="information.send"))
    assert len(events) == 1 and "via console" in events[0].entry.detail
