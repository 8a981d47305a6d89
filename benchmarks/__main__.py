"""Run every benchmarks/bench_*.py module's main(), in name order."""

from __future__ import annotations

import importlib
import pkgutil

import benchmarks


def main() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")):
        importlib.import_module(f"benchmarks.{module}").main()


if __name__ == "__main__":
    main()
