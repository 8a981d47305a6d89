"""The instruments a clinic can score, by id (each id once, at one version)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ketaflow.domain.errors import InputError, RuleDataError
from ketaflow.domain.scales.scale import Scale


@dataclass(frozen=True, slots=True)
class ScaleLibrary:
    """Every shipped scale, sorted by id; ``get`` refuses an unknown instrument as bad input."""

    scales: tuple[Scale, ...]

    @classmethod
    def from_dicts(cls, documents: Iterable[Mapping[str, object]]) -> ScaleLibrary:
        """Read every scale file; an id used twice is a rule-data error."""
        scales = tuple(Scale.from_dict(doc) for doc in documents)
        ids = [scale.id for scale in scales]
        for scale_id in ids:
            if ids.count(scale_id) > 1:
                raise RuleDataError(f"rule data: scale id {scale_id!r} is used by more than one file")
        return cls(scales=tuple(sorted(scales, key=lambda scale: scale.id)))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(scale.id for scale in self.scales)

    def get(self, instrument: str) -> Scale:
        """The scale with this id; ``InputError`` on ``instrument`` if there is none."""
        for scale in self.scales:
            if scale.id == instrument:
                return scale
        raise InputError("instrument", "one of " + ", ".join(self.ids), instrument)

    def with_scale(self, scale: Scale) -> ScaleLibrary:
        """This library with one scale replaced by a version of it (e.g. showing a clinic's licensed text)."""
        self.get(scale.id)
        return ScaleLibrary(scales=tuple(scale if s.id == scale.id else s for s in self.scales))
