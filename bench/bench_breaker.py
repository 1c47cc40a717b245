"""Closed-state overhead per call: our breaker vs pybreaker's ``CircuitBreaker.call``, on a trivial function.

Overhead = time per guarded call minus time per bare call, measured in the same loop
shape. Variants run interleaved (bare, ours, pybreaker, in a rotating order) for
several rounds; each figure is the median over rounds. Goal: ours <= 0.5x pybreaker.

    python -m bench breaker            # or: python -m bench.bench_breaker [--quick]
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import statistics
import time
from collections.abc import Callable

import pybreaker

from harness.resilience import CircuitBreaker


def trivial() -> int:
    return 1


def _time_loop(call: Callable[[], object], n: int) -> float:
    """Seconds per iteration of ``call()``."""
    started = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - started) / n


def main(argv: list[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="bench_breaker")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--calls", type=int, default=None, help="calls per variant per round")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args(argv)
    calls = args.calls or (20_000 if args.quick else 100_000)
    rounds = args.rounds or (5 if args.quick else 21)

    ours = CircuitBreaker()
    theirs = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)
    ours_call, theirs_call = ours.call, theirs.call
    # Every variant is a lambda, so each pays the same extra frame and the subtraction cancels it.
    variants: dict[str, Callable[[], object]] = {
        "bare": lambda: trivial(),
        "ours": lambda: ours_call(trivial),
        "pybreaker": lambda: theirs_call(trivial),
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for name in names:  # warm-up
        _time_loop(variants[name], calls // 10)
    gc.disable()
    try:
        for r in range(rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                samples[name].append(_time_loop(variants[name], calls))
    finally:
        gc.enable()
    med = {name: statistics.median(values) for name, values in samples.items()}
    over_ours = med["ours"] - med["bare"]
    over_theirs = med["pybreaker"] - med["bare"]
    ratio = over_ours / over_theirs if over_theirs > 0 else float("nan")
    return {
        "what": "closed-state overhead per call on a trivial function (median of interleaved rounds)",
        "calls_per_round": calls, "rounds": rounds,
        "pybreaker_version": importlib.metadata.version("pybreaker"),
        "ns_per_call": {name: round(v * 1e9, 1) for name, v in med.items()},
        "overhead_ns": {"ours": round(over_ours * 1e9, 1), "pybreaker": round(over_theirs * 1e9, 1)},
        "ratio_ours_to_pybreaker": round(ratio, 3),
        "goal": "ratio <= 0.5",
        "goal_met": ratio <= 0.5,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(main(sys.argv[1:]), indent=2))
