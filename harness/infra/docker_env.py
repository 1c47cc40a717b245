"""The env file of the compose stack: compose's variables and the plan's variables, in one file.

One file serves both sides: ``docker compose --env-file F up --wait`` reads the passwords and ports,
``pytest --env-file F`` reads DATABASE_URL, REDIS_* ... (compose ignores what it does not use, the
harness ignores the compose-only names). Writing both from one set of values keeps them in step.

    python -m harness.infra.docker_env .env.compose   # fresh random passwords, default ports
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .local import APP_DB, APP_USER
from .pgbouncer import ADMIN_USER
from .stack import RedisTarget, Stack, postgres_url

DEFAULT_PORTS = {"postgres": 55432, "pgbouncer": 56432, "redis": 56380}


def _password() -> str:
    # URL-safe alphabet: fits a URL, a PgBouncer auth file and redis.conf without quoting.
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class ComposeSettings:
    """Everything that differs between two compose stacks (the rest is docker-compose.yml)."""

    certs_dir: Path
    pg_port: int = DEFAULT_PORTS["postgres"]
    pgbouncer_port: int = DEFAULT_PORTS["pgbouncer"]
    redis_port: int = DEFAULT_PORTS["redis"]
    postgres_password: str = field(default_factory=_password)
    app_password: str = field(default_factory=_password)
    pgbouncer_admin_password: str = field(default_factory=_password)
    redis_password: str = field(default_factory=_password)
    redis_tls_auth_clients: str = "yes"
    statement_timeout: str = "60s"
    app_version: str = "1.0.0"

    def compose_env(self) -> dict[str, str]:
        """The variables docker-compose.yml interpolates."""
        return {
            "SIGNOFF_CERTS_DIR": str(self.certs_dir),
            "SIGNOFF_PG_PORT": str(self.pg_port),
            "SIGNOFF_PGBOUNCER_PORT": str(self.pgbouncer_port),
            "SIGNOFF_REDIS_PORT": str(self.redis_port),
            "POSTGRES_PASSWORD": self.postgres_password,
            "APP_DB_PASSWORD": self.app_password,
            "PGBOUNCER_ADMIN_PASSWORD": self.pgbouncer_admin_password,
            "REDIS_PASSWORD": self.redis_password,
            "REDIS_TLS_AUTH_CLIENTS": self.redis_tls_auth_clients,
            "APP_STATEMENT_TIMEOUT": self.statement_timeout,
        }

    def stack(self, *, provider: str = "docker", destructive_allowed: bool = True) -> Stack:
        """How the harness reaches the published ports (what a running stack looks like from the host)."""
        ca = str(self.certs_dir / "ca.pem")
        tls = {"sslmode": "verify-full", "sslrootcert": ca}
        mutual = self.redis_tls_auth_clients != "no"
        return Stack(
            provider=provider,
            database_url=postgres_url(user=APP_USER, password=self.app_password, host="127.0.0.1",
                                      port=self.pg_port, dbname=APP_DB, **tls),
            database_pool_url=postgres_url(user=APP_USER, password=self.app_password, host="127.0.0.1",
                                           port=self.pgbouncer_port, dbname=APP_DB, **tls),
            admin_database_url=postgres_url(user="postgres", password=self.postgres_password, host="127.0.0.1",
                                            port=self.pg_port, dbname="postgres", **tls),
            pgbouncer_admin_url=postgres_url(user=ADMIN_USER, password=self.pgbouncer_admin_password,
                                             host="127.0.0.1", port=self.pgbouncer_port, dbname="pgbouncer", **tls),
            redis=RedisTarget(
                host="127.0.0.1", port=self.redis_port, password=self.redis_password, tls=True, ca_path=ca,
                cert_path=str(self.certs_dir / "client.crt") if mutual else None,
                key_path=str(self.certs_dir / "client.key") if mutual else None,
            ),
            ca_path=ca,
            app_version=self.app_version,
            destructive_allowed=destructive_allowed,
        )

    def env_file_text(self) -> str:
        lines = ["# compose stack: written by `python -m harness.infra.docker_env` (secrets: keep this file private)",
                 "# -- read by docker compose --"]
        lines += [f"{k}={v}" for k, v in self.compose_env().items()]
        lines.append("# -- read by the harness (pytest --env-file): the same values, as the plan's variables --")
        compose = self.compose_env()
        lines += [f"{k}={v}" for k, v in self.stack(provider="external").to_env().items() if compose.get(k) != v]
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> None:
        path.write_text(self.env_file_text(), encoding="utf-8")
        path.chmod(0o600)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m harness.infra.docker_env PATH   (e.g. .env.compose)", file=sys.stderr)
        return 2
    target = Path(argv[0])
    if target.exists():
        print(f"{target} exists; remove it first (its passwords may be in use by a running stack)", file=sys.stderr)
        return 1
    certs = (Path(__file__).resolve().parents[2] / "docker" / "certs").resolve()
    ComposeSettings(certs_dir=certs).write(target)
    print(f"wrote {target} (certificates: {certs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
