"""The shipped course plans: phases as cited in the sources, every row cited, malformed plans refused on load."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ketaflow.domain.course import CoursePlan, ReminderKind
from ketaflow.domain.errors import RuleDataError
from ketaflow.domain.outcomes import Comparison
from ketaflow.rules import list_rule_files, load_rule_file

from .builders import THRICE_WEEKLY, TWICE_WEEKLY, JsonDoc, load_plan, load_plan_data


def _walk(node: object) -> Iterator[JsonDoc]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_both_plans_ship_and_load_through_the_package() -> None:
    names = list_rule_files("courses")

    plans = [CoursePlan.from_dict(load_rule_file("courses", name)) for name in names]

    assert names == [THRICE_WEEKLY, TWICE_WEEKLY]
    assert [plan.ref.id for plan in plans] == names


@pytest.mark.parametrize("name", [THRICE_WEEKLY, TWICE_WEEKLY])
def test_every_row_cites_known_sources_and_defaults_are_labelled(name: str) -> None:
    data = load_plan_data(name)

    rows = [node for node in _walk(data) if "sources" in node and node is not data]

    assert len(rows) >= 12
    for row in rows:
        assert row["sources"] and all(key in data["sources"] for key in row["sources"]), row
        assert row["confidence"] in {"C", "S", "NF"}, row
        if "ketaflow_default" in row["sources"]:
            assert row["confidence"] == "NF", row


def test_thrice_weekly_induction_is_six_infusions_two_or_three_days_apart_then_weekly_maintenance() -> None:
    plan = load_plan(THRICE_WEEKLY)

    induction, maintenance, every_2_weeks, every_4_weeks = plan.phases

    assert (induction.infusions, induction.per_week, induction.min_interval_days, induction.max_interval_days) == (
        6,
        3,
        2,
        3,
    )
    assert induction.source.endswith("[C]") and "Murrough" in induction.source
    assert induction.interval_source.endswith("[NF]")
    assert (maintenance.infusions, maintenance.min_interval_days, maintenance.max_interval_days) == (4, 6, 8)
    assert "Phillips" in maintenance.source
    assert (every_2_weeks.infusions, every_2_weeks.source[-4:]) == (2, "[NF]")
    assert every_4_weeks.infusions is None
    assert plan.planned_infusions is None


def test_twice_weekly_induction_is_eight_infusions_three_or_four_days_apart() -> None:
    induction = load_plan(TWICE_WEEKLY).phases[0]

    assert (induction.infusions, induction.per_week, induction.min_interval_days, induction.max_interval_days) == (
        8,
        2,
        3,
        4,
    )
    assert "Singh JB" in induction.source and "Wilkowska" in induction.source


def test_reminders_ask_before_each_infusion_24_hours_after_and_weekly() -> None:
    plan = load_plan(THRICE_WEEKLY)

    reminders = [(r.kind, r.offset_days, r.interval_days, r.instruments) for r in plan.reminders]

    assert reminders == [
        (ReminderKind.BEFORE_INFUSION, 0, 0, ("phq9",)),
        (ReminderKind.AFTER_INFUSION, 1, 0, ("phq9",)),
        (ReminderKind.WEEKLY, 0, 7, ("phq9",)),
    ]


def test_the_booster_threshold_is_the_phq9_moderate_band_labelled_a_default() -> None:
    booster = load_plan(THRICE_WEEKLY).booster

    assert booster is not None
    assert (booster.instrument, booster.comparison, booster.limit, booster.after_phase) == (
        "phq9",
        Comparison.AT_OR_ABOVE,
        10,
        "induction",
    )
    assert booster.basis.source.endswith("[NF]")


Mutation = Callable[[JsonDoc], object]

MALFORMED: list[tuple[str, Mutation, str]] = [
    ("open-ended before the end", lambda d: d["phases"][0].pop("infusions"), r"phases\[0\]\.infusions"),
    ("duplicate phase", lambda d: d["phases"].insert(1, d["phases"][0]), "distinct"),
    ("no phases", lambda d: d.update(phases=[]), "phases"),
    ("max below min", lambda d: d["phases"][0]["interval_days"].update(min=4, max=3), "max"),
    ("booster after open phase", lambda d: d["booster"].update(after_phase="taper_every_4_weeks"), "after_phase"),
    ("booster on a falling score", lambda d: d["booster"].update(comparison="<"), "comparison"),
    ("unknown reminder kind", lambda d: d["reminders"][0].update(kind="monthly"), "kind"),
    ("reminder without instruments", lambda d: d["reminders"][0].update(instruments=[]), "instruments"),
    ("weekly without interval", lambda d: d["reminders"][2].pop("interval_days"), "interval_days"),
    ("offset on a weekly reminder", lambda d: d["reminders"][2].update(offset_days=1), "offset_days"),
    ("missing check", lambda d: d["checks"].pop("overdue"), "overdue"),
    ("phase name", lambda d: d["phases"][0].update(name="Induction"), "name"),
    ("unknown phase key", lambda d: d["phases"][0].update(infusion=6), "infusion"),
    ("bad plan id", lambda d: d.update(id="Depression"), "id"),
]


@pytest.mark.parametrize(("mutation", "field"), [(m, f) for _, m, f in MALFORMED], ids=[n for n, _, _ in MALFORMED])
def test_malformed_plans_are_refused_naming_the_field(mutation: Mutation, field: str) -> None:
    data = load_plan_data(THRICE_WEEKLY)
    mutation(data)

    with pytest.raises(RuleDataError, match=field):
        CoursePlan.from_dict(data)


def test_a_plan_without_a_booster_rule_loads() -> None:
    data = load_plan_data(THRICE_WEEKLY)
    data.pop("booster")

    assert CoursePlan.from_dict(data).booster is None
