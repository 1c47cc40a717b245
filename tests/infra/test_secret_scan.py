"""After a sign-off run, none of the run's real secrets appear in reports or console output."""

from __future__ import annotations

from pathlib import Path

from harness.infra import LocalStack
from harness.infra.external import write_env_file
from tests.signoff_run import run_signoff


def test_no_secret_in_reports_or_output(tmp_path: Path) -> None:
    """Passwords (database, PgBouncer admin, Redis) and private keys are nowhere in the output."""
    local = LocalStack()
    try:
        stack = local.start()
        env_file = tmp_path / "target.env"
        write_env_file(stack, env_file)
        # The full sign-off, all 16 tasks, against servers whose secrets this test knows.
        report = run_signoff(tmp_path, "suites", "-n", "2", "--env-file", str(env_file), "--allow-destructive", "-rA",
                             timeout=600)
        secrets = set(stack.secrets())
        key_lines = {line for path in (local.certs.server_key, local.certs.client_key)
                     for line in path.read_text().splitlines() if len(line) > 40}
    finally:
        local.stop()
    assert len(secrets) >= 3  # app, PgBouncer admin, superuser, Redis
    haystacks = {"console": report["_stdout"]}
    for path in (tmp_path / "report").rglob("*"):
        if path.is_file():
            haystacks[str(path)] = path.read_text(errors="replace")
    leaks = [(where, "secret") for where, text in haystacks.items() for s in secrets if s in text]
    leaks += [(where, "private key") for where, text in haystacks.items() for k in key_lines if k in text]
    assert leaks == []
    assert report["verdict"] == "signed-off", report["_stdout"][-3000:]  # the run really exercised everything
