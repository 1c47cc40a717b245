"""flake-check's comparison logic on synthetic signoff.json dicts (no servers)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.signoff.flake import ABSENT, find_flakes, from_report, gist, parse_args, render, steady_failures


def report(verdict: str = "signed-off", **criteria: str | tuple[str, str]) -> dict[str, Any]:
    """A minimal signoff.json: criteria given as AC id -> status or (status, reason), task WIL-1.2-005."""
    rows = []
    for ac, value in criteria.items():
        status, reason = value if isinstance(value, tuple) else (value, "")
        rows.append({"id": f"WIL-1.2-005/{ac}", "status": status, "reasons": [reason] if reason else []})
    return {"verdict": verdict, "tasks": [{"id": "WIL-1.2-005", "criteria": rows}]}


def test_identical_runs_have_no_flakes() -> None:
    """The same statuses in every run (even a steady failure) is not a flake."""
    runs = [from_report(i, report(AC1="passed", AC2=("failed", "boom"))) for i in (1, 2, 3)]
    assert find_flakes(runs) == []
    assert steady_failures(runs) == {"WIL-1.2-005/AC2": "failed"}
    assert "no criterion changed status" in render(runs, [])


def test_status_change_is_reported_with_sequence_and_reasons() -> None:
    """A criterion passing in runs 1 and 3 and failing in run 2 is a flake; the reason of run 2 is kept."""
    runs = [
        from_report(1, report(AC1="passed", AC2="passed")),
        from_report(2, report("not-signed-off", AC1="passed", AC2=("failed", "t::x: TimeoutError"))),
        from_report(3, report(AC1="passed", AC2="passed")),
    ]
    flakes = find_flakes(runs)
    assert [f.criterion for f in flakes] == ["WIL-1.2-005/AC2"]
    assert flakes[0].sequence == ("passed", "failed", "passed")
    assert flakes[0].reasons == ((2, "t::x: TimeoutError"),)
    text = render(runs, flakes)
    assert "WIL-1.2-005/AC2: passed -> failed -> passed" in text
    assert "run 2: t::x: TimeoutError" in text
    assert steady_failures(runs) == {}


def test_missing_report_or_criterion_counts_as_absent() -> None:
    """A run that wrote no report makes every criterion differ; a criterion missing from one report too."""
    runs = [from_report(1, report(AC1="passed")), from_report(2, None, returncode=-1),
            from_report(3, report(AC1="passed", AC2="skipped"))]
    flakes = {f.criterion: f.sequence for f in find_flakes(runs)}
    assert flakes == {"WIL-1.2-005/AC1": ("passed", ABSENT, "passed"),
                      "WIL-1.2-005/AC2": (ABSENT, ABSENT, "skipped")}
    assert runs[1].verdict == "no-report"
    assert "runs without a report" in render(runs, find_flakes(runs))


def test_error_vs_failed_is_a_flake() -> None:
    """Two different non-passing statuses are still a change of status."""
    runs = [from_report(1, report(AC1="failed")), from_report(2, report(AC1="error"))]
    assert [f.sequence for f in find_flakes(runs)] == [("failed", "error")]


def test_durations_and_verdicts_rendered() -> None:
    runs = [from_report(1, report(AC1="passed"), duration_s=12.34, returncode=0),
            from_report(2, report("not-signed-off", AC1="failed"), duration_s=7.5, returncode=1)]
    text = render(runs, find_flakes(runs))
    assert "run 1:    12.3 s  exit 0  verdict signed-off  (1/1 criteria passed)" in text
    assert "run 2:     7.5 s  exit 1  verdict not-signed-off  (0/1 criteria passed)" in text


def test_args_defaults_and_passthrough() -> None:
    """-n defaults to 20, --workers to 2; unknown arguments go to pytest."""
    args, rest = parse_args(["suites/test_x.py", "-m", "wil_1_2_005"])
    assert (args.runs, args.workers, rest) == (20, 2, ["suites/test_x.py", "-m", "wil_1_2_005"])
    args, rest = parse_args(["-n", "3", "--workers", "1", "-k", "tls"])
    assert (args.runs, args.workers, rest) == (3, 1, ["-k", "tls"])
    with pytest.raises(SystemExit):
        parse_args(["-n", "1"])


def test_gist_shows_the_error_lines_not_the_traceback_head() -> None:
    reason = ("suites/x.py::test_a: runner.py:250: in <lambda>\n    lambda: runtest_hook(item=item)\n"
              "E       ResourceWarning: unclosed <ssl.SSLSocket fd=25>\nmore.py:1: ResourceWarning")
    assert gist(reason) == "suites/x.py::test_a: ResourceWarning: unclosed <ssl.SSLSocket fd=25>"


def test_gist_without_error_lines_keeps_the_end() -> None:
    reason = "suites/x.py::test_b: " + "x" * 400 + "THE END"
    assert gist(reason, 50).endswith("THE END") and gist(reason, 50).startswith("suites/x.py::test_b: ...")
