"""pytest plugin: criteria markers, evidence, waivers and the sign-off report.

Loaded through the ``pytest11`` entry point. It stays quiet unless collected tests
claim criteria (``@pytest.mark.criterion``), so it never writes a report for an
unrelated run. Under pytest-xdist the controller aggregates and writes the report;
workers only attach criteria ids and evidence to their test reports.
"""

from __future__ import annotations

import datetime as dt
import difflib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import catalogue as _catalogue
from .evidence import CRITERIA_PROPERTY, USER_PROPERTY, Evidence
from .redact import redact
from .render import write_all
from .results import TestOutcome, build_report
from .waivers import Waiver, WaiverFileError, load_waivers
from .environment import fingerprint

ENVIRONMENT_PROPERTY = "signoff.environment"
environment_key = pytest.StashKey[dict[str, Any]]()
recorder_key = pytest.StashKey["SignoffRecorder"]()

UNKNOWN_CRITERION = """\
unknown acceptance criterion {cid!r} claimed by {nodeid}
Criteria ids come from harness/signoff/criteria.toml (WIL-1.2-NNN/ACk).{hint}"""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("signoff", "sprint sign-off")
    group.addoption("--signoff-report-dir", metavar="DIR", default=None,
                    help="where the sign-off report goes (default: ini signoff_report_dir, else 'reports').")
    group.addoption("--waivers", metavar="FILE", default=None,
                    help="TOML file of waivers (criterion, justification, approved_by, expires).")
    group.addoption("--no-signoff-report", action="store_true", default=False,
                    help="do not write the sign-off report.")
    group.addoption("--signoff-gate", action="store_true", default=False,
                    help="exit with status 1 unless every task is signed off (what `make signoff` uses).")
    parser.addini("signoff_report_dir", "default directory of the sign-off report", default="reports")
    parser.addini("signoff_waivers", "default waiver file (relative to rootdir)", default="")


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    cat = _catalogue.load()
    config.addinivalue_line("markers", "criterion(*ids): the acceptance criteria (WIL-1.2-NNN/ACk) this test proves.")
    for task in cat.tasks:
        config.addinivalue_line("markers", f"{task.marker}: tests of {task.id} {task.title} (added automatically).")
    config.stash[environment_key] = {}
    report_dir = Path(config.getoption("--signoff-report-dir") or config.rootpath / config.getini("signoff_report_dir"))
    if (getattr(config.option, "allure_report_dir", False) is None and _is_signoff_run(config)
            and not config.getoption("--no-signoff-report")):
        # Allure results are part of the report set. Workers write them (xdist re-parses the
        # command line, so each process sets this); only the controller cleans old ones.
        config.option.allure_report_dir = str(report_dir / "allure-results")
        if not _is_worker(config):
            shutil.rmtree(report_dir / "allure-results", ignore_errors=True)
    if _is_worker(config):
        return
    waivers = _load_configured_waivers(config, cat)
    recorder = SignoffRecorder(config, cat, waivers, report_dir)
    config.stash[recorder_key] = recorder
    config.pluginmanager.register(recorder, "signoff-recorder")


def _is_signoff_run(config: pytest.Config) -> bool:
    """Does this run collect from the configured testpaths (the sign-off suites)?

    A run of something else (say ``pytest tests``) must not touch the report's Allure results.
    """
    testpaths = [config.rootpath / p for p in config.getini("testpaths")]
    if not testpaths or not config.args or config.args == [str(p) for p in testpaths]:
        return True
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if any(path == t.resolve() or t.resolve() in path.parents for t in testpaths):
            return True
    return False


def _load_configured_waivers(config: pytest.Config, cat: _catalogue.Catalogue) -> dict[str, Waiver]:
    path = config.getoption("--waivers") or config.getini("signoff_waivers")
    if not path:
        return {}
    try:
        return load_waivers(Path(config.rootpath, path), cat)
    except WaiverFileError as exc:
        raise pytest.UsageError(f"{exc}\nFix the file or drop --waivers; a sign-off never guesses around a waiver.") from exc


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Validate claimed ids, add the per-task marker, and attach ids to reports."""
    cat = _catalogue.load()
    known = cat.by_id
    problems = []
    for item in items:
        ids = [str(cid) for mark in item.iter_markers("criterion") for cid in mark.args]
        if not ids:
            continue
        for cid in ids:
            if cid not in known:
                close = difflib.get_close_matches(cid, known, n=1)
                hint = f"\nDid you mean {close[0]!r}?" if close else ""
                problems.append(UNKNOWN_CRITERION.format(cid=cid, nodeid=item.nodeid, hint=hint))
        for task_id in sorted({known[c].task_id for c in ids if c in known}):
            task = cat.task(task_id)
            item.add_marker(task.marker)
            item.add_marker(pytest.mark.allure_label(cat.sprint, label_type="epic"))
            item.add_marker(pytest.mark.allure_label(f"{task.id} {task.title}", label_type="feature"))
        for cid in ids:
            if cid in known:
                item.add_marker(pytest.mark.allure_label(f"{cid} {known[cid].text}", label_type="story"))
        item.user_properties.append((CRITERIA_PROPERTY, ids))
    if problems:
        raise pytest.UsageError("\n\n".join(problems))


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Record what the test observed; it lands in the sign-off report, redacted."""
    return Evidence(request.node.user_properties)


