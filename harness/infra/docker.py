"""The docker provider: docker-compose.yml, started through testcontainers' ``DockerCompose``.

One compose project per run (unique name, random loopback ports, fresh certificates and passwords),
so parallel runs and a developer's own ``docker compose up`` never collide. The servers, their
settings and the TLS set-up are exactly the compose file's (which is generated from the local
provider's settings: harness/infra/docker_config.py).

    stack = start_docker_stack()   # preflight, compose up --wait, versions and image digests
    ...
    stop_docker_stack()            # compose down --volumes; also registered with atexit

NOT RUN AGAINST A REAL ENGINE on the machine it was written on (there was none): the preflight,
the rendering and the compose file's validity are tested; the container path is not. See docs/docker.md.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import psycopg
import redis
from testcontainers.compose import DockerCompose  # pinned: testcontainers==4.15.0

from .docker_env import ComposeSettings
from .docker_preflight import DockerUnavailable, EngineInfo, preflight
from .errors import ServerStartError
from .local import free_port
from .stack import Stack

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = "docker-compose.yml"
SERVICES = ("postgres", "pgbouncer", "redis")  # the one-shot `certs` runs as their dependency

__all__ = ["DockerStack", "DockerUnavailable", "start_docker_stack", "stop_docker_stack"]


@dataclass
class _Compose(DockerCompose):
    """DockerCompose with an explicit project name (4.15 has no field for it) and a standalone binary."""

    project_name: str = ""
    standalone: tuple[str, ...] = ()

    @cached_property
    def compose_command_property(self) -> list[str]:
        base = super().compose_command_property
        head = list(self.standalone) if self.standalone else base[:2]
        return [*head, "-p", self.project_name, *base[2:]]

    def stop(self, down: bool = True) -> None:
        # The base class appends `services` to `down`, which would leave the one-shot `certs`
        # container, the network and the data volume behind: take the whole project down.
        cmd = [*self.compose_command_property, "down", "--volumes", "--remove-orphans"] if down else [
            *self.compose_command_property, "stop"]
        self._run_command(cmd=cmd)


@dataclass
class DockerStack:
    """Owns one compose project: its private directory (certs, env file) and its containers."""

    build: bool = True
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="signoff-docker-")))
    project: str = field(default_factory=lambda: f"signoff-{uuid.uuid4().hex[:10]}")
    engine: EngineInfo | None = None
    compose: _Compose | None = None

    def __post_init__(self) -> None:
        (self.root / "certs").mkdir(parents=True, exist_ok=True)
        self.settings = ComposeSettings(
            certs_dir=self.root / "certs", pg_port=free_port(), pgbouncer_port=free_port(), redis_port=free_port(),
        )
        self.env_file = self.root / ".env.compose"

    def start(self) -> Stack:
        self.engine = preflight()  # raises DockerUnavailable (a ProvisioningError) with remedies
        self.settings.write(self.env_file)
        cmd = self.engine.compose_command
        self.compose = _Compose(
            context=str(ROOT), compose_file_name=[COMPOSE_FILE], env_file=[str(self.env_file)],
            services=list(SERVICES), build=self.build, wait=True, project_name=self.project,
            standalone=cmd if len(cmd) == 1 else (),
        )
        try:
            self.compose.start()
        except subprocess.CalledProcessError as exc:
            logs = self._logs()
            self.stop()
            raise ServerStartError(
                f"`docker compose up --wait` failed (exit {exc.returncode}) for project {self.project}",
                checked=f"{' '.join(str(a) for a in exc.cmd[:4])} ... in {ROOT}\n{logs}",
                remedies=("read the container logs above (healthchecks go through TLS: a certificate or "
                          "password problem shows there)",
                          "try it by hand: docker compose --env-file .env.compose up --wait (docs/docker.md)",
                          "or use --provider local"),
            ) from exc
        except BaseException:
            self.stop()
            raise
        stack = self.settings.stack(provider="docker")
        versions = {"docker_engine": self.engine.server_version, "docker_compose": self.engine.compose_version}
        versions.update(self._server_versions(stack))
        versions.update(self._image_digests())
        return Stack(**{**stack.__dict__, "versions": versions})

    def _server_versions(self, stack: Stack) -> dict[str, str]:
        versions: dict[str, str] = {}
        with psycopg.connect(stack.admin_database_url or stack.database_url, autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            versions["postgres"] = str(row[0]) if row else "unknown"
        with psycopg.connect(stack.pgbouncer_admin_url or "", autocommit=True, prepare_threshold=None) as conn:
            cur = psycopg.ClientCursor(conn)
            cur.execute("SHOW VERSION")
            row = cur.fetchone()
            versions["pgbouncer"] = str(row[0]) if row else "unknown"
        r = stack.redis
        client = redis.Redis(host=r.host, port=r.port, password=r.password, ssl=True, ssl_ca_certs=r.ca_path,
                             ssl_certfile=r.cert_path, ssl_keyfile=r.key_path, socket_timeout=5)
        try:
            versions["redis"] = str(client.info("server")["redis_version"])
        finally:
            client.close()
        return versions

    def _image_digests(self) -> dict[str, str]:
        """image.<service> = repo:tag@sha256:... as the engine resolved it (for the report's environment)."""
        assert self.compose is not None and self.engine is not None
        out: dict[str, str] = {}
        try:
            for container in self.compose.get_containers(include_all=True):
                name, image_id = _docker("inspect", "--format", "{{.Config.Image}}|{{.Image}}",
                                         container.ID or "").partition("|")[::2]
                digests = _docker("image", "inspect", "--format", "{{json .RepoDigests}}", image_id)
                repo = json.loads(digests) if digests.startswith("[") else []
                out[f"image.{container.Service}"] = f"{name} ({repo[0] if repo else 'built locally: ' + image_id})"
        except Exception as exc:  # noqa: BLE001 - the fingerprint is best effort, the stack is up
            out["image.error"] = f"could not read image digests: {exc}"
        return out

    def _logs(self) -> str:
        if self.compose is None:
            return ""
        try:
            stdout, stderr = self.compose.get_logs()
        except Exception as exc:  # noqa: BLE001 - best effort while reporting another failure
            return f"(no logs: {exc})"
        return "\n".join((stdout + stderr).splitlines()[-60:])

    def stop(self) -> None:
        """compose down --volumes (removes containers, network and the data volume), then the private dir."""
        if self.compose is not None:
            try:
                self.compose.stop(down=True)
            except Exception:  # noqa: BLE001 - keep cleaning up
                pass
            self.compose = None
        shutil.rmtree(self.root, ignore_errors=True)


def _docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=15, check=False)
    return done.stdout.strip()


_active: list[DockerStack] = []


def start_docker_stack(*, build: bool = True) -> Stack:
    """Start a fresh compose project and describe it; ``stop_docker_stack()`` (or process exit) removes it."""
    handle = DockerStack(build=build)
    _active.append(handle)
    try:
        return handle.start()
    except BaseException:
        _active.remove(handle)
        handle.stop()
        raise


def stop_docker_stack() -> None:
    """Stop every stack this process started (idempotent)."""
    while _active:
        _active.pop().stop()


atexit.register(stop_docker_stack)
