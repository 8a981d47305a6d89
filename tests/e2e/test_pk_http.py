"""The virtual-cohort report page: exceedance with its interval, the bands, and the model's basis."""

from __future__ import annotations

import json
import re

from ketaflow.domain.access import Role
from tests.conftest import Clinic, csrf_of


def test_the_report_shows_exceedance_bands_and_the_models_basis(clinic: Clinic) -> None:
    client = clinic.login(Role.MEDICAL_DIRECTOR)

    page = client.get("/pk/cohort", params={"model": "herd", "n_patients": "2000", "threshold_ng_per_ml": "250"})

    assert page.status_code == 200
    assert re.search(r"[0-9.]+ % of 2,000 virtual patients exceed 250 ng/mL", page.text)
    series = json.loads(re.search(r'data-series="([^"]+)"', page.text).group(1).replace("&#34;", '"'))  # type: ignore[union-attr]
    assert [s["label"] for s in series["series"]] == [
        "95th percentile",
        "50th percentile",
        "5th percentile",
        "threshold",
    ]
    assert "Herd &amp; Anderson 2007" in page.text or "Herd & Anderson 2007" in page.text


def test_a_model_without_sourced_variability_needs_a_stated_assumption(clinic: Clinic) -> None:
    client = clinic.login(Role.MEDICAL_DIRECTOR)

    refused = client.get("/pk/cohort", params={"model": "domino", "n_patients": "1000"})
    assumed = client.get("/pk/cohort", params={"model": "domino", "n_patients": "1000", "assumed_cv": "0.3"})

    assert refused.status_code == 422 and 'id="f-assumed_cv-error"' in refused.text
    assert assumed.status_code == 200 and "assumption supplied by the caller" in assumed.text


def test_the_form_page_names_the_source_of_the_default_threshold(clinic: Clinic) -> None:
    page = clinic.login(Role.NURSE).get("/pk/cohort")

    assert page.status_code == 200 and "Krystal et al. 1994" in page.text


def test_the_api_answers_the_simulate_contract_and_names_bad_fields(clinic: Clinic) -> None:
    client = clinic.login(Role.NURSE)
    headers = {"X-CSRF-Token": csrf_of(client)}
    document = {
        "model": "domino",
        "patient": {"weight_kg": 70, "age_years": 40, "sex": "male", "height_cm": 175},
        "doses": [{"kind": "infusion", "start_min": 0, "duration_min": 40, "mg_per_h": 52.5}],
        "times_min": [0, 40],
    }

    ok = client.post("/api/v1/pk/simulate", json=document, headers=headers)
    bad = client.post("/api/v1/pk/simulate", json={**document, "times_min": [40, 0]}, headers=headers)

    assert ok.status_code == 200 and round(ok.json()["cmax_ng_per_ml"]) == 240
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "times_min"
