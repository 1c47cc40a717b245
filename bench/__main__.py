"""``python -m bench [NAME ...]``: run every bench/bench_*.py (or the named ones).

Each module has ``main(argv: list[str]) -> dict`` returning its figures; they are
printed and written to bench/results/NAME.json for docs/performance.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import platform
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    names = sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all): {', '.join(names)}")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (for CI smoke runs)")
    args = parser.parse_args()
    unknown = set(args.names) - set(names)
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; known: {', '.join(names)}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    for name in args.names or names:
        module = importlib.import_module(f"bench.bench_{name}")
        figures = module.main(["--quick"] if args.quick else [])
        figures["machine"] = {"cpus": __import__("os").cpu_count(), "platform": platform.platform(),
                              "python": sys.version.split()[0]}
        (out / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
        print(f"== {name}\n{json.dumps(figures, indent=2)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
