"""The clinic outcomes dashboard (issue 7): filters as a GET form, the page, and its CSV and PDF exports.

Aggregate only: nothing here names a patient; the exports hold the same counts, rates and curves as the page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from ketaflow.domain.access import Permission
from ketaflow.domain.errors import InputError
from ketaflow.domain.outcomes import KaplanMeierCurve
from ketaflow.domain.screening.vocabulary import Indication
from ketaflow.services import outcomes
from ketaflow.services.auth import SignedIn
from ketaflow.web.access import actor_of, allow, services_of
from ketaflow.web.errors import remember_form
from ketaflow.web.pdf import render_pdf
from ketaflow.web.rendering import STATIC_DIR, render

router = APIRouter(include_in_schema=False)
ReportReader = Annotated[SignedIn, Depends(allow(Permission.CLINIC_REPORT_READ))]
FILTER_FIELDS = ("indication", "period_from", "period_to")
INDICATION_OPTIONS = [(i.value, i.value.replace("_", " ").capitalize()) for i in Indication] + [
    (outcomes.INDICATION_NOT_RECORDED, "Not recorded")
]
CONFIDENCE_LEVEL_PCT = 95  # the curve's interval (estimate_kaplan_meier's default confidence_level)


def _filter_values(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip()[:40] for name in FILTER_FIELDS}


def _day(name: str, raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InputError(name, "a date as YYYY-MM-DD", raw) from None


def _period(values: dict[str, str]) -> tuple[date, date] | None:
    """The inclusive period of first infusions; an open end (only from, or only to) reaches as far as dates go."""
    start, end = _day("period_from", values["period_from"]), _day("period_to", values["period_to"])
    if start is None and end is None:
        return None
    return (start or date.min, end or date.max)


def relapse_chart(curve: KaplanMeierCurve) -> dict[str, Any] | None:
    """The Kaplan-Meier step curve as the chart's data-series: x in days after the series, S(t) in percent.

    A step is drawn as two points at the same day (the level before and after it); the confidence band is two
    dashed lines.
    """
    if not curve.times_days:
        return None
    x: list[float] = [0.0]
    levels = {"survival": [100.0], "lower": [100.0], "upper": [100.0]}
    before: tuple[float, ...] = (100.0, 100.0, 100.0)
    for index, day in enumerate(curve.times_days):
        after = tuple(round(values[index] * 100, 2) for values in (curve.survival, curve.lower, curve.upper))
        for point in (before, after):
            x.append(day)
            for key, value in zip(levels, point, strict=True):
                levels[key].append(value)
        before = after
    band = f"{CONFIDENCE_LEVEL_PCT} % CI"
    return {
        "x": x,
        "series": [
            {"label": "Relapse-free", "unit": "%", "values": levels["survival"], "range": [0, 100]},
            {"label": f"{band} lower", "unit": "%", "values": levels["lower"], "dash": [6, 4]},
            {"label": f"{band} upper", "unit": "%", "values": levels["upper"], "dash": [6, 4]},
        ],
    }


def _report_context(request: Request, signed_in: SignedIn, values: dict[str, str], export: str) -> dict[str, Any]:
    report = outcomes.get_clinic_outcomes(
        services_of(request),
        actor_of(request, signed_in),
        indication=values["indication"] or None,
        period=_period(values),
        export=export,
    )
    charts = {i.instrument: relapse_chart(i.relapse) for i in report.summary.by_instrument}
    return {"report": report, "charts": charts}


def _page_context(values: dict[str, str]) -> dict[str, Any]:
    query = urlencode({k: v for k, v in values.items() if v})
    return {"values": values, "query": f"?{query}" if query else "", "indication_options": INDICATION_OPTIONS}


@router.get("/outcomes")
async def outcomes_page(request: Request, signed_in: ReportReader) -> HTMLResponse:
    values = _filter_values(request)
    remember_form(request, "outcomes.html", report=None, charts={}, **_page_context(values))
    context = _report_context(request, signed_in, values, "")
    return render(request, "outcomes.html", signed_in, errors={}, **_page_context(values), **context)


@router.get("/outcomes.csv")
async def outcomes_csv(request: Request, signed_in: ReportReader) -> Response:
    """The report as CSV (aggregate rows only; the read is audited with the export's format)."""
    context = _report_context(request, signed_in, _filter_values(request), "csv")
    stamp = context["report"].generated_at_utc.strftime("%Y%m%dT%H%M%SZ")
    return Response(
        outcomes.clinic_outcomes_csv(context["report"]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="ketaflow-outcomes-{stamp}.csv"'},
    )


@router.get("/outcomes.pdf")
async def outcomes_pdf(request: Request, signed_in: ReportReader) -> Response:
    """The report as a PDF (the print template: tables instead of the interactive chart)."""
    values = _filter_values(request)
    context = _report_context(request, signed_in, values, "pdf")
    page = render(request, "outcomes_print.html", signed_in, pdf=True, **_page_context(values), **context)
    stamp = context["report"].generated_at_utc.strftime("%Y%m%dT%H%M%SZ")
    return Response(
        render_pdf(bytes(page.body).decode("utf-8"), STATIC_DIR),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="ketaflow-outcomes-{stamp}.pdf"'},
    )
