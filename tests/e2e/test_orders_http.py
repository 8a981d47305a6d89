"""Dose orders and protocols through the pages: preview, create, acknowledge, sign, verify, print, revise."""

from __future__ import annotations

import io
import json
import re
from typing import Any
from uuid import UUID

import pyotp
from fastapi.testclient import TestClient
from pypdf import PdfReader

from ketaflow.domain.access import Role
from ketaflow.services import orders, patients
from ketaflow.services.context import Actor
from ketaflow.services.ports import AuditQuery
from tests.conftest import PASSWORD, Clinic, csrf_of
from tests.e2e.test_screening_http import _screen

TIMES = "\N{MULTIPLICATION SIGN}"
ORDER = {"protocol_id": "depression_standard", "drug_mg": "100", "volume_ml": "100"}


def _patient(clinic: Clinic, mrn: str = "KF-400", weight_kg: str = "70") -> UUID:
    """A patient of 70 kg and 170 cm (BMI 24), charted yesterday."""
    version = patients.register_patient(
        clinic.services,
        Actor.system("test"),
        mrn,
        {"family_name": "Okafor", "given_names": "Grace", "date_of_birth": "1984-03-02", "sex": "female"},
    )
    for kind, value in (("weight", weight_kg), ("height", "170")):
        patients.record_measurement(
            clinic.services, Actor.system("test"), version.patient_id, kind=kind, value=value, measured_on="2026-11-24"
        )
    return version.patient_id


def _screened_patient(clinic: Clinic, mrn: str = "KF-400") -> UUID:
    """A patient whose latest screening proceeds (the complete intake of the screening tests, today's vitals)."""
    patient_id = _patient(clinic, mrn)
    assert _screen(clinic.login(Role.NURSE), patient_id).status_code == 303
    return patient_id


def _post(client: TestClient, path: str, form: dict[str, str]) -> Any:  # Any: httpx.Response
    return client.post(path, data={**form, "csrf_token": csrf_of(client)})


def _create(client: TestClient, patient_id: UUID, **changes: str) -> Any:
    return _post(client, f"/patients/{patient_id}/orders", {**ORDER, **changes})


def _order_id(response: Any) -> UUID:
    assert response.status_code == 303, response.text
    found = re.match(r"/orders/([0-9a-f-]{36})\?notice=order_created$", response.headers["location"])
    assert found is not None, response.headers["location"]
    return UUID(found.group(1))


def _step(page: str, step: str) -> str:
    found = re.search(rf'<li class="calc__step[^"]*" id="step-{step}">(.*?)</li>', page, re.S)
    assert found is not None, f"no step {step}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


def _code(clinic: Clinic, role: Role = Role.PHYSICIAN) -> str:
    clinic.clock.advance(seconds=31)  # a code is accepted once: the next step's
    return str(pyotp.TOTP(clinic.totp_secret(role)).at(clinic.clock.now()))


def test_a_physician_previews_and_creates_a_proceed_order_with_every_step_of_the_computation(clinic: Clinic) -> None:
    patient_id = _screened_patient(clinic)
    physician = clinic.login(Role.PHYSICIAN)

    form_page = physician.get(f"/patients/{patient_id}/orders/new")
    preview = _post(physician, f"/patients/{patient_id}/orders/preview", ORDER)
    created = _create(physician, patient_id)
    order_page = physician.get(f"/orders/{_order_id(created)}").text

    assert form_page.status_code == 200
    assert 'value="depression_standard" selected' in form_page.text and "version 2026.11.0" in form_page.text
    assert preview.status_code == 200 and "<html" not in preview.text
    for page in (preview.text, order_page):
        assert _step(page, "weight").startswith("Weight 70 kg measured 2026-11-24")
        assert _step(page, "dosing-weight").startswith("Dosing weight 70 kg basis: actual body weight")
        assert _step(page, "dose") == f"Dose 35 mg 0.5 mg/kg {TIMES} 70 kg"
        assert _step(page, "rate").startswith("Rate 52.5 mg/h 35 mg over 40 min")
        assert _step(page, "pump").startswith("Pump rate 52.5 mL/h 52.5 mg/h ÷ 1 mg/mL (100 mg in 100 mL)")
        assert _step(page, "vtbi").startswith("Volume to be infused 35 mL")
    assert 'class="badge badge--proceed badge--large">Proceed<' in preview.text
    assert 'id="preview-screening"' in preview.text and ">Clear<" in preview.text
    assert 'id="create-order"' in preview.text
    assert 'data-chart="timeseries"' in preview.text and "Cmax" in preview.text and 'id="pk-caveats"' in preview.text
    assert "Draft, not signed" in order_page and 'id="sign-form"' in order_page