@pytest.fixture
def signoff_environment(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """A dict whose items are merged into the report's environment section."""
    found: dict[str, Any] = {}
    yield found
    if found:
        request.node.user_properties.append((ENVIRONMENT_PROPERTY, found))


class SignoffRecorder:
    """Controller-side: gathers outcomes and writes the report at the end."""

    def __init__(self, config: pytest.Config, cat: _catalogue.Catalogue, waivers: dict[str, Waiver],
                 report_dir: Path) -> None:
        self.config = config
        self.catalogue = cat
        self.waivers = waivers
        self.report_dir = report_dir
        self.outcomes: dict[str, TestOutcome] = {}
        self.environment: dict[str, Any] = {}
        self.report: dict[str, Any] | None = None
        self.claimed = False
        self.collected_remotely = False
        self.written: dict[str, Path] = {}

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        waived = f", {len(self.waivers)} waiver(s)" if self.waivers else ""
        return [f"signoff: {len(self.catalogue.tasks)} tasks, report -> {self.report_dir}{waived}"]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props: dict[str, Any] = dict(report.user_properties)  # last value per key
        criteria: list[str] | None = props.get(CRITERIA_PROPERTY)
        if not criteria:
            return
        outcome = self.outcomes.setdefault(report.nodeid, TestOutcome(report.nodeid, list(criteria)))
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2])
        elif report.failed:
            reason = redact(report.longreprtext)[-3000:]
        outcome.update(report.when, report.outcome, report.duration, reason)
        outcome.evidence = [dict(v) for k, v in report.user_properties if k == USER_PROPERTY]  # type: ignore[call-overload]
        for key, value in report.user_properties:
            if key == ENVIRONMENT_PROPERTY:
                self.environment.update(value)  # type: ignore[call-overload]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Without xdist the controller sees the items: remember which claim criteria, so an
        interrupted run still reports them (as not covered, with the reason)."""
        for item in session.items:
            props: dict[str, Any] = dict(item.user_properties)
            if props.get(CRITERIA_PROPERTY):
                self.claimed = True

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.collected_remotely = self.collected_remotely or bool(ids)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED or session.shouldstop is not False
        started = self.outcomes or self.claimed or (self.collected_remotely and interrupted)
        if not started or self.config.getoption("--no-signoff-report"):
            return
        env: dict[str, Any] = fingerprint(self.config.rootpath)
        stashed: dict[str, Any] = self.config.stash[environment_key]
        env.update(stashed)
        env.update(self.environment)
        self.report = build_report(self.catalogue, self.outcomes, self.waivers, environment=env,
                                   today=dt.date.today(), interrupted=bool(interrupted))
        allure_dir = getattr(self.config.option, "allure_report_dir", None)
        self.written = write_all(self.report, self.report_dir, allure_dir=Path(allure_dir) if allure_dir else None)
        if self.config.getoption("--signoff-gate") and self.report["verdict"] != "signed-off" and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is None:
            return
        tr = terminalreporter
        tr.section("sprint sign-off")
        for t in self.report["tasks"]:
            c = t["counts"]
            detail = ", ".join(f"{n} {k}" for k, n in c.items() if n)
            tr.write_line(f"{'SIGNED OFF    ' if t['verdict'] == 'signed-off' else 'not signed off'}  "
                          f"{t['id']}  {t['title'][:48]:<48}  {detail}", green=t["verdict"] == "signed-off")
        s = self.report["summary"]
        ok = self.report["verdict"] == "signed-off"
        tr.write_line(f"VERDICT: {'SIGNED OFF' if ok else 'NOT SIGNED OFF'} "
                      f"({s['tasks_signed_off']}/{s['tasks_total']} tasks)", bold=True, green=ok, red=not ok)
        for name, path in self.written.items():
            tr.write_line(f"  {name:<9} {path}")
