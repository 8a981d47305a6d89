"""The official ICD-10-CM code set, as the simple-icd-10-cm package ships it (CMS tabular list, FY2026).

Loaded on first use (parsing the tabular XML takes a few seconds), then kept for the process.
"""

from __future__ import annotations

import importlib
import threading
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast

CODE_SET = "ICD-10-CM (CMS tabular list, April 2026, via simple-icd-10-cm 1.5)"


@dataclass(frozen=True, slots=True)
class CodeMatch:
    code: str
    description: str


class Icd10CmCodeSystem:
    """Implements services.ports.CodeSystem for ICD-10-CM."""

    name = CODE_SET

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._module: ModuleType | None = None
        self._index: list[tuple[str, str]] | None = None

    def _cm(self) -> Any:  # Any: the package has no type information
        with self._lock:
            if self._module is None:
                with warnings.catch_warnings():
                    # The package imports pkg_resources, which warns that it is deprecated.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    warnings.simplefilter("ignore", UserWarning)
                    self._module = importlib.import_module("simple_icd_10_cm")
            return self._module

    def exists(self, code: str) -> bool:
        """A category, subcategory or full code (not a chapter or block)."""
        cm = self._cm()
        return bool(
            cm.is_valid_item(code) and (cm.is_category_or_subcategory(code) or cm.is_extended_subcategory(code))
        )

    def describe(self, code: str) -> str:
        return cast(str, self._cm().get_description(code)) if self.exists(code) else ""

    def search(self, text: str, limit: int = 20) -> list[CodeMatch]:
        """Codes whose code starts with, or whose description contains, every word of ``text``."""
        words = text.lower().split()
        if not words:
            return []
        found: list[CodeMatch] = []
        for code, description in self._build_index():
            haystack = f"{code.lower()} {code.replace('.', '').lower()} {description.lower()}"
            if all(w in haystack for w in words) and self.exists(code):
                found.append(CodeMatch(code, description))
                if len(found) >= limit:
                    break
        return found

    def _build_index(self) -> list[tuple[str, str]]:
        if self._index is None:
            cm = self._cm()
            self._index = [(c, cm.get_description(c)) for c in cm.get_all_codes(with_dots=True)]
        return self._index
