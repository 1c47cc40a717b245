"""Benchmarks: the harness against the alternatives, side by side in one run, as ratios."""