def test_the_pk_chart_data_is_in_unix_seconds_sixty_per_minute(clinic: Clinic) -> None:
    patient_id = _screened_patient(clinic)
    preview = _post(clinic.login(Role.PHYSICIAN), f"/patients/{patient_id}/orders/preview", ORDER).text

    found = re.search(r"data-series='([^']+)'", preview)
    assert found is not None
    spec = json.loads(found.group(1))
    curve = orders.preview_order(
        clinic.services, Actor.system("test"), patient_id, orders.OrderRequest.from_form(ORDER)
    ).pk_curve
    start = spec["x"][0]
    assert [round((x - start) / 60, 3) for x in spec["x"]] == curve["times_min"]
    assert spec["series"][0] == {"label": "Plasma", "unit": "ng/mL", "values": curve["plasma_ng_per_ml"]}


def test_a_10x_slip_to_5_mg_per_kg_blocks_in_place_and_cannot_be_created(clinic: Clinic) -> None:
    patient_id = _screened_patient(clinic)
    physician = clinic.login(Role.PHYSICIAN)

    preview = _post(physician, f"/patients/{patient_id}/orders/preview", {**ORDER, "dose_mg_per_kg": "5"})
    refused = _create(physician, patient_id, dose_mg_per_kg="5")

    assert 'class="badge badge--block badge--large">Block<' in preview.text
    assert "<code>depression_standard.hard.dose</code>" in preview.text
    assert 'id="create-order"' not in preview.text and "no order can be created" in preview.text
    assert _step(preview.text, "dose") == f"Dose 350 mg 5 mg/kg {TIMES} 70 kg"
    assert refused.status_code == 409 and "hard limit" in refused.text
    assert physician.get(f"/patients/{patient_id}").text.count('href="/orders/') == 0


def test_a_dose_outside_the_soft_range_needs_the_physicians_reason(clinic: Clinic) -> None:
    patient_id = _screened_patient(clinic)
    physician = clinic.login(Role.PHYSICIAN)

    preview = _post(physician, f"/patients/{patient_id}/orders/preview", {**ORDER, "dose_mg_per_kg": "1.2"})
    without = _create(physician, patient_id, dose_mg_per_kg="1.2")
    reason = "titration step after partial response at 1.0 mg/kg, tolerated well"
    order_id = _order_id(_create(physician, patient_id, dose_mg_per_kg="1.2", acknowledgement=reason))
    page = physician.get(f"/orders/{order_id}").text

    assert 'class="badge badge--hold badge--large">Hold<' in preview.text
    assert 'name="acknowledgement"' in preview.text and "<code>depression_standard.soft.dose</code>" in preview.text
    assert without.status_code == 422 and "acknowledgement" in without.text
    assert reason in page and _step(page, "dose") == f"Dose 84 mg 1.2 mg/kg {TIMES} 70 kg"


def test_signing_needs_the_right_password_and_a_fresh_code_and_the_signed_order_verifies(clinic: Clinic) -> None:
    patient_id = _screened_patient(clinic)
    physician = clinic.login(Role.PHYSICIAN)
    order_id = _order_id(_create(physician, patient_id))
    path = f"/orders/{order_id}/sign"

    wrong_password = _post(physician, path, {"password": "not-the-password", "totp_code": _code(clinic)})
    wrong_code = _post(physician, path, {"password": PASSWORD, "totp_code": "000000"})
    assert not orders.get_order(clinic.services, Actor.system("test"), order_id).is_signed
    signed = _post(physician, path, {"password": PASSWORD, "totp_code": _code(clinic)})
    again = _post(physician, path, {"password": PASSWORD, "totp_code": _code(clinic)})
    page = physician.get(f"/orders/{order_id}").text
    verified = _post(physician, f"/orders/{order_id}/verify", {})

    order = orders.get_order(clinic.services, Actor.system("test"), order_id)
    assert (
        wrong_password.status_code == 401
        and "not correct" in wrong_password.text
        and "Not signed" in wrong_password.text
    )
    assert wrong_code.status_code == 401
    assert signed.status_code == 303 and signed.headers["location"].startswith(
        f"/orders/{order_id}?notice=order_signed"
    )
    assert again.status_code == 409
    assert order.signature is not None
    assert f'<code class="digest" id="order-digest">{order.signature.sha256}</code>' in page
    assert 'id="sign-form"' not in page and "Signed by" in page
    assert verified.status_code == 200 and "Order intact" in verified.text and order.signature.sha256 in verified.text


