"""Score one completed questionnaire: check every answer, total it, band it and raise its flags.

Answers come as a list in item order (one entry per item; ``null`` for an item the skip logic skips) or as
an object keyed by item id. Every item the skip logic asks must be answered with one of its options; a
wrong answer raises ``InputError`` naming it (``items[3]`` or ``items.q4``) and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ketaflow.domain.basis import Effect, Finding, JsonValue, RuleRef
from ketaflow.domain.errors import InputError
from ketaflow.domain.scales.flags import ScoredAnswers
from ketaflow.domain.scales.items import Answer, ScaleItem
from ketaflow.domain.scales.scale import Scale
from ketaflow.domain.scales.scoring_rules import ScoringMethod

_URGENT = frozenset({Effect.BLOCK, Effect.HOLD})


@dataclass(frozen=True, slots=True)
class ScaleResult:
    """A scored questionnaire with its basis: the answers, total, band, flags and the rule set used."""

    instrument: str
    rules: RuleRef
    items: Mapping[str, Answer | None]
    total: int | None
    band: str | None
    flags: tuple[Finding, ...]
    domains: Mapping[str, int] = field(default_factory=dict)

    @property
    def urgent(self) -> bool:
        """A flag asks for an urgent alert to the physician (effect block or hold)."""
        return any(flag.effect in _URGENT for flag in self.flags)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "instrument": self.instrument,
            "total": self.total,
            "band": self.band,
            "flags": [flag.to_json() for flag in self.flags],
            "items": dict(self.items),
            "domains": dict(self.domains),
            "rule_set": self.rules.to_json(),
        }


def _describe(value: object) -> object:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return value


def _by_item(scale: Scale, answers: object, path: str) -> dict[str, tuple[object, str]]:
    """Each given answer with the JSON path that names it, keyed by item id."""
    ids = scale.item_ids
    if isinstance(answers, list):
        if len(answers) > len(ids):
            raise InputError(
                f"{path}[{len(ids)}]",
                f"no entry: {scale.id} has {len(ids)} items ({', '.join(ids)})",
                _describe(answers[len(ids)]),
            )
        if len(answers) < len(ids):
            raise InputError(
                f"{path}[{len(answers)}]",
                f"an entry for {ids[len(answers)]}: the list has one entry per item of {scale.id} "
                f"({len(ids)}, null for a skipped item), got {len(answers)}",
            )
        return {item_id: (answer, f"{path}[{i}]") for i, (item_id, answer) in enumerate(zip(ids, answers, strict=True))}
    if isinstance(answers, Mapping):
        given: dict[str, tuple[object, str]] = {}
        for key, answer in answers.items():
            if key not in ids:
                raise InputError(f"{path}.{key}", f"an item of {scale.id} (one of: {', '.join(ids)})")
            given[key] = (answer, f"{path}.{key}")
        return given
    raise InputError(path, "a list of answers in item order, or an object keyed by item id", _describe(answers))


def _check_answer(
    scale: Scale, item: ScaleItem, answer: object, where: str, recorded: Mapping[str, Answer | None]
) -> bool:
    """Whether the item is answered; raises InputError if it must not be, or must be and is not."""
    if not scale.is_asked(item, recorded):
        # A skipped yes/no item may say "no": the same screener JSON works wherever it is recorded.
        if answer is None or (item.is_yes_no and answer is False):
            return False
        condition = item.asked_when
        assert condition is not None  # is_asked is always true without a condition
        raise InputError(
            where,
            f"no answer: {item.id} is skipped unless {condition.item} is {str(condition.answer).lower()}",
            _describe(answer),
        )
    if answer is None:
        raise InputError(where, f"an answer to {item.id}: {item.describe_answers()} (required)")
    if item.get_option(answer) is None:
        raise InputError(where, f"an answer to {item.id}: {item.describe_answers()}", _describe(answer))
    return True


def score_answers(scale: Scale, answers: object, path: str = "items") -> ScaleResult:
    """Check and score one set of answers (a list in item order or an object keyed by item id).

    Raises ``InputError`` naming the first wrong answer, e.g. ``items[3]`` or ``items.q4``.
    """
    given = _by_item(scale, answers, path)
    recorded: dict[str, Answer | None] = {}
    points: dict[str, int] = {}
    for item in scale.items:
        # A list always has every item (its length is checked); an object may leave one out.
        answer, where = given.get(item.id, (None, f"{path}.{item.id}"))
        if _check_answer(scale, item, answer, where, recorded):
            option = item.get_option(answer)
            assert option is not None  # _check_answer refused any answer that is not an option
            recorded[item.id] = option.value
            points[item.id] = option.points
        else:
            recorded[item.id] = None
    return _result(scale, recorded, points)


def _result(scale: Scale, recorded: Mapping[str, Answer | None], points: Mapping[str, int]) -> ScaleResult:
    scoring = scale.scoring
    domains = {d.id: d.combine.apply([points.get(i, 0) for i in d.items]) for d in scoring.domains}
    total: int | None
    if scoring.method is ScoringMethod.TRIAGE:
        total = None
        band = next(
            (level.id for level in scoring.triage if any(recorded.get(i) is True for i in level.any_yes)),
            scoring.triage[-1].id,
        )
    else:
        total = sum(domains.values()) if domains else sum(points.values())
        band = next(b.id for b in scoring.bands if b.contains(total))
    scored = ScoredAnswers(
        items={item.id: item for item in scale.items}, answers=recorded, points=points, total=total, band=band
    )
    flags = tuple(finding for rule in scale.flags if (finding := rule.evaluate(scored)) is not None)
    return ScaleResult(
        instrument=scale.id,
        rules=scale.ref,
        items=dict(recorded),
        total=total,
        band=band,
        flags=flags,
        domains=domains,
    )
