"""The sign-off plugin, driven through pytester runs of small test files."""

import json
from pathlib import Path

import pytest



TESTS = '''
import pytest

@pytest.mark.criterion("WIL-1.2-005/AC1")
def test_passes(evidence):
    evidence.text("seen", "postgresql://u:topsecretpw@h:1/db")

@pytest.mark.criterion("WIL-1.2-005/AC2")
def test_fails():
    assert 1 == 2

@pytest.mark.criterion("WIL-1.2-005/AC3")
def test_skips():
    pytest.skip("mutual TLS not configured")

@pytest.fixture
def broken():
    raise RuntimeError("setup broke")

@pytest.mark.criterion("WIL-1.2-005/AC4")
def test_errors(broken):
    pass

@pytest.mark.criterion("WIL-1.2-005/AC5", "WIL-1.2-005/AC6")
def test_two(evidence):
    pass
'''


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    pytester.makepyfile(test_sample=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--signoff-report-dir", "out", *args)
    report = json.loads((pytester.path / "out" / "signoff.json").read_text())
    return result, report


def statuses(report: dict, task: str) -> dict[str, str]:
    t = next(t for t in report["tasks"] if t["id"] == task)
    return {c["id"].split("/")[1]: c["status"] for c in t["criteria"]}


def test_statuses_verdicts_and_not_covered(pytester: pytest.Pytester) -> None:
    """Each outcome maps to its status; unclaimed criteria are NOT COVERED."""
    result, report = run(pytester)
    assert statuses(report, "WIL-1.2-005") == {
        "AC1": "passed", "AC2": "failed", "AC3": "skipped", "AC4": "error", "AC5": "passed", "AC6": "passed",
    }
    assert statuses(report, "WIL-1.2-001") == {f"AC{k}": "not-covered" for k in range(1, 6)}
    assert report["verdict"] == "not-signed-off"
    assert all(t["verdict"] == "not-signed-off" for t in report["tasks"])
    result.stdout.fnmatch_lines(["*VERDICT: NOT SIGNED OFF (0/16 tasks)*"])


def test_evidence_is_recorded_and_redacted(pytester: pytest.Pytester) -> None:
    """Evidence lands under its criterion, with the URL password masked in every file."""
    _, report = run(pytester)
    ac1 = next(c for c in report["tasks"][4]["criteria"] if c["id"] == "WIL-1.2-005/AC1")
    assert ac1["evidence"][0]["label"] == "seen"
    for f in (pytester.path / "out").rglob("*"):
        if f.is_file():
            assert "topsecretpw" not in f.read_text(errors="replace"), f


def test_all_formats_written(pytester: pytest.Pytester) -> None:
    """JSON, Markdown, HTML, JUnit and the Allure extras."""
    run(pytester)
    out = pytester.path / "out"
    for name in ("signoff.json", "signoff.md", "signoff.html", "junit.xml"):
        assert (out / name).stat().st_size > 0
    junit = (out / "junit.xml").read_text()
    assert 'classname="WIL-1.2-005"' in junit and "WIL-1.2-005/AC2" in junit
    for name in ("environment.properties", "executor.json", "categories.json"):
        assert (out / "allure-results" / name).exists()


def test_unknown_criterion_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A typo in a criterion id stops the run and suggests the right id."""
    pytester.makepyfile('''
import pytest
@pytest.mark.criterion("WIL-1.2-005/AC9")
def test_x(): pass
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--signoff-report-dir", "out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown acceptance criterion 'WIL-1.2-005/AC9'*", "*Did you mean*"])


def test_task_marker_selects_a_task(pytester: pytest.Pytester) -> None:
    """-m wil_1_2_005 selects the task's tests by the automatic marker."""
    pytester.makepyfile('''
import pytest
@pytest.mark.criterion("WIL-1.2-005/AC1")
def test_a(): pass
@pytest.mark.criterion("WIL-1.2-001/AC1")
def test_b(): pass
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--signoff-report-dir", "out", "-m", "wil_1_2_005")
    result.assert_outcomes(passed=1, deselected=1)


def test_waivers_valid_and_expired(pytester: pytest.Pytester) -> None:
    """A valid waiver turns a failure into WAIVED; an expired one counts as failed."""
    pytester.makefile(".toml", waivers='''
[[waiver]]
criterion = "WIL-1.2-005/AC2"
justification = "known gap, tracked"
approved_by = "Reviewer"
expires = 2999-01-01

[[waiver]]
criterion = "WIL-1.2-005/AC3"
justification = "old excuse"
approved_by = "Reviewer"
expires = 2000-01-01
''')
    _, report = run(pytester, "--waivers", "waivers.toml")
    s = statuses(report, "WIL-1.2-005")
    assert s["AC2"] == "waived" and s["AC3"] == "failed"


def test_malformed_waiver_file_stops_the_run(pytester: pytest.Pytester) -> None:
    """A waiver file that cannot be trusted is a usage error with the reason."""
    pytester.makefile(".toml", waivers="[[waiver]]\ncriterion = 'WIL-1.2-005/AC2'\n")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--waivers", "waivers.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*missing justification*"])


def test_gate_turns_unsigned_verdict_into_failure(pytester: pytest.Pytester) -> None:
    """--signoff-gate exits 1 when tests pass but tasks are not signed off."""
    pytester.makepyfile('''
import pytest
@pytest.mark.criterion("WIL-1.2-005/AC1")
def test_a(): pass
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--signoff-report-dir", "out", "--signoff-gate")
    assert result.ret == 1


def test_no_report_without_claims(pytester: pytest.Pytester) -> None:
    """A run with no criterion claims writes nothing."""
    pytester.makepyfile("def test_x(): pass")
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "--signoff-report-dir", "out")
    assert not Path(pytester.path / "out" / "signoff.json").exists()


def test_allure_results_only_for_signoff_runs(pytester: pytest.Pytester) -> None:
    """A run outside testpaths leaves the report's Allure results alone; a sign-off run writes them, under xdist too."""
    pytester.makeini("[pytest]\ntestpaths = suites\n")
    pytester.mkdir("suites")
    pytester.mkdir("other")
    (pytester.path / "suites" / "test_s.py").write_text(TESTS)
    (pytester.path / "other" / "test_o.py").write_text("def test_x(): pass\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--signoff-report-dir", "out")
    results = pytester.path / "out" / "allure-results"
    assert any(results.glob("*-result.json"))
    marker = results / "keep.txt"
    marker.write_text("x")
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "other", "--signoff-report-dir", "out")
    assert marker.exists()
