"""The docs tell the truth: settings, CLI reference, roles table and links are checked against the code."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ketaflow.config import Settings
from ketaflow.domain.access import ROLE_PERMISSIONS, SECOND_FACTOR_ROLES, Permission, Role, can

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
SETTINGS_DOC = DOCS / "settings.md"
ENV_EXAMPLE = ROOT / ".env.example"
ENV_VAR = re.compile(r"\bKETAFLOW_[A-Z0-9_]*[A-Z0-9]\b")
FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def _load_script(name: str) -> ModuleType:
    """Import scripts/<name>.py by path (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"ketaflow_docs_{name}", ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module while the class is built
    spec.loader.exec_module(module)
    return module


def env_var(field: str) -> str:
    return f"KETAFLOW_{field.upper()}"


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def prose_lines(path: Path) -> list[str]:
    """The lines of a Markdown file outside fenced code blocks."""
    lines, in_code = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_code = not in_code
            continue
        if not in_code:
            lines.append(line)
    return lines


def github_anchors(path: Path) -> set[str]:
    """The heading anchors GitHub generates for a Markdown file."""
    anchors: set[str] = set()
    for line in prose_lines(path):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in anchors:
            n += 1
            candidate = f"{slug}-{n}"
        anchors.add(candidate)
    return anchors


def documented_default(value: object) -> str:
    """How docs/settings.md writes a default: `true`/`false` for booleans, the plain value otherwise."""
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return f"`{getattr(value, 'value', value)}`"


def settings_table() -> dict[str, list[str]]:
    """docs/settings.md's summary table: env var -> the row's cells."""
    rows: dict[str, list[str]] = {}
    for line in prose_lines(SETTINGS_DOC):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `KETAFLOW_"):
            rows[cells[0].strip("`")] = cells
    return rows


def env_example_values() -> dict[str, str]:
    """The variables .env.example sets, read the way the docs say to load it (`set -a; . FILE`)."""
    clean_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    printed = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; set +a; env -0', "bash", str(ENV_EXAMPLE)],
        env=clean_env,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    return dict(item.split("=", 1) for item in printed.split("\0") if item.startswith("KETAFLOW_"))


def variables_known_to_tests_and_ci() -> set[str]:
    """KETAFLOW_* variables the test suite or CI reads (e.g. KETAFLOW_TEST_DATABASE_URL), not Settings fields."""
    sources = [*(ROOT / "tests").rglob("*.py"), ROOT / ".ci" / "run"]
    found: set[str] = set()
    for source in sources:
        if source.exists() and source.resolve() != Path(__file__).resolve():
            found |= set(ENV_VAR.findall(source.read_text(encoding="utf-8")))
    return found


# --- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", sorted(Settings.model_fields), ids=str)
def test_every_setting_has_a_row_and_a_section_in_settings_md(field: str) -> None:
    text = SETTINGS_DOC.read_text(encoding="utf-8")

    row = settings_table().get(env_var(field))

    assert row is not None, f"docs/settings.md has no table row for {env_var(field)}"
    assert f"## `{env_var(field)}`" in text, f"docs/settings.md has no section for {env_var(field)}"


@pytest.mark.parametrize("field", sorted(Settings.model_fields), ids=str)
def test_settings_md_gives_the_default_the_code_has(field: str) -> None:
    default = Settings.model_fields[field].default

    row = settings_table()[env_var(field)]

    assert row[2] == documented_default(default), f"{env_var(field)}: docs say {row[2]}, code has {default!r}"


def test_docs_name_only_variables_that_exist() -> None:
    known = {env_var(f) for f in Settings.model_fields} | variables_known_to_tests_and_ci()

    named = {v for path in [*markdown_files(), ENV_EXAMPLE] for v in ENV_VAR.findall(path.read_text("utf-8"))}

    assert named - known == set(), "documented but read by neither Settings, the tests nor CI"


def test_env_example_sets_every_setting_and_nothing_else() -> None:
    values = env_example_values()

    assert set(values) == {env_var(f) for f in Settings.model_fields}


def test_env_example_values_make_valid_development_settings() -> None:
    values = {name.removeprefix("KETAFLOW_").lower(): value for name, value in env_example_values().items()}

    settings = Settings(**values)  # type: ignore[arg-type]  # pydantic parses the strings as the env would

    assert settings.environment.value == "development"
    assert settings.database_url.startswith("sqlite:///")


# --- CLI reference -------------------------------------------------------------------------------


def test_cli_md_is_what_the_generator_writes_now() -> None:
    gen = _load_script("gen_cli_docs")

    wanted = gen.render_cli_markdown()

    assert (DOCS / "cli.md").read_text(encoding="utf-8") == wanted, (
        "docs/cli.md is stale: run .venv/bin/python scripts/gen_cli_docs.py"
    )


def test_cli_generator_check_mode_exits_1_on_a_stale_file_and_0_after_writing(tmp_path: Path) -> None:
    gen = _load_script("gen_cli_docs")
    target = tmp_path / "cli.md"
    target.write_text("# an old reference\n", encoding="utf-8")

    stale = gen.main(["--check", "--output", str(target)])
    written = gen.main(["--output", str(target)])
    fresh = gen.main(["--check", "--output", str(target)])

    assert (stale, written, fresh) == (1, 0, 0)


def test_cli_md_says_it_is_generated_and_how_to_regenerate() -> None:
    head = "\n".join((DOCS / "cli.md").read_text(encoding="utf-8").splitlines()[:10])

    assert "generated" in head
    assert "scripts/gen_cli_docs.py" in head


# --- README --------------------------------------------------------------------------------------


def test_readme_roles_table_is_what_role_permissions_generates() -> None:
    gen = _load_script("gen_readme_roles")
    readme = README.read_text(encoding="utf-8")

    wanted = gen.with_table(readme, gen.render_roles_table())

    assert readme == wanted, "README roles table is stale: run .venv/bin/python scripts/gen_readme_roles.py"


def test_readme_roles_table_says_yes_exactly_where_a_role_holds_the_permission() -> None:
    gen = _load_script("gen_readme_roles")
    words_to_permission = {words: p for p, words in gen.PERMISSION_WORDS.items()}
    block = README.read_text(encoding="utf-8").split(gen.START, 1)[1].split(gen.END, 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block.strip().splitlines()]
    header, body = rows[0], rows[2:]

    found = {(row[0], role): cell for row in body for role, cell in zip(header[1:], row[1:], strict=True)}

    for words, permission in words_to_permission.items():
        for role in Role:
            assert found[(words, role.label)] == ("yes" if can(role, permission) else "no"), (words, role)
    for role in Role:
        assert found[(gen.SECOND_FACTOR_WORDS, role.label)] == ("yes" if role in SECOND_FACTOR_ROLES else "no")
    assert len(body) == len(ROLE_PERMISSIONS) + 1


def test_roles_generator_refuses_a_permission_without_plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    gen = _load_script("gen_readme_roles")
    monkeypatch.setattr(
        gen, "PERMISSION_WORDS", {p: w for p, w in gen.PERMISSION_WORDS.items() if p is not Permission.AUDIT_EXPORT}
    )

    with pytest.raises(gen.MissingWords, match=r"audit\.export"):
        gen.render_roles_table()


def test_readme_roles_check_mode_exits_1_on_a_stale_table(tmp_path: Path) -> None:
    gen = _load_script("gen_readme_roles")
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{gen.START}\n| old |\n{gen.END}\n", encoding="utf-8")

    stale = gen.main(["--check", "--readme", str(readme)])
    written = gen.main(["--readme", str(readme)])
    fresh = gen.main(["--check", "--readme", str(readme)])

    assert (stale, written, fresh) == (1, 0, 0)


@pytest.mark.parametrize("command", ["make run", "make test"])
def test_readme_shows_the_two_commands(command: str) -> None:
    readme = README.read_text(encoding="utf-8")

    assert f"```sh\n{command}\n```" in readme


# --- links ---------------------------------------------------------------------------------------


def relative_links() -> list[tuple[Path, str]]:
    found = []
    for path in markdown_files():
        for line in prose_lines(path):
            for target in LINK.findall(line):
                if not re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: ...
                    found.append((path, target))
    return found


@pytest.mark.parametrize(
    ("source", "target"),
    [pytest.param(p, t, id=f"{p.relative_to(ROOT)}->{t}") for p, t in relative_links()],
)
def test_relative_link_points_to_an_existing_file_and_heading(source: Path, target: str) -> None:
    file_part, _, anchor = target.partition("#")

    destination = (source.parent / file_part).resolve() if file_part else source

    assert destination.exists(), f"{source.relative_to(ROOT)} links to missing {file_part}"
    assert ROOT in destination.parents or destination == ROOT, "links must stay inside the repository"
    if anchor and destination.suffix == ".md":
        assert anchor in github_anchors(destination), f"no heading #{anchor} in {destination.relative_to(ROOT)}"


def test_link_checker_sees_links_in_every_markdown_file() -> None:
    sources = {p for p, _ in relative_links()}

    assert {README, DOCS / "architecture.md", DOCS / "settings.md", DOCS / "deployment.md"} <= sources
