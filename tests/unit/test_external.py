"""The external provider reads the plan's variables strictly and explains what is wrong."""

from pathlib import Path

import pytest

from harness.infra import ConfigurationError
from harness.infra.external import read_env_file, stack_from_env

ROOT = Path(__file__).resolve().parents[2]
BASE = {"DATABASE_URL": "postgresql://u:pw@db:5432/app?sslmode=verify-full", "REDIS_HOST": "r"}


def test_example_env_file_parses_and_names_every_plan_variable() -> None:
    """.env.example documents the plan's variables and is readable by the provider."""
    values = read_env_file(ROOT / ".env.example")
    for key in ("DATABASE_URL", "DATABASE_POOL_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_TLS_ENABLED",
                "REDIS_TLS_CA_PATH", "REDIS_TLS_CERT_PATH", "REDIS_TLS_KEY_PATH", "MCP_SERVER_URL", "APP_VERSION",
                "PGBOUNCER_ADMIN_URL"):
        assert key in values


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DATABASE_URL": "mysql://u:p@h:1/d"}, "must be a postgresql:// URL"),
        ({"DATABASE_URL": "postgresql://u:p@h/d"}, "must name a host, a port and a database"),
        ({"DATABASE_URL": "postgresql://u:p@h:99999x/d"}, "invalid port"),
        ({"REDIS_PORT": "six"}, "must be numbers"),
        ({"REDIS_TLS_CA_PATH": "/nonexistent/ca.pem"}, "does not exist"),
        ({"REDIS_HOST": ""}, "needs REDIS_HOST"),
    ],
)
def test_bad_settings_are_refused_with_a_remedy(change: dict[str, str], message: str) -> None:
    """Malformed URLs, ports and missing files raise a ConfigurationError saying what to fix."""
    with pytest.raises(ConfigurationError, match=message) as info:
        stack_from_env({**BASE, **change})
    assert "How to fix" in str(info.value)
    assert "pw" not in str(info.value).replace("postgresql://", "")


def test_garbage_env_line_is_refused(tmp_path: Path) -> None:
    """A line that is not KEY=VALUE is an error with its line number."""
    f = tmp_path / ".env"
    f.write_text("DATABASE_URL=x\nthis is not a setting\n")
    with pytest.raises(ConfigurationError, match=r":2: not a KEY=VALUE line"):
        read_env_file(f)


def test_pool_url_falls_back_to_direct() -> None:
    """Without DATABASE_POOL_URL the plan's fallback applies (pooled = direct)."""
    stack = stack_from_env(BASE)
    assert stack.database_pool_url == stack.database_url and not stack.destructive_allowed
