"""The medical director's virtual-cohort report: how often a regimen exceeds a concentration, with bands."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from ketaflow.domain.access import Permission
from ketaflow.services.auth import SignedIn
from ketaflow.services.pk import (
    CohortReport,
    create_cohort_report,
    default_cohort_regimen,
    describe_models,
    reference_concentrations,
)
from ketaflow.web.access import allow
from ketaflow.web.errors import remember_form
from ketaflow.web.rendering import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[SignedIn, Depends(allow(Permission.PROTOCOL_READ))]


def _chart(report: CohortReport) -> str:
    """uPlot series: minutes since the start as seconds on a UTC clock, one line per percentile."""
    bands = report.answer["percentiles"]
    x = [round(t * 60) for t in bands["times_min"]]
    series: list[dict[str, Any]] = [
        {"label": f"{name[1:]}th percentile", "unit": "ng/mL", "values": bands[name]} for name in ("p95", "p50", "p5")
    ]
    threshold = report.answer["threshold_ng_per_ml"]
    series.append({"label": "threshold", "unit": "ng/mL", "values": [threshold] * len(x)})
    return json.dumps({"x": x, "series": series})


@router.get("/pk/cohort")
async def cohort_report(request: Request, signed_in: Reader) -> HTMLResponse:
    """GET only computes (no record is written); the form's values come back in the query string."""
    values = dict(request.query_params)
    models = describe_models()
    options = [(m["id"], f"{m['name']} ({m['confirmation'].replace('_', ' ')})") for m in models]
    context: dict[str, Any] = {
        "model_options": options,
        "references": reference_concentrations(),
        "regimen": default_cohort_regimen(),
        "values": values,
        "errors": {},
        "report": None,
        "chart": None,
    }
    remember_form(request, "pk_cohort.html", **{k: v for k, v in context.items() if k != "errors"})
    if "model" in values:
        report = create_cohort_report(values)
        context.update(report=report, chart=_chart(report))
    return render(request, "pk_cohort.html", signed_in, **context)
