"""The session's pictures as chart data: vitals with baseline and thresholds, pump rate, PK curves.

Each function returns the ``data-series`` spec ketaflow.js draws (x in unix seconds, one values list per
series, ``dash`` for reference lines), or None when there is nothing to draw yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ketaflow.domain.vitals import VitalSign
from ketaflow.services.pk import session_concentrations
from ketaflow.services.sessions import SessionView

_DASH = [6, 4]
_CHARTED_SIGNS = (VitalSign.SYSTOLIC, VitalSign.DIASTOLIC, VitalSign.HEART_RATE, VitalSign.SPO2)


def _ts(at: datetime) -> int:
    return int(at.timestamp())


def vitals_chart(view: SessionView) -> dict[str, Any] | None:
    readings = view.session.readings
    if not readings:
        return None
    x = [_ts(r.at_utc) for r in readings]
    series: list[dict[str, Any]] = []
    for sign in _CHARTED_SIGNS:
        values = [r.vitals.get(sign) for r in readings]
        if any(v is not None for v in values):
            series.append({"label": sign.label, "unit": sign.unit, "values": values})
    baseline = view.session.baseline
    for sign in (VitalSign.SYSTOLIC, VitalSign.DIASTOLIC):
        value = None if baseline is None else baseline.get(sign)
        if value is not None:
            series.append(
                {
                    "label": f"Baseline {sign.label.lower()}",
                    "unit": sign.unit,
                    "values": [value] * len(x),
                    "dash": _DASH,
                }
            )
    for line in view.monitoring_rules.chart_thresholds():
        if any(s["unit"] == line.sign.unit for s in series):
            series.append({"label": line.label, "unit": line.sign.unit, "values": [line.value] * len(x), "dash": _DASH})
    return {"x": x, "series": series} if series else None


def rate_chart(view: SessionView, now: datetime) -> dict[str, Any] | None:
    """The programmed rate as steps: each change drawn as a vertical jump at its time."""
    segments = view.session.pump.segments
    if not segments:
        return None
    x: list[int] = []
    values: list[float] = []
    for segment in segments:
        end = segment.end_utc or now
        x += [_ts(segment.start_utc), _ts(end)]
        values += [segment.rate_ml_per_h, segment.rate_ml_per_h]
        if segment.end_utc is not None:
            x.append(_ts(segment.end_utc))
            values.append(0.0)
    return {"x": x, "series": [{"label": "Pump rate", "unit": "mL/h", "values": values}]}


def concentration_chart(view: SessionView, now: datetime) -> dict[str, Any] | None:
    curves = session_concentrations(view.session, view.order_inputs, now)
    if curves is None:
        return None
    origin = _ts(curves.origin_utc)
    series: list[dict[str, Any]] = [
        {"label": "Predicted (as ordered)", "unit": "ng/mL", "values": curves.predicted_plasma, "dash": _DASH}
    ]
    if curves.actual_plasma is not None:
        series.append({"label": "Actual infusion so far", "unit": "ng/mL", "values": curves.actual_plasma})
    return {
        "x": [origin + round(t * 60) for t in curves.times_min],
        "series": series,
        "model": curves.model,
        "caveats": curves.caveats,
    }


def session_charts(view: SessionView) -> dict[str, Any]:
    now = view.summary.now
    return {
        "vitals": vitals_chart(view),
        "rate": rate_chart(view, now),
        "concentration": concentration_chart(view, now),
    }