def test_a_nurse_sees_orders_but_cannot_create_or_sign(clinic: Clinic) -> None:
    patient_id = _screened_patient(clinic)
    order_id = _order_id(_create(clinic.login(Role.PHYSICIAN), patient_id))
    nurse = clinic.login(Role.NURSE)

    assert nurse.get(f"/patients/{patient_id}/orders/new").status_code == 403
    assert _create(nurse, patient_id).status_code == 403
    assert _post(nurse, f"/orders/{order_id}/sign", {"password": PASSWORD, "totp_code": "123456"}).status_code == 403
    chart = nurse.get(f"/patients/{patient_id}").text
    page = nurse.get(f"/orders/{order_id}").text
    assert 'id="orders"' in chart and f'href="/orders/{order_id}"' in chart and "New order" not in chart
    assert 'id="sign-form"' not in page and "Waiting for a signature" in page
    assert 'id="orders"' not in clinic.login(Role.FRONT_DESK).get(f"/patients/{patient_id}").text


def test_an_order_needs_a_clear_screening(clinic: Clinic) -> None:
    patient_id = _patient(clinic)  # never screened
    physician = clinic.login(Role.PHYSICIAN)

    preview = _post(physician, f"/patients/{patient_id}/orders/preview", ORDER)
    refused = _create(physician, patient_id)

    assert ">Not clear<" in preview.text and 'id="create-order"' not in preview.text
    assert refused.status_code == 409 and "screening" in refused.text


def test_a_bad_preparation_is_named_in_the_preview(clinic: Clinic) -> None:
    patient_id = _screened_patient(clinic)

    preview = _post(clinic.login(Role.PHYSICIAN), f"/patients/{patient_id}/orders/preview", {**ORDER, "volume_ml": "0"})

    assert preview.status_code == 422 and 'id="preview-errors"' in preview.text and "volume ml" in preview.text


def test_the_printable_sheet_shows_the_pump_numbers_patient_and_signature(clinic: Clinic) -> None:
    patient_id = _screened_patient(clinic)
    physician = clinic.login(Role.PHYSICIAN)
    order_id = _order_id(_create(physician, patient_id))
    _post(physician, f"/orders/{order_id}/sign", {"password": PASSWORD, "totp_code": _code(clinic)})

    sheet = clinic.login(Role.NURSE).get(f"/orders/{order_id}/print").text

    order = orders.get_order(clinic.services, Actor.system("test"), order_id)
    assert order.signature is not None
    flat = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", sheet))
    assert "OKAFOR, Grace" in flat
    assert "MRN KF-400" in flat and "born 1984-03-02" in flat
    assert "depression_standard · version 2026.11.0" in flat
    assert "Pump rate 52.5 mL/h" in flat and "Volume to be infused (VTBI) 35 mL" in flat
    assert "Dose 35 mg" in flat and "Duration 40 min" in flat and "Rate 52.5 mg/h" in flat
    assert "Concentration 1 mg/mL" in flat
    assert "Check against the order before starting; the pump's own limits apply." in flat
    assert order.signature.sha256 in flat and "Download PDF" in flat


def test_the_sheet_downloads_as_a_pdf_with_the_same_numbers_and_the_export_is_audited(clinic: Clinic) -> None:
    patient_id = _screened_patient(clinic)
    physician = clinic.login(Role.PHYSICIAN)
    order_id = _order_id(_create(physician, patient_id))
    _post(physician, f"/orders/{order_id}/sign", {"password": PASSWORD, "totp_code": _code(clinic)})

    response = clinic.login(Role.NURSE).get(f"/orders/{order_id}/sheet.pdf")

    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    compact = re.sub(r"\s+", "", text)  # text extraction splits runs differently from the HTML
    assert "Pumprate52.5mL/h" in compact and "(VTBI)35mL" in compact and "OKAFOR,Grace" in compact
    with clinic.services.uow_factory() as uow:
        assert uow.audit.query(AuditQuery(action="order.export", limit=5))[0].entry.detail == "pdf"


