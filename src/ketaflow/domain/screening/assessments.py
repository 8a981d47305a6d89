"""Pre-infusion assessments: the C-SSRS screener answers and the mania screen for bipolar patients.

Only item identifiers and answers are stored; the instruments' item wording is not shipped (licence status
of the C-SSRS text for software is not confirmed, clinical.md §5.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.ruledata.fields import JsonFields

# The Young Mania Rating Scale has 11 items and a total from 0 to 60 (a fact of the instrument).
_YMRS_TOTAL = (0, 60)

# The screener's item identifiers, as the intake JSON and the rule data name them.
ITEMS = frozenset({"q1", "q2", "q3", "q4", "q5", "q6_lifetime", "q6_past_3_months"})


@dataclass(frozen=True, slots=True)
class CssrsScreener:
    """C-SSRS screener: ideation items 1-5 cover the past month, item 6 asks about suicidal behaviour.

    Items 3-5 are asked only when item 2 is yes (the screener's skip logic), so they are ``None`` otherwise.
    """

    q1: bool
    q2: bool
    q6_lifetime: bool
    q6_past_3_months: bool
    q3: bool | None = None
    q4: bool | None = None
    q5: bool | None = None

    def get_answer(self, item: str) -> bool:
        """The answer to an item by its identifier; skipped items count as no."""
        answers = {
            "q1": self.q1,
            "q2": self.q2,
            "q3": self.q3,
            "q4": self.q4,
            "q5": self.q5,
            "q6_lifetime": self.q6_lifetime,
            "q6_past_3_months": self.q6_past_3_months,
        }
        return answers[item] is True

    @classmethod
    def from_fields(cls, f: JsonFields) -> CssrsScreener:
        f.check_keys(ITEMS)
        q2 = f.get_bool("q2")
        follow_ups: dict[str, bool | None] = {}
        for item in ("q3", "q4", "q5"):
            if q2:
                follow_ups[item] = f.get_bool(item)
            elif f.get_optional_bool(item):
                raise f.fail(item, "no answer when q2 is false (the screener skips items 3-5)", True)
        q6_lifetime = f.get_bool("q6_lifetime")
        if q6_lifetime:
            q6_past_3_months = f.get_bool("q6_past_3_months")
        elif f.get_optional_bool("q6_past_3_months"):
            raise f.fail("q6_past_3_months", "false when q6_lifetime is false", True)
        else:
            q6_past_3_months = False
        return cls(
            q1=f.get_bool("q1"),
            q2=q2,
            q3=follow_ups.get("q3"),
            q4=follow_ups.get("q4"),
            q5=follow_ups.get("q5"),
            q6_lifetime=q6_lifetime,
            q6_past_3_months=q6_past_3_months,
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "q1": self.q1,
            "q2": self.q2,
            "q3": self.q3,
            "q4": self.q4,
            "q5": self.q5,
            "q6_lifetime": self.q6_lifetime,
            "q6_past_3_months": self.q6_past_3_months,
        }


class ManiaInstrument(StrEnum):
    YMRS = "ymrs"
    CLINICAL_INTERVIEW = "clinical_interview"


@dataclass(frozen=True, slots=True)
class ManiaScreen:
    """A YMRS total (the rule data sets the cut-off) or a clinician's positive/negative judgement."""

    instrument: ManiaInstrument
    ymrs_total: int | None = None
    positive: bool | None = None

    @classmethod
    def from_fields(cls, f: JsonFields) -> ManiaScreen:
        f.check_keys({"instrument", "ymrs_total", "positive"})
        instrument = f.get_enum("instrument", ManiaInstrument)
        if instrument is ManiaInstrument.YMRS:
            if f.has("positive"):
                raise f.fail("positive", "no value for a YMRS screen (the rule set applies the cut-off)")
            return cls(instrument, ymrs_total=f.get_int("ymrs_total", low=_YMRS_TOTAL[0], high=_YMRS_TOTAL[1]))
        if f.has("ymrs_total"):
            raise f.fail("ymrs_total", "no value for a clinical-interview screen")
        return cls(instrument, positive=f.get_bool("positive"))

    def to_json(self) -> dict[str, JsonValue]:
        return {"instrument": self.instrument.value, "ymrs_total": self.ymrs_total, "positive": self.positive}


@dataclass(frozen=True, slots=True)
class Assessments:
    cssrs_screener: CssrsScreener | None = None
    mania_screen: ManiaScreen | None = None

    @classmethod
    def from_fields(cls, f: JsonFields) -> Assessments:
        f.check_keys({"cssrs_screener", "mania_screen"})
        cssrs = f.get_optional_object("cssrs_screener")
        mania = f.get_optional_object("mania_screen")
        return cls(
            cssrs_screener=CssrsScreener.from_fields(cssrs) if cssrs is not None else None,
            mania_screen=ManiaScreen.from_fields(mania) if mania is not None else None,
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "cssrs_screener": self.cssrs_screener.to_json() if self.cssrs_screener else None,
            "mania_screen": self.mania_screen.to_json() if self.mania_screen else None,
        }
