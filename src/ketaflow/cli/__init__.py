"""The `ketaflow` command line (typer). Machine-readable commands print JSON; see docs/cli.md."""