def test_the_protocol_pages_show_regimen_limits_sources_and_versions(clinic: Clinic) -> None:
    nurse = clinic.login(Role.NURSE)

    listing = nurse.get("/protocols").text
    page = nurse.get("/protocols/depression_standard").text

    assert 'href="/protocols/depression_standard"' in listing and "Shipped" in listing
    assert 'href="/protocols"' in listing  # in the navigation
    assert "<strong>0.5 mg/kg</strong>" in page and "<strong>40 min</strong>" in page
    assert 'id="hard-limits"' in page and "average anaesthetic induction dose" in page
    assert "Fava M, Freeman MP" in page and 'id="source-fava_2020"' in page
    assert "[C]" in page and "[NF]" in page
    assert 'id="version-history"' in page and "Version 2026.11.0" in page
    assert 'href="/protocols/depression_standard/revise"' not in page  # only the medical director revises
    assert clinic.login(Role.FRONT_DESK).get("/protocols").status_code == 403


def test_the_medical_director_revises_a_protocol_and_old_orders_keep_their_version(clinic: Clinic) -> None:
    patient_id = _screened_patient(clinic)
    physician = clinic.login(Role.PHYSICIAN)
    old_order = _order_id(_create(physician, patient_id))
    director = clinic.login(Role.MEDICAL_DIRECTOR)
    revise = director.get("/protocols/depression_standard/revise").text
    document = re.search(r'<textarea id="f-document" name="document"[^>]*>(.*?)</textarea>', revise, re.S)
    assert document is not None
    data = json.loads(
        document.group(1)
        .replace("&#34;", '"')
        .replace("&quot;", '"')
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
    )
    data["version"] = "2026.12.0"
    data["regimen"]["duration_min"] = 45

    bad = _post(director, "/protocols/depression_standard/revise", {"document": "{not json", "reason": "typo"})
    invalid = {**data, "regimen": {**data["regimen"], "duration_min": -45}}
    refused = _post(
        director,
        "/protocols/depression_standard/revise",
        {"document": json.dumps(invalid), "reason": "a negative duration is refused"},
    )
    saved = _post(
        director,
        "/protocols/depression_standard/revise",
        {"document": json.dumps(data), "reason": "infuse over 45 min after the clinic's tolerability review"},
    )
    listing = physician.get("/protocols").text
    history = physician.get("/protocols/depression_standard").text
    new_order = _order_id(_create(physician, patient_id))

    assert bad.status_code == 422 and 'id="f-document-error"' in bad.text
    assert refused.status_code == 422 and 'id="f-document-error"' in refused.text and "duration_min" in refused.text
    assert (
        saved.status_code == 303
        and saved.headers["location"] == "/protocols/depression_standard?notice=protocol_revised"
    )
    assert "2026.12.0" in listing and "Clinic revision" in listing
    assert "Version 2026.12.0" in history and "Version 2026.11.0" in history and "tolerability review" in history
    old = orders.get_order(clinic.services, Actor.system("test"), old_order)
    new = orders.get_order(clinic.services, Actor.system("test"), new_order)
    assert (old.protocol.version, old.plan["duration_min"]) == ("2026.11.0", 40)
    assert (new.protocol.version, new.plan["duration_min"]) == ("2026.12.0", 45)
    assert "version 2026.11.0" in physician.get(f"/orders/{old_order}").text
    assert clinic.login(Role.PHYSICIAN).get("/protocols/depression_standard/revise").status_code == 403


def test_a_target_controlled_order_shows_its_pump_steps_in_the_preview_and_on_the_pump_sheet(clinic: Clinic) -> None:
    patient_id = _screened_patient(clinic, mrn="KF-TCI")
    physician = clinic.login(Role.PHYSICIAN)
    tci = {**ORDER, "tci_target_ng_per_ml": "150", "tci_site": "plasma", "tci_step_min": "5"}
    preview = _post(physician, f"/patients/{patient_id}/orders/preview", tci)
    assert preview.status_code == 200
    assert 'id="step-steps"' in preview.text and preview.text.count("<tr>") >= 9  # header + 8 steps
    # A TCI total differs from the protocol's 0.5 mg/kg: like any override it needs the physician's reason.
    steps = {k: v for k, v in tci.items() if k.startswith("tci_")}
    created = _create(physician, patient_id, acknowledgement="TCI to 150 ng/mL as discussed", **steps)
    sheet = physician.get(f"/orders/{_order_id(created)}/print")
    assert 'id="sheet-steps"' in sheet.text
