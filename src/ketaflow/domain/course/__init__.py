"""Treatment courses: induction and maintenance plans as cited rule data, the schedule, long-term safety.

The public API is small and pinned here::

    plan = CoursePlan.from_dict(load_rule_file("courses", "depression_induction_maintenance"))  # caller reads it
    schedule = schedule_course(plan, start=..., infusion_dates=[...], today=..., latest_scores=[...])
    rules = SafetyRules.from_dict(load_rule_file("safety", "long_term"))
    findings = evaluate_long_term_safety(rules, SafetyHistory(exposures=[...], ...), today=...)
"""

from ketaflow.domain.course.plans import BoosterRule, CoursePlan, Phase, Reminder, ReminderKind, ScheduleChecks
from ketaflow.domain.course.safety import (
    BladderQuestion,
    ExposureRecord,
    PeriodicCheck,
    SafetyHistory,
    SafetyRules,
    add_months,
    evaluate_long_term_safety,
)
from ketaflow.domain.course.schedule import (
    CourseSchedule,
    DueInfusion,
    QuestionnaireDue,
    SlotStatus,
    schedule_course,
)

__all__ = [
    "BladderQuestion",
    "BoosterRule",
    "CoursePlan",
    "CourseSchedule",
    "DueInfusion",
    "ExposureRecord",
    "PeriodicCheck",
    "Phase",
    "QuestionnaireDue",
    "Reminder",
    "ReminderKind",
    "SafetyHistory",
    "SafetyRules",
    "ScheduleChecks",
    "SlotStatus",
    "add_months",
    "evaluate_long_term_safety",
    "schedule_course",
]
