"""The one value the suites see: where the servers are and how to reach them.

A ``Stack`` is what every provider (local processes, docker, external environment)
produces. It round-trips through JSON so the xdist controller can hand it to workers,
and through the plan's environment variables so any run can be pointed at it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit


@dataclass(frozen=True)
class RedisTarget:
    """How to reach Redis, in the plan's terms (REDIS_HOST, REDIS_PORT, ...)."""

    host: str
    port: int
    password: str | None = None
    tls: bool = True
    ca_path: str | None = None
    cert_path: str | None = None
    key_path: str | None = None
    db: int = 0

    @property
    def url(self) -> str:
        """A URL without the password (safe to print)."""
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://{self.host}:{self.port}/{self.db}"

    @property
    def mutual_tls(self) -> bool:
        return bool(self.cert_path and self.key_path)


@dataclass(frozen=True)
class Stack:
    """Endpoints of one run. Suites never learn which provider made them."""

    provider: str
    database_url: str
    database_pool_url: str
    redis: RedisTarget
    ca_path: str | None = None
    admin_database_url: str | None = None
    pgbouncer_admin_url: str | None = None
    mcp_server_url: str | None = None
    app_version: str = "1.0.0"
    #: May the harness create scratch databases, stop servers, restore backups?
    destructive_allowed: bool = False
    versions: dict[str, str] = field(default_factory=dict)

    def secrets(self) -> list[str]:
        """Every secret value in this stack, for redaction."""
        values = [self.redis.password or ""]
        for url in (self.database_url, self.database_pool_url, self.admin_database_url, self.pgbouncer_admin_url):
            if url:
                values.append(url_password(url) or "")
        return sorted({v for v in values if v}, key=len, reverse=True)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Stack:
        data: dict[str, Any] = json.loads(text)
        data["redis"] = RedisTarget(**data["redis"])
        return cls(**data)

    def to_env(self) -> dict[str, str]:
        """The plan's environment variables describing this stack."""
        env = {
            "DATABASE_URL": self.database_url,
            "DATABASE_POOL_URL": self.database_pool_url,
            "REDIS_HOST": self.redis.host,
            "REDIS_PORT": str(self.redis.port),
            "REDIS_PASSWORD": self.redis.password or "",
            "REDIS_TLS_ENABLED": "true" if self.redis.tls else "false",
            "REDIS_TLS_CA_PATH": self.redis.ca_path or "",
            "REDIS_TLS_CERT_PATH": self.redis.cert_path or "",
            "REDIS_TLS_KEY_PATH": self.redis.key_path or "",
            "REDIS_DB": str(self.redis.db),
            "APP_VERSION": self.app_version,
        }
        if self.mcp_server_url:
            env["MCP_SERVER_URL"] = self.mcp_server_url
        if self.pgbouncer_admin_url:
            env["PGBOUNCER_ADMIN_URL"] = self.pgbouncer_admin_url
        if self.admin_database_url:
            env["DATABASE_ADMIN_URL"] = self.admin_database_url
        return env

    def with_database(self, dbname: str) -> Stack:
        """The same stack with both URLs pointed at another database (worker isolation)."""
        return replace(
            self,
            database_url=url_with_dbname(self.database_url, dbname),
            database_pool_url=url_with_dbname(self.database_pool_url, dbname),
        )


def url_password(url: str) -> str | None:
    return urlsplit(url).password


def url_with_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(dbname)))


def postgres_url(
    *, user: str, password: str, host: str, port: int, dbname: str, **params: str
) -> str:
    query = "&".join(f"{k}={quote(v, safe='/')}" for k, v in params.items())
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}"
    return urlunsplit(("postgresql", netloc, "/" + dbname, query, ""))
