"""Intra-infusion monitoring (`ketaflow monitor check`): read one charted reading, judge it, answer in JSON.

The protocol names its monitoring rule set (``protocol.monitoring_rules``); the rule set is read from
``rules/monitoring/<id>.json`` once per process and checked as it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from ketaflow.domain.dosing import ProtocolLibrary
from ketaflow.domain.errors import InputError, RuleDataError
from ketaflow.domain.monitoring import (
    MonitoringRules,
    Observation,
    Phase,
    TimedObservation,
    check_reading_times,
    evaluate_observation,
)
from ketaflow.domain.monitoring.observation import MAX_MINUTES_SINCE_START
from ketaflow.domain.ruledata.fields import JsonFields, input_error
from ketaflow.domain.vitals import Vitals
from ketaflow.rules import list_rule_files, load_rule_file
from ketaflow.services.dosing import load_protocol_library

RULE_AREA = "monitoring"
_DOCUMENT_KEYS = {"protocol", "phase", "minutes_since_start", "baseline", "reading", "recent_readings"}


@cache
def load_monitoring_rules(rule_set_id: str) -> MonitoringRules:
    """The shipped monitoring rule set with this id, parsed and checked once per process."""
    if rule_set_id not in list_rule_files(RULE_AREA):
        raise RuleDataError(f"rule data: no monitoring rule set {rule_set_id!r} in rules/{RULE_AREA}/")
    rules = MonitoringRules.from_dict(load_rule_file(RULE_AREA, rule_set_id))
    if rules.ref.id != rule_set_id:
        raise RuleDataError(f"rule data: rules/{RULE_AREA}/{rule_set_id}.json has the id {rules.ref.id!r}")
    return rules


def check_reading_document(
    document: Mapping[str, object], *, cadss_licensed: bool = False, library: ProtocolLibrary | None = None
) -> dict[str, object]:
    """`ketaflow monitor check`: the action and findings for one reading (docs/monitoring.md).

    Raises InputError naming the first bad field; nothing is stored either way.
    """
    f = JsonFields.of(document, "", input_error)
    f.check_keys(_DOCUMENT_KEYS)
    library = library or load_protocol_library()
    protocol_id = f.data.get("protocol")
    protocol = library.get_protocol(protocol_id) if isinstance(protocol_id, str) else None
    if protocol is None:
        raise InputError("protocol", "one of " + ", ".join(library.ids), protocol_id)
    rules = load_monitoring_rules(protocol.monitoring_rules)
    phase = f.get_enum("phase", Phase)
    minutes_since_start = f.get_number("minutes_since_start", low=0, high=MAX_MINUTES_SINCE_START)
    baseline = Vitals.from_json(f.get_object("baseline").data, "baseline", input_error, require_any=False)
    codes = rules.side_effect_codes
    reading = Observation.from_json(f.get_object("reading").data, "reading", input_error, side_effect_codes=codes)
    recent = [
        TimedObservation.from_json(item, path, input_error, side_effect_codes=codes)
        for path, item in f.get_list("recent_readings")
    ]
    check_reading_times(minutes_since_start, recent, "recent_readings")
    result = evaluate_observation(
        rules,
        phase=phase,
        minutes_since_start=minutes_since_start,
        baseline=baseline,
        observation=reading,
        recent=recent,
        cadss_licensed=cadss_licensed,
    )
    return dict(result.to_json())
