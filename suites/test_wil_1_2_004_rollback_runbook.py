"""WIL-1.2-004 Migration rollback procedure: the runbook is parsed, and its own commands are run.

The commands of the runbook's *Procedure* section (``python -m harness migrate ...`` lines in its
fenced blocks) are executed as subprocesses against a scratch database holding data, with
``DATABASE_URL`` pointing at it: the document is the test.
"""

from __future__ import annotations

import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from harness.db import migrate
from harness.db.migration_files import discover
from harness.db.runbook import procedure_steps, section, stated_seconds
from harness.db.schema_snapshot import snapshot
from harness.signoff.evidence import Evidence

from fixtures.dbschema import ScratchDatabase

RUNBOOK = Path("docs/runbooks/migration-rollback.md")
INDEX = Path("docs/runbooks/README.md")
COMMAND_PREFIX = "python -m harness migrate"
DEFAULT_RTO_S = 60.0
RTO_RUNS = 2  # the objective is 60 s and one run takes ~0.5 s: two samples show the spread


def _commands(root: Path) -> list[str]:
    return [c for s in procedure_steps((root / RUNBOOK).read_text()) for c in s.commands]


def _env(db: ScratchDatabase, migrations_dir: Path, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    env.update(DATABASE_URL=db.url, HARNESS_MIGRATIONS_DIR=str(migrations_dir),
               PYTHONPATH=os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p))
    return env


