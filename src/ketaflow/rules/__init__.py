"""Versioned rule and protocol files shipped as package data, and the one function that reads them.

Each file is JSON with at least ``{"id": ..., "version": ..., "sources": {...}}``; the domain turns
the parsed mapping into typed rules (``from_dict`` constructors), so the domain itself never reads files.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, cast


def load_rule_file(area: str, name: str) -> dict[str, Any]:
    """Read ``rules/<area>/<name>.json`` from the installed package."""
    path = resources.files(__name__).joinpath(area, f"{name}.json")
    # Any: rule files are parsed JSON, checked by the domain's from_dict constructors.
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def list_rule_files(area: str) -> list[str]:
    """The names (without .json) of the rule files shipped for an area."""
    folder = resources.files(__name__).joinpath(area)
    return sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json"))
