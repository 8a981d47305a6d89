"""Copy the pinned browser files from node_modules into the app's static folder and write a manifest.

Run by `make vendor` after `npm ci --ignore-scripts`. The output under
src/ketaflow/web/static/vendor/ is committed, so the app never needs node (or a CDN) to run.
The versions come from package-lock.json; the installed copies in node_modules must agree with it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
PACKAGE_JSON = ROOT / "package.json"
PACKAGE_LOCK = ROOT / "package-lock.json"
STATIC = ROOT / "src" / "ketaflow" / "web" / "static"
VENDOR = STATIC / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"


@dataclass(frozen=True, slots=True)
class Wanted:
    """One file the app serves: where it sits in the npm package, and its name under vendor/<pkg>-<ver>/."""

    package: str
    source: str
    target: str


# Only what the templates load, plus each package's licence text (both licences require it to travel
# with the code). Names are kept; the dist/ prefix is dropped so template paths stay short.
WANTED: tuple[Wanted, ...] = (
    Wanted("htmx.org", "dist/htmx.min.js", "htmx.min.js"),
    Wanted("htmx.org", "LICENSE", "LICENSE"),
    Wanted("uplot", "dist/uPlot.iife.min.js", "uPlot.iife.min.js"),
    Wanted("uplot", "dist/uPlot.min.css", "uPlot.min.css"),
    Wanted("uplot", "LICENSE", "LICENSE"),
)


class VendorError(Exception):
    """The lock, package.json and node_modules disagree, or a wanted file is missing."""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_json(path: Path) -> dict[str, Any]:  # Any: arbitrary npm JSON, checked field by field below
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise VendorError(f"{path.name} is not a JSON object")
    return data


def locked_packages(lock: dict[str, Any], pins: dict[str, Any], names: set[str]) -> dict[str, dict[str, str]]:
    """Version and licence of each wanted package, as recorded in package-lock.json (lockfileVersion 2+)."""
    entries = lock.get("packages")
    if not isinstance(entries, dict):
        raise VendorError("package-lock.json has no 'packages' map; regenerate it with npm 7 or later")
    found: dict[str, dict[str, str]] = {}
    for name in sorted(names):
        entry = entries.get(f"node_modules/{name}")
        if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
            raise VendorError(f"{name} is not in package-lock.json; run `npm install --ignore-scripts`")
        version: str = entry["version"]
        if pins.get(name) != version:
            raise VendorError(
                f"package.json pins {name} to {pins.get(name)!r} but the lock has {version!r}; "
                "use an exact version and run `npm install --ignore-scripts`"
            )
        installed = read_json(NODE_MODULES / name / "package.json").get("version")
        if installed != version:
            raise VendorError(f"node_modules has {name} {installed}, the lock says {version}; run `npm ci`")
        found[name] = {"version": version, "licence": str(entry.get("license", "UNKNOWN"))}
    return found


def clear_vendored(names: set[str]) -> None:
    """Delete every vendor/<pkg>-<version>/ folder we own, so old versions and dropped files don't linger."""
    if not VENDOR.is_dir():
        return
    for child in VENDOR.iterdir():
        if child.is_dir() and any(child.name.startswith(f"{name}-") for name in names):
            shutil.rmtree(child)


def vendor() -> list[dict[str, str]]:
    names = {w.package for w in WANTED}
    pins = read_json(PACKAGE_JSON).get("dependencies", {})
    locked = locked_packages(read_json(PACKAGE_LOCK), pins, names)
    folders = {name: f"{name}-{info['version']}" for name, info in locked.items()}
    missing = [w for w in WANTED if not (NODE_MODULES / w.package / w.source).is_file()]
    if missing:  # checked before anything is deleted, so a failed run leaves the committed files alone
        paths = ", ".join(f"node_modules/{w.package}/{w.source}" for w in missing)
        raise VendorError(f"{paths} missing; run `npm ci --ignore-scripts`")
    clear_vendored(names)

    entries: list[dict[str, str]] = []
    for wanted in WANTED:
        source = NODE_MODULES / wanted.package / wanted.source
        target = VENDOR / folders[wanted.package] / wanted.target
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        entries.append(
            {
                "package": wanted.package,
                "version": locked[wanted.package]["version"],
                "path": target.relative_to(STATIC).as_posix(),
                "sha256": sha256_of(target),
                "licence": locked[wanted.package]["licence"],
                "licence_file": f"vendor/{folders[wanted.package]}/LICENSE",
            }
        )
    return entries


def write_manifest(entries: list[dict[str, str]]) -> None:
    manifest = {
        "comment": "Generated by scripts/vendor_frontend.py from package-lock.json; do not edit by hand.",
        "paths_relative_to": "src/ketaflow/web/static",
        "files": entries,
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def main() -> int:
    try:
        entries = vendor()
    except (VendorError, FileNotFoundError) as exc:
        sys.stderr.write(f"vendor_frontend: {exc}\n")
        return 1
    write_manifest(entries)
    for entry in entries:
        sys.stdout.write(f"{entry['sha256'][:12]}  {entry['path']}  ({entry['licence']})\n")
    sys.stdout.write(f"wrote {MANIFEST.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