def _run(command: str, env: dict[str, str], root: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(command)
    argv[0] = sys.executable  # the runbook's `python` is this interpreter
    return subprocess.run(argv, env=env, cwd=root, capture_output=True, text=True, timeout=120, check=False)


def _fingerprint(conn: psycopg.Connection[Any]) -> dict[str, object]:
    """Row counts and an order-stable md5 of every row, per table."""
    out: dict[str, object] = {}
    for table in ("Job", "Result"):
        row = conn.execute(f'SELECT count(*), md5(coalesce(string_agg(t::text, \'|\' ORDER BY t.id), \'\')) '
                           f'FROM "{table}" t').fetchone()
        out[table] = row
    return out


def _seed(db: ScratchDatabase, migrations_dir: Path, jobs: int) -> None:
    with migrate.connect(db.url) as conn:
        migrate.up(conn, migrations_dir)
        conn.execute(f"""
            INSERT INTO "Job" ("sessionId", "fileName", "fileType", "fileSize", "createdAt")
            SELECT 'session-' || (g % 500), 'f' || g || '.pdf', 'application/pdf', g, now() - g * interval '1 s'
            FROM generate_series(1, {jobs}) g;
            INSERT INTO "Result" (job_id, content) SELECT id, 'r-' || "fileName" FROM "Job";
            ANALYZE""".encode())


@pytest.mark.criterion("WIL-1.2-004/AC1")
def test_runbook_has_numbered_steps_with_the_commands(pytestconfig: pytest.Config, evidence: Evidence) -> None:
    """The runbook's Procedure has consecutive numbered steps that name status, down and up commands."""
    path = pytestconfig.rootpath / RUNBOOK
    assert path.is_file(), f"{RUNBOOK} is missing: write the rollback runbook there"
    steps = procedure_steps(path.read_text())
    evidence.table("procedure steps", [{"step": s.number, "text": s.text[:80], "commands": "; ".join(s.commands)}
                                       for s in steps])
    assert len(steps) >= 5, f"expected a step-by-step procedure (>= 5 numbered steps), found {len(steps)}"
    assert [s.number for s in steps] == list(range(1, len(steps) + 1)), "steps are not numbered 1..n"
    verbs = [shlex.split(c)[4] for s in steps for c in s.commands]
    for verb in ("status", "down", "up"):
        assert verb in verbs, f"the procedure never runs `{COMMAND_PREFIX} {verb}`"
    assert verbs.index("down") < len(verbs) - 1 - verbs[::-1].index("up"), "re-apply (up) must follow the rollback"


@pytest.mark.criterion("WIL-1.2-004/AC2")
def test_runbook_commands_roll_back_and_reapply(scratch_db: ScratchDatabase, migrations_dir: Path,
                                                pytestconfig: pytest.Config, evidence: Evidence) -> None:
    """Run the runbook's commands, in order, on a scratch database with 1000 jobs: the rollback leaves the last
    migration pending, re-apply restores the schema, and the data is unchanged."""
    root = pytestconfig.rootpath
    _seed(scratch_db, migrations_dir, 1_000)
    last = discover(migrations_dir)[-1].name
    with scratch_db.connect() as conn:
        s1, before = snapshot(conn), _fingerprint(conn)
    env, transcript, rolled_back = _env(scratch_db, migrations_dir, root), [], False
    for command in _commands(root):
        done = _run(command, env, root)
        transcript.append(f"$ {command}\n(exit {done.returncode})\n{done.stdout}{done.stderr}")
        assert done.returncode == 0, f"`{command}` failed:\n{done.stdout}\n{done.stderr}"
        if shlex.split(command)[4] == "down":
            with migrate.connect(scratch_db.url) as conn:
                state = {s.name: s.state for s in migrate.status(conn, migrations_dir)}[last]
            assert state == "pending", f"after `{command}`, {last} is still {state}"
            rolled_back = True
    evidence.text("runbook commands, as run", "\n".join(transcript))
    assert rolled_back, "the procedure never rolled anything back"
    with scratch_db.connect() as conn:
        s1b, after = snapshot(conn), _fingerprint(conn)
        states = migrate.status(conn, migrations_dir)
    evidence.json("data fingerprint (count, md5) before/after", {"before": before, "after": after})
    assert all(s.state == "applied" for s in states), f"not re-applied: {states}"
    assert not s1.diff(s1b), "schema after re-apply differs:\n" + "\n".join(s1.diff(s1b))
    assert after == before, "the documented rollback changed the data"


@pytest.mark.criterion("WIL-1.2-004/AC3")
def test_runbook_documents_data_preservation(pytestconfig: pytest.Config, migrations_dir: Path,
                                             evidence: Evidence) -> None:
    """A Data preservation section says, per migration, whether down keeps or destroys data, and how to keep it."""
    text = section((pytestconfig.rootpath / RUNBOOK).read_text(), "Data preservation")
    evidence.text("Data preservation section", text.strip())
    assert text.strip(), f"{RUNBOOK} has no '## Data preservation' section"
    lower = text.lower()
    unnamed = [m.name for m in discover(migrations_dir) if m.name not in text]
    assert not unnamed, f"the section does not say what rolling back these does to data: {unnamed}"
    for needed in ("kept", "destroyed", "backup.md", "restore"):
        assert needed in lower, f"the section never says {needed!r} (what happens to data / how to keep it)"


def _rto_objective(markdown: str) -> tuple[float, str]:
    """The objective the runbook states ("RTO objective: 60 s"), else the default."""
    stated = stated_seconds(markdown, "RTO objective")
    return (stated, str(RUNBOOK)) if stated is not None else (DEFAULT_RTO_S, "default (the runbook states none)")


@pytest.mark.criterion("WIL-1.2-004/AC4")
def test_rollback_rto_measured(scratch_db: ScratchDatabase, migrations_dir: Path, pytestconfig: pytest.Config,
                               evidence: Evidence) -> None:
    """Time the runbook's down + up, until status shows nothing pending (10k jobs, 10k results), over 2 runs;
    median and max within the runbook's stated RTO objective."""
    root = pytestconfig.rootpath
    objective, source = _rto_objective((root / RUNBOOK).read_text())
    _seed(scratch_db, migrations_dir, 10_000)
    commands = _commands(root)
    down = next(c for c in commands if shlex.split(c)[4] == "down")
    up = next(c for c in commands if shlex.split(c)[4] == "up")
    env, runs = _env(scratch_db, migrations_dir, root), []
    for _ in range(RTO_RUNS):
        t0 = time.perf_counter()
        results = [_run(c, env, root) for c in (down, up)]
        assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
        with migrate.connect(scratch_db.url) as conn:
            pending = [s.name for s in migrate.status(conn, migrations_dir) if s.state != "applied"]
        runs.append(time.perf_counter() - t0)
        assert not pending, f"still pending after `{up}`: {pending}"
    measured = {"runs_s": [round(r, 3) for r in runs], "median_s": round(statistics.median(runs), 3),
                "max_s": round(max(runs), 3), "objective_s": objective, "objective_from": source, "dataset": "10000 Job + 10000 Result rows",
                "start": f"`{down}` issued", "stop": f"`{up}` exited 0 and status shows nothing pending"}
    evidence.json("rollback RTO", measured)
    assert max(runs) <= objective, f"rollback + re-apply took {max(runs):.1f} s > RTO objective {objective} s"


@pytest.mark.criterion("WIL-1.2-004/AC5")
def test_runbook_index_links_the_procedure(pytestconfig: pytest.Config, evidence: Evidence) -> None:
    """The runbook index (docs/runbooks/README.md) links the rollback runbook, and the link resolves."""
    index = pytestconfig.rootpath / INDEX
    assert index.is_file(), f"{INDEX} (the operational runbook index) is missing"
    links = re.findall(r"\[([^\]]+)\]\(([^)#\s]+)", index.read_text())
    evidence.json("runbook index links", links)
    targets = {(index.parent / target).resolve() for _, target in links}
    assert (pytestconfig.rootpath / RUNBOOK).resolve() in targets, f"{INDEX} does not link {RUNBOOK.name}"
