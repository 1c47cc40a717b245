"""``python -m harness verify-connections``: check both database URLs and Redis, print a table."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from .infra.errors import ConfigurationError
from .infra.external import read_env_file
from .redis.client import RedisSettings, create_client
from .signoff.redact import redact, register_secret


@dataclass
class Row:
    target: str
    endpoint: str
    ok: bool
    tls: str
    detail: str
    ms: float


def _timed(fn: Callable[[], tuple[str, str]]) -> tuple[bool, str, str, float]:
    start = time.perf_counter()
    try:
        tls, detail = fn()
        return True, tls, detail, (time.perf_counter() - start) * 1000
    except Exception as exc:  # noqa: BLE001 - every failure becomes a row
        return False, "-", redact(str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__), (
            time.perf_counter() - start) * 1000


def _postgres(url: str) -> Callable[[], tuple[str, str]]:
    def check() -> tuple[str, str]:
        with psycopg.connect(url, autocommit=True, prepare_threshold=None, connect_timeout=10) as conn:
            version = conn.execute("SHOW server_version").fetchone()
            port = conn.execute("SELECT inet_server_port()").fetchone()
            tls = "TLS" if conn.pgconn.ssl_in_use else "PLAINTEXT"
            via = "direct" if port and port[0] == conn.info.port else f"via pooler -> :{port[0] if port else '?'}"
        return tls, f"PostgreSQL {version[0] if version else '?'} ({via})"
    return check


def _redis(settings: RedisSettings) -> Callable[[], tuple[str, str]]:
    def check() -> tuple[str, str]:
        client = create_client(settings)
        try:
            client.ping()
            conn = client.connection_pool.get_connection()
            try:
                sock: Any = conn._sock  # noqa: SLF001
                tls = f"{sock.version()} {sock.cipher()[0]}" if sock is not None and hasattr(sock, "version") else "?"
            finally:
                client.connection_pool.release(conn)
            version = client.info("server").get("redis_version")
        finally:
            client.close()
        mtls = "mutual TLS" if settings.cert_path else "server TLS"
        return tls, f"Redis {version}, PING ok, {mtls}"
    return check


def run(env: dict[str, str]) -> list[Row]:
    missing = [k for k in ("DATABASE_URL", "REDIS_HOST") if not env.get(k)]
    if missing:
        raise ConfigurationError(f"{', '.join(missing)} not set", remedies=("export them, or pass --env-file .env",))
    register_secret(env.get("REDIS_PASSWORD"), urlsplit(env["DATABASE_URL"]).password)
    checks: list[tuple[str, str, Callable[[], tuple[str, str]]]] = [
        ("DATABASE_URL", env["DATABASE_URL"], _postgres(env["DATABASE_URL"])),
    ]
    if env.get("DATABASE_POOL_URL"):
        register_secret(urlsplit(env["DATABASE_POOL_URL"]).password)
        checks.append(("DATABASE_POOL_URL", env["DATABASE_POOL_URL"], _postgres(env["DATABASE_POOL_URL"])))
    settings = RedisSettings.from_env(env)
    checks.append(("REDIS", settings.url, _redis(settings)))
    rows = []
    for name, endpoint, check in checks:
        ok, tls, detail, ms = _timed(check)
        parts = urlsplit(endpoint)
        shown = f"{parts.scheme}://{parts.hostname}:{parts.port}{parts.path}"
        rows.append(Row(name, shown, ok, tls, detail, ms))
    return rows


def render(rows: list[Row]) -> str:
    headers = ("target", "endpoint", "result", "tls", "detail", "ms")
    cells = [(r.target, r.endpoint, "OK" if r.ok else "FAILED", r.tls, r.detail, f"{r.ms:.0f}") for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]

    def line(vals: tuple[str, ...]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(vals, widths, strict=True))

    return "\n".join([line(headers), line(tuple("-" * w for w in widths)), *(line(c) for c in cells)])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness verify-connections",
                                     description="Connect to DATABASE_URL, DATABASE_POOL_URL and Redis with the "
                                                 "configured TLS settings and print what answered.")
    parser.add_argument("--env-file", type=Path, help="read the variables from this .env file (default: environment)")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    try:
        if args.env_file:
            env.update(read_env_file(args.env_file))
        rows = run(env)
    except ConfigurationError as exc:
        print(f"error: {exc}")
        return 2
    print(render(rows))
    failed = [r.target for r in rows if not r.ok]
    print(f"\n{'all connections verified' if not failed else 'FAILED: ' + ', '.join(failed)}")
    return 1 if failed else 0
