"""The browser files the app serves are exactly the pinned, vendored ones, and nothing loads from a CDN.

Reads files only (package.json, package-lock.json, static/vendor/MANIFEST.json, templates); does not
import ketaflow, so it runs before the Python package is installable.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "ketaflow" / "web"
STATIC = WEB / "static"
VENDOR = STATIC / "vendor"
TEMPLATES = WEB / "templates"

EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
# A remote location: http://, https:// or protocol-relative //host.
REMOTE = r"""["'`]?\s*(?:https?:)?//"""
TAG_WITH_URL = re.compile(r"<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)\s*=\s*" + REMOTE, re.I)
CSS_LOAD = re.compile(r"(?:@import\s+(?:url\()?|url\()\s*" + REMOTE, re.I)
JS_LOAD = re.compile(r"(?:\b(?:src|href)\s*[=:]\s*|\bimport\s*\(\s*|\bfrom\s+|\bimportScripts\s*\(\s*)" + REMOTE, re.I)


def load_json(path: Path) -> dict[str, Any]:  # Any: free-form npm/manifest JSON
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a JSON object"
    return data


def manifest_files() -> list[dict[str, str]]:
    files = load_json(VENDOR / "MANIFEST.json")["files"]
    assert isinstance(files, list)
    return files


def locked_version(package: str) -> str:
    entry = load_json(ROOT / "package-lock.json")["packages"][f"node_modules/{package}"]
    version = entry["version"]
    assert isinstance(version, str)
    return version


def remote_loads(path: Path) -> list[str]:
    """Lines of `path` that load a script, stylesheet or other resource from another origin."""
    patterns = {".html": [TAG_WITH_URL, CSS_LOAD], ".css": [CSS_LOAD], ".js": [JS_LOAD]}[path.suffix]
    text = path.read_text(encoding="utf-8")
    return [m.group(0) for pattern in patterns for m in pattern.finditer(text)]


def web_files() -> list[Path]:
    return sorted(p for p in WEB.rglob("*") if p.suffix in {".html", ".css", ".js"} and p.is_file())


def test_manifest_lists_every_served_file_with_its_licence() -> None:
    entries = manifest_files()

    paths = {e["path"] for e in entries}
    assert {e["package"] for e in entries} == {"htmx.org", "uplot"}
    assert {"htmx.min.js", "uPlot.iife.min.js", "uPlot.min.css"} <= {p.rsplit("/", 1)[1] for p in paths}
    for entry in entries:
        assert entry["licence"], entry
        assert entry["licence_file"] in paths, f"{entry['package']} ships without its LICENSE"


@pytest.mark.parametrize("entry", manifest_files(), ids=lambda e: e["path"])
def test_vendored_file_matches_manifest_sha256(entry: dict[str, str]) -> None:
    path = STATIC / entry["path"]

    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    assert digest == entry["sha256"], f"{entry['path']} changed; rerun `make vendor`"


def test_vendor_folder_holds_only_manifest_files() -> None:
    listed = {e["path"] for e in manifest_files()} | {"vendor/MANIFEST.json"}

    on_disk = {p.relative_to(STATIC).as_posix() for p in VENDOR.rglob("*") if p.is_file()}

    assert on_disk == listed


@pytest.mark.parametrize("entry", manifest_files(), ids=lambda e: e["path"])
def test_manifest_version_equals_package_lock(entry: dict[str, str]) -> None:
    version = locked_version(entry["package"])

    assert entry["version"] == version
    assert entry["path"].startswith(f"vendor/{entry['package']}-{version}/")


def test_package_json_pins_exact_versions_matching_the_lock() -> None:
    package = load_json(ROOT / "package.json")
    lock_root = load_json(ROOT / "package-lock.json")["packages"][""]

    dependencies = package["dependencies"]

    assert package["private"] is True
    assert "scripts" not in package
    assert "devDependencies" not in package
    assert all(EXACT_VERSION.match(spec) for spec in dependencies.values()), dependencies
    assert lock_root["dependencies"] == dependencies
    assert {name: locked_version(name) for name in dependencies} == dependencies


def test_htmx_stays_on_major_version_2() -> None:
    version = locked_version("htmx.org")

    # htmx 4 changed attribute inheritance and event names; moving to it is a deliberate migration.
    assert version.split(".")[0] == "2"


def test_templates_reference_only_vendored_paths_that_exist() -> None:
    vendored = {e["path"] for e in manifest_files()}
    referenced: set[str] = set()

    for template in TEMPLATES.rglob("*.html"):
        referenced |= set(re.findall(r"""path\s*=\s*["'](vendor/[^"']+)["']""", template.read_text("utf-8")))

    assert referenced, "base.html should load the vendored htmx and uPlot"
    assert referenced <= vendored, referenced - vendored


@pytest.mark.parametrize("path", web_files(), ids=lambda p: p.relative_to(WEB).as_posix())
def test_web_file_loads_nothing_from_another_origin(path: Path) -> None:
    found = remote_loads(path)

    assert found == [], f"{path.relative_to(ROOT)} loads from a remote origin (no CDN allowed): {found}"


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".html", '<script src="https://unpkg.com/htmx.org@2.0.11"></script>'),
        (".html", "<link rel=stylesheet href='//cdn.example/x.css'>"),
        (".html", '<div style="background: url(http://x.example/a.png)"></div>'),
        (".css", '@import url("https://fonts.googleapis.com/css2?family=Inter");'),
        (".css", "@import 'https://cdn.example/a.css';"),
        (".js", 'const s = document.createElement("script"); s.src = "https://cdn.example/a.js";'),
        (".js", 'import("https://cdn.example/mod.js");'),
    ],
    ids=[
        "script-src",
        "link-protocol-relative",
        "inline-style-url",
        "css-import-url",
        "css-import",
        "js-src",
        "js-dynamic-import",
    ],
)
def test_remote_load_detector_catches_cdn_references(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"sample{suffix}"
    path.write_text(text, encoding="utf-8")

    found = remote_loads(path)

    assert found != []


def test_remote_load_detector_allows_same_origin_and_plain_links(tmp_path: Path) -> None:
    path = tmp_path / "sample.html"
    path.write_text(
        "<script src=\"{{ url_for('static', path='js/ketaflow.js') }}\" defer></script>"
        '<a href="https://www.fda.gov/">FDA CDS guidance</a>',
        encoding="utf-8",
    )

    found = remote_loads(path)

    assert found == []
