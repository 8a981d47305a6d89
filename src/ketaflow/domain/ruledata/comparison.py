"""How a value is compared with a rule's limit: the inequality the source itself uses, spelt in the rule data."""

from __future__ import annotations

import operator
from collections.abc import Callable
from enum import StrEnum


class Comparison(StrEnum):
    """``>``, ``>=``, ``<`` or ``<=``, as the rule file writes it."""

    ABOVE = ">"
    AT_OR_ABOVE = ">="
    BELOW = "<"
    AT_OR_BELOW = "<="

    def holds(self, value: float, limit: float) -> bool:
        """Whether ``value <op> limit``.

        >>> Comparison.ABOVE.holds(180, 180), Comparison.AT_OR_ABOVE.holds(180, 180)
        (False, True)
        >>> Comparison.BELOW.holds(10, 10), Comparison.AT_OR_BELOW.holds(10, 10)
        (False, True)
        """
        compare: Callable[[float, float], bool] = {
            Comparison.ABOVE: operator.gt,
            Comparison.AT_OR_ABOVE: operator.ge,
            Comparison.BELOW: operator.lt,
            Comparison.AT_OR_BELOW: operator.le,
        }[self]
        return compare(value, limit)

    @property
    def wording(self) -> str:
        return {">": "above", ">=": "at or above", "<": "below", "<=": "at or below"}[self.value]
