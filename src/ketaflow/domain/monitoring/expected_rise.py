"""Ketamine's expected blood-pressure rise (Yale 2024): within the published band it is noted, above it alerted.

The band is mean + band_sd x SD of the published peak rise, for each blood-pressure value, applied inside a
window of minutes since the infusion started; outside the window the change-from-baseline tiers take over.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.monitoring.actions import ActionRule, MonitoringFinding, read_action_rule
from ketaflow.domain.monitoring.observation import MAX_MINUTES_SINCE_START
from ketaflow.domain.monitoring.tiers import ReadingContext, format_signed, format_with_unit, rounded
from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import SourceRegistry, format_number
from ketaflow.domain.vitals import VitalSign

RISE_PLACEHOLDERS = ("rise", "band", "minutes_since_start", "window_from_min", "window_to_min")


@dataclass(frozen=True, slots=True)
class RiseBand:
    """The mean and SD of the published peak rise of one blood-pressure value."""

    sign: VitalSign
    mean_rise_mmhg: float
    sd_mmhg: float


@dataclass(frozen=True, slots=True)
class Rise:
    band: RiseBand
    rise_mmhg: float
    upper_mmhg: float

    @property
    def is_above_band(self) -> bool:
        return self.rise_mmhg > self.upper_mmhg


@dataclass(frozen=True, slots=True)
class ExpectedRise:
    """Ketamine's expected blood-pressure rise: within the band it is noted, above it is an alert."""

    window_from_min: float
    window_to_min: float
    band_sd: float
    bands: tuple[RiseBand, ...]
    within: ActionRule
    above: ActionRule

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> ExpectedRise:
        f.check_keys(
            {"window_from_min", "window_to_min", "band_sd", "bands", "sources", "confidence", "notes"}
            | {"within", "above"}
        )
        sources.cite(f)
        window_from = f.get_number("window_from_min", low=0, high=MAX_MINUTES_SINCE_START)
        window_to = f.get_number("window_to_min", low=0, high=MAX_MINUTES_SINCE_START)
        if window_to < window_from:
            raise f.fail(
                "window_to_min", f"a time at or after window_from_min ({format_number(window_from)})", window_to
            )
        bands: list[RiseBand] = []
        for band in f.get_objects("bands"):
            band.check_keys({"sign", "mean_rise_mmhg", "sd_mmhg"})
            sign = band.get_enum("sign", VitalSign)
            if sign not in (VitalSign.SYSTOLIC, VitalSign.DIASTOLIC) or any(b.sign is sign for b in bands):
                raise band.fail("sign", "systolic_mmhg or diastolic_mmhg, each once", sign.value)
            bands.append(
                RiseBand(
                    sign,
                    band.get_number("mean_rise_mmhg", low=0, high=100),
                    band.get_number("sd_mmhg", low=0, high=100),
                )
            )
        if not bands:
            raise f.fail("bands", "at least one blood-pressure band")
        return cls(
            window_from_min=window_from,
            window_to_min=window_to,
            band_sd=f.get_number("band_sd", low=0, high=10),
            bands=tuple(bands),
            within=read_action_rule(f, "within", sources, RISE_PLACEHOLDERS),
            above=read_action_rule(f, "above", sources, RISE_PLACEHOLDERS),
        )

    @property
    def reads(self) -> tuple[str, ...]:
        return tuple(band.sign.value for band in self.bands)

    def is_in_window(self, minutes_since_start: float) -> bool:
        return self.window_from_min <= minutes_since_start <= self.window_to_min

    def upper_mmhg(self, band: RiseBand) -> float:
        """The largest rise still expected: mean + band_sd x SD."""
        return rounded(band.mean_rise_mmhg + self.band_sd * band.sd_mmhg)

    def list_rises(self, context: ReadingContext) -> list[Rise]:
        """The rises of the signs measured now and at baseline; empty outside the window."""
        if not context.in_expected_rise_window:
            return []
        rises = []
        for band in self.bands:
            value, baseline = context.observation.vitals.get(band.sign), context.baseline.get(band.sign)
            if value is not None and baseline is not None:
                rises.append(Rise(band, rounded(value - baseline), self.upper_mmhg(band)))
        return rises

    def matches_above(self, context: ReadingContext) -> bool:
        """Whether a rise is above the expected band (the alert half of this rule)."""
        return any(rise.is_above_band for rise in self.list_rises(context))

    def matches_within(self, context: ReadingContext) -> bool:
        """Whether the blood pressure rose, but no more than expected (the noted half)."""
        rises = self.list_rises(context)
        return any(rise.rise_mmhg > 0 for rise in rises) and not any(rise.is_above_band for rise in rises)

    def evaluate(self, context: ReadingContext) -> MonitoringFinding | None:
        """Above the band: an alert; a rise within it: noted; no rise (or outside the window): nothing."""
        rises = self.list_rises(context)
        if not (self.matches_above(context) or self.matches_within(context)):
            return None
        unit_sign = rises[0].band.sign
        values = {
            "rise": format_with_unit("/".join(format_signed(rise.rise_mmhg) for rise in rises), unit_sign),
            "band": format_with_unit("/".join(format_signed(rise.upper_mmhg) for rise in rises), unit_sign),
            "minutes_since_start": context.minutes_text,
            "window_from_min": format_number(self.window_from_min),
            "window_to_min": format_number(self.window_to_min),
        }
        inputs: dict[str, JsonValue] = {}
        for rise in rises:
            sign = rise.band.sign.value
            inputs |= {
                f"reading.{sign}": context.observation.vitals.get(rise.band.sign),
                f"baseline.{sign}": context.baseline.get(rise.band.sign),
                f"rise_mmhg.{sign}": rise.rise_mmhg,
                f"expected_up_to_mmhg.{sign}": rise.upper_mmhg,
            }
        inputs["minutes_since_start"] = context.minutes_since_start
        rule = self.above if self.matches_above(context) else self.within
        return rule.make_finding(values, inputs)
