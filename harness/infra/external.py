"""The external provider: servers named by the plan's environment variables (or a .env file)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .errors import ConfigurationError
from .stack import RedisTarget, Stack

REQUIRED = ("DATABASE_URL", "REDIS_HOST")
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def read_env_file(path: Path) -> dict[str, str]:
    """A small, strict .env reader: KEY=VALUE lines, # comments, optional quotes."""
    if not path.is_file():
        raise ConfigurationError(f"env file {path} does not exist", remedies=("check the path given to --env-file",))
    values: dict[str, str] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = _LINE.match(raw)
        if not match:
            raise ConfigurationError(f"{path}:{n}: not a KEY=VALUE line", remedies=("fix or comment out the line",))
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def is_configured(env: Mapping[str, str]) -> bool:
    return all(env.get(k) for k in REQUIRED)


def _check_pg_url(name: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigurationError(
            f"{name} must be a postgresql:// URL (got scheme {parts.scheme!r})",
            remedies=(f"set {name}=postgresql://user:password@host:port/dbname?sslmode=verify-full&sslrootcert=/path/ca.pem",),
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"{name} has an invalid port", remedies=("use host:port with a number",)) from exc
    if not parts.hostname or not port or not parts.path.strip("/"):
        raise ConfigurationError(
            f"{name} must name a host, a port and a database",
            checked=f"host={parts.hostname!r} port={port!r} database={parts.path.strip('/')!r}",
            remedies=(f"set {name}=postgresql://user:password@host:port/dbname?...",),
        )
    for cert in parse_qs(parts.query).get("sslrootcert", []):
        if cert != "system" and not Path(cert).is_file():
            raise ConfigurationError(f"{name}: sslrootcert {cert} does not exist", remedies=("fix the CA path",))


def stack_from_env(env: Mapping[str, str] | None = None, *, destructive_allowed: bool = False) -> Stack:
    """Describe the servers named by the environment; nothing is started."""
    env = dict(os.environ if env is None else env)
    missing = [k for k in REQUIRED if not env.get(k)]
    if missing:
        raise ConfigurationError(
            f"the external provider needs {', '.join(missing)}",
            remedies=("set them in the environment or in a .env file passed with --env-file", "see .env.example"),
        )
    _check_pg_url("DATABASE_URL", env["DATABASE_URL"])
    pool_url = env.get("DATABASE_POOL_URL") or env["DATABASE_URL"]
    _check_pg_url("DATABASE_POOL_URL", pool_url)
    for key in ("DATABASE_ADMIN_URL", "PGBOUNCER_ADMIN_URL"):
        if env.get(key):
            _check_pg_url(key, env[key])
    try:
        port = int(env.get("REDIS_PORT", "6379"))
        db = int(env.get("REDIS_DB", "0"))
    except ValueError as exc:
        raise ConfigurationError("REDIS_PORT and REDIS_DB must be numbers", remedies=("fix the values",)) from exc
    tls = env.get("REDIS_TLS_ENABLED", "false").lower() in ("1", "true", "yes")
    paths = {}
    for key in ("REDIS_TLS_CA_PATH", "REDIS_TLS_CERT_PATH", "REDIS_TLS_KEY_PATH"):
        value = env.get(key) or None
        if value and not Path(value).is_file():
            raise ConfigurationError(f"{key}={value} does not exist", remedies=(f"fix {key} or unset it",))
        paths[key] = value
    return Stack(
        provider="external",
        database_url=env["DATABASE_URL"],
        database_pool_url=pool_url,
        redis=RedisTarget(
            host=env["REDIS_HOST"], port=port, password=env.get("REDIS_PASSWORD") or None, tls=tls,
            ca_path=paths["REDIS_TLS_CA_PATH"], cert_path=paths["REDIS_TLS_CERT_PATH"],
            key_path=paths["REDIS_TLS_KEY_PATH"], db=db,
        ),
        ca_path=paths["REDIS_TLS_CA_PATH"] or _sslrootcert(env["DATABASE_URL"]),
        admin_database_url=env.get("DATABASE_ADMIN_URL") or None,
        pgbouncer_admin_url=env.get("PGBOUNCER_ADMIN_URL") or None,
        mcp_server_url=env.get("MCP_SERVER_URL") or None,
        app_version=env.get("APP_VERSION", "1.0.0"),
        destructive_allowed=destructive_allowed,
    )


def _sslrootcert(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("sslrootcert")
    return values[0] if values else None


def write_env_file(stack: Stack, path: Path) -> None:
    """Write a stack as a .env file the external provider reads back."""
    lines = [f"{k}={v}" for k, v in stack.to_env().items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
