"""Write docs/cli.md from the `ketaflow` command tree, so the CLI reference is never written by hand.

    .venv/bin/python scripts/gen_cli_docs.py           # rewrite docs/cli.md
    .venv/bin/python scripts/gen_cli_docs.py --check   # exit 1 if docs/cli.md is stale

The tree is the one `ketaflow.cli.app.build_cli` builds. Help needs no runtime (no settings, no database),
so the runtime factory handed to it raises if anything calls it. tests/unit/test_docs.py runs the check.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from ketaflow.cli.app import EXIT_FAILED, EXIT_INVALID, build_cli

ROOT = Path(__file__).resolve().parents[1]
CLI_DOC = ROOT / "docs" / "cli.md"
PROGRAM = "ketaflow"

# Type labels as a clinic's IT reads them; anything else is shown as typer names it.
TYPE_LABELS = {"str": "text", "text": "text", "int": "integer", "integer": "integer", "float": "number"}


class RuntimeNotAvailable(RuntimeError):
    """Raised if generating the docs ever tries to run a command."""


def _no_runtime() -> Any:  # Any: stands in for the Runtime protocol, which it never returns
    raise RuntimeNotAvailable("gen_cli_docs only reads help texts; no command may run")


@dataclass(frozen=True, slots=True)
class Node:
    """One command or group of the tree, with the context typer needs to describe it."""

    command: Any  # Any: typer's click-based Command/Group, whose module path changes between typer versions
    context: typer.Context

    @property
    def path(self) -> str:
        return self.context.command_path

    @property
    def is_group(self) -> bool:
        return hasattr(self.command, "list_commands")

    def children(self) -> list[Node]:
        if not self.is_group:
            return []
        found = []
        for name in self.command.list_commands(self.context):
            sub = self.command.get_command(self.context, name)
            if sub is None or getattr(sub, "hidden", False):
                continue
            found.append(Node(sub, typer.Context(sub, info_name=name, parent=self.context)))
        return found

    def params(self) -> list[Any]:
        return [
            p
            for p in self.command.get_params(self.context)
            if not getattr(p, "hidden", False) and "--help" not in p.opts
        ]


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children():
        yield from walk(child)


def root_node() -> Node:
    command = typer.main.get_command(build_cli(_no_runtime))
    return Node(command, typer.Context(command, info_name=PROGRAM))


def _help_text(command: Any) -> str:
    text = (command.help or "").strip()
    return "\n".join(line.strip() for line in text.splitlines())


def _summary(command: Any) -> str:
    return _help_text(command).split("\n\n", 1)[0].replace("\n", " ")


def _type_label(param: Any, context: typer.Context) -> str:
    if getattr(param, "is_flag", False):
        return "flag"
    # typer >= 0.20 has display_type(ctx) -> "<str>"; older typer (on click) has ParamType.name.
    display_type = getattr(param, "display_type", None)
    raw = str(display_type(context)).strip("<>") if callable(display_type) else str(param.type.name)
    return TYPE_LABELS.get(raw, raw)


def _default(param: Any) -> str:
    if param.required:
        return "required"
    if getattr(param, "is_flag", False):
        return "on" if param.default else "off"
    if param.default is None or param.default == "":
        return "none"
    return f"`{param.default}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def usage(node: Node) -> str:
    parts = [node.path]
    params = node.params()
    if any(p.param_type_name == "option" for p in params) or not node.is_group:
        parts.append("[OPTIONS]")
    for p in params:
        if p.param_type_name == "argument":
            name = p.name.upper()
            parts.append(name if p.required else f"[{name}]")
    if node.is_group:
        parts.append("COMMAND [ARGS]...")
    return " ".join(parts)


def _anchor(path: str) -> str:
    return path.replace(" ", "-")


def _command_section(node: Node) -> list[str]:
    lines = [f"### `{node.path}`", "", _help_text(node.command) or "(no help text)", "", "```", usage(node), "```", ""]
    arguments = [p for p in node.params() if p.param_type_name == "argument"]
    options = [p for p in node.params() if p.param_type_name == "option"]
    if arguments:
        lines += ["| argument | type | description |", "| --- | --- | --- |"]
        for p in arguments:
            lines.append(f"| `{p.name.upper()}` | {_type_label(p, node.context)} | {_cell(p.help or '-')} |")
        lines.append("")
    if options:
        lines += ["| option | type | default | description |", "| --- | --- | --- | --- |"]
        for p in options:
            names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
            lines.append(f"| {names} | {_type_label(p, node.context)} | {_default(p)} | {_cell(p.help or '')} |")
        lines.append("")
    return lines


def render_cli_markdown() -> str:
    """The whole of docs/cli.md."""
    root = root_node()
    nodes = list(walk(root))
    leaves = [n for n in nodes if not n.is_group]
    lines = [
        "# Command line reference",
        "",
        "<!-- Generated by scripts/gen_cli_docs.py from ketaflow.cli.app.build_cli; do not edit by hand. -->",
        "",
        "This file is generated. After changing a command, regenerate it with",
        "`.venv/bin/python scripts/gen_cli_docs.py`; `tests/unit/test_docs.py` fails while it is stale",
        "(`.venv/bin/python scripts/gen_cli_docs.py --check` exits 1).",
        "",
        _summary(root.command),
        "",
        "Settings such as the database URL come from `KETAFLOW_*` environment variables (see",
        "[settings.md](settings.md)), not from command-line options. Every command also takes `--help`.",
        "",
        f"Exit status: 0 on success; {EXIT_FAILED} when `ketaflow audit verify` finds a problem or `ketaflow demo`",
        f"is refused in production; {EXIT_INVALID} for invalid input, invalid settings, unsafe database settings",
        "or a schema that is not at the newest revision.",
        "",
        "## Commands",
        "",
        "| command | what it does |",
        "| --- | --- |",
    ]
    lines += [f"| [`{n.path}`](#{_anchor(n.path)}) | {_cell(_summary(n.command))} |" for n in leaves]
    lines.append("")
    for group in nodes:
        if not group.is_group:
            continue
        direct = [c for c in group.children() if not c.is_group]
        if not direct:
            continue
        title = "Top-level commands" if group is root else f"`{group.path}`: {_summary(group.command)}"
        lines += [f"## {title}", ""]
        for child in direct:
            lines += _command_section(child)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale; write nothing")
    parser.add_argument("--output", type=Path, default=CLI_DOC, help="the file to write or check")
    args = parser.parse_args(argv)
    wanted = render_cli_markdown()
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
    if args.check:
        if current != wanted:
            sys.stderr.write(f"{args.output} is stale: run .venv/bin/python scripts/gen_cli_docs.py\n")
            return 1
        return 0
    if current != wanted:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
