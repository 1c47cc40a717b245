"""Planted defects for WIL-1.2-001 and WIL-1.2-005: each fails exactly the criteria it violates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

from harness.infra import LocalStack, LocalStackOptions
from harness.infra.external import write_env_file
from tests.signoff_run import run_signoff, with_status

SUITE_001 = "suites/test_wil_1_2_001_database_url_ssl.py"
SUITE_005 = "suites/test_wil_1_2_005_redis_tls.py"
ALL = {f"AC{k}" for k in range(1, 7)}


@pytest.fixture
def defective_env(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Start a local stack with one planted defect; return a .env file describing it."""
    stacks: list[LocalStack] = []

    def make(edit: Callable[[dict[str, str]], None] | None = None, **options: object) -> Path:
        local = LocalStack(LocalStackOptions(**options))  # type: ignore[arg-type]
        stacks.append(local)
        stack = local.start()
        env_file = tmp_path / "defect.env"
        write_env_file(stack, env_file)
        if edit:
            values = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
            edit(values)
            env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        return env_file

    yield make
    for local in stacks:
        local.stop()


def drop_rootcert_require_only(values: dict[str, str]) -> None:
    for key in ("DATABASE_URL", "DATABASE_POOL_URL"):
        parts = urlsplit(values[key])
        query = {k: v[-1] for k, v in parse_qs(parts.query).items() if k != "sslrootcert"}
        query["sslmode"] = "require"
        values[key] = urlunsplit(parts._replace(query=urlencode(query)))


def test_reference_stack_signs_off_001_and_005_through_env_file(tmp_path: Path, defective_env) -> None:
    """Control: the correct stack, seen as an external environment, passes every criterion."""
    report = run_signoff(tmp_path, SUITE_001, SUITE_005, "--env-file", str(defective_env()))
    assert with_status(report, "WIL-1.2-001", "passed") == ALL - {"AC6"}
    assert with_status(report, "WIL-1.2-005", "passed") == ALL


@pytest.mark.parametrize(
    ("options", "edit", "failed"),
    [
        pytest.param({"pg_allow_plaintext": True}, None, {"AC5"}, id="postgres-accepts-plaintext"),
        pytest.param({"pg_allow_plaintext": True, "pgbouncer_server_tls": "disable"}, None, {"AC5"},
                     id="pgbouncer-plaintext-to-server"),
        pytest.param({"pgbouncer_client_tls": False}, None, {"AC1", "AC2", "AC5"}, id="pgbouncer-without-client-tls"),
        pytest.param({}, drop_rootcert_require_only, {"AC2"}, id="no-root-certificate"),
    ],
)
def test_001_defects(tmp_path: Path, defective_env, options: dict, edit, failed: set[str]) -> None:
    """Each stack defect fails exactly its WIL-1.2-001 criteria; the rest still pass."""
    report = run_signoff(tmp_path, SUITE_001, "--env-file", str(defective_env(edit, **options)))
    assert with_status(report, "WIL-1.2-001", "failed") == failed, report["_stdout"][-3000:]
    assert with_status(report, "WIL-1.2-001", "passed") == (ALL - {"AC6"}) - failed


@pytest.mark.parametrize(
    ("impl", "failed"),
    [
        pytest.param("tests.defects.naive_redis:unverified_client", {"AC2"}, id="no-certificate-verification"),
        pytest.param("tests.defects.naive_redis:stock_client", {"AC4"}, id="handshake-bounded-by-command-timeout"),
        pytest.param("tests.defects.naive_redis:plaintext_client", {"AC1", "AC2", "AC3", "AC4", "AC5", "AC6"},
                     id="client-without-tls"),
    ],
)
def test_005_client_defects(tmp_path: Path, impl: str, failed: set[str]) -> None:
    """Each defective client factory fails exactly the WIL-1.2-005 criteria it violates.

    A factory without TLS cannot talk to a TLS-only server at all, so it fails every
    criterion that needs a connection; its defaults (5 s / 10 s) are never reached.
    """
    report = run_signoff(tmp_path, SUITE_005, "--impl", f"redis_client={impl}")
    assert with_status(report, "WIL-1.2-005", "failed") == failed, report["_stdout"][-3000:]
    assert with_status(report, "WIL-1.2-005", "passed") == ALL - failed


@pytest.mark.parametrize(
    ("options", "failed"),
    [
        pytest.param({"redis_plaintext_port": True}, {"AC1"}, id="redis-plaintext-port-open"),
        pytest.param({"redis_mutual_tls": False}, {"AC3"}, id="client-cert-not-required"),
    ],
)
def test_005_server_defects(tmp_path: Path, defective_env, options: dict, failed: set[str]) -> None:
    """Each Redis server defect fails exactly its WIL-1.2-005 criterion."""
    report = run_signoff(tmp_path, SUITE_005, "--env-file", str(defective_env(**options)))
    assert with_status(report, "WIL-1.2-005", "failed") == failed, report["_stdout"][-3000:]
    assert with_status(report, "WIL-1.2-005", "passed") == ALL - failed
