"""Smoke test of bench/bench_breaker.py: it runs and reports coherent figures (no timing assertion)."""

from __future__ import annotations

from bench.bench_breaker import main


def test_bench_reports_overheads_and_ratio() -> None:
    figures = main(["--calls", "2000", "--rounds", "3"])
    assert set(figures["ns_per_call"]) == {"bare", "ours", "pybreaker"}  # type: ignore[arg-type]
    assert figures["rounds"] == 3 and isinstance(figures["ratio_ours_to_pybreaker"], float)
