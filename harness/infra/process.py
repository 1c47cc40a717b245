"""Executor layer: one server child process, started, probed, paused and stopped.

Servers run as children of the run. On Linux each child gets ``PR_SET_PDEATHSIG`` so
that it dies with its parent even when the run is killed outright, and runs in its
own process group so a terminal's Ctrl-C reaches the harness first (which then stops
the servers in order and removes their files).
"""

from __future__ import annotations

import ctypes
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any
from dataclasses import dataclass
from pathlib import Path

from .errors import ServerStartError

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class RunAs:
    """The unprivileged account a server runs as (PostgreSQL and PgBouncer refuse root)."""

    user: str
    uid: int
    gid: int

    @classmethod
    def for_current_process(cls, service_user: str = "postgres") -> RunAs | None:
        """``None`` when not root (run as ourselves); the service user when root."""
        if os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam(service_user)
        except KeyError as exc:
            raise ServerStartError(
                f"running as root, and there is no {service_user!r} user to run servers as",
                checked=f"pwd.getpwnam({service_user!r})",
                remedies=(
                    "install the postgresql package (it creates the user)",
                    "or run the harness as an ordinary user",
                ),
            ) from exc
        return cls(service_user, entry.pw_uid, entry.pw_gid)

    def chown(self, *paths: Path) -> None:
        """Hand files to this account."""
        for path in paths:
            os.chown(path, self.uid, self.gid)


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """All descendants of ``pid``, read from /proc (children before grandchildren)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    queue = list(children.get(pid, []))
    while queue:
        child = queue.pop(0)
        found.append(child)
        queue.extend(children.get(child, []))
    return found


def log_tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log, for error messages."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log written)"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


class ServerProcess:
    """A foreground server process with a readiness probe and a log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        run_as: RunAs | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.run_as = run_as
        self.env = env
        self.cwd = cwd
        self.stop_signal = stop_signal
        self._proc: subprocess.Popen[bytes] | None = None
        self._stop_requested = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, ready: Callable[[], bool], *, timeout: float = 15.0) -> None:
        """Spawn the process and poll ``ready`` until it answers True."""
        self.spawn()
        self.wait_ready(ready, timeout=timeout)

    def spawn(self) -> None:
        """Start the process without waiting.

        Call from a long-lived thread: the parent-death signal fires when the *thread*
        that spawned the child exits.
        """
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child from here on
        run_as = self.run_as
        try:
            self._proc = subprocess.Popen(  # noqa: S603 - argv built by the harness
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - must run in the child
                user=run_as.uid if run_as else None,
                group=run_as.gid if run_as else None,
                extra_groups=[] if run_as else None,
            )
        finally:
            log.close()

    def wait_ready(self, ready: Callable[[], bool], *, timeout: float = 15.0) -> None:
        """Poll ``ready``; raise with the log's tail if the process dies or time runs out."""
        assert self._proc is not None, "spawn() first"
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            if self._proc.poll() is not None:
                raise ServerStartError(
                    f"{self.name} exited with code {self._proc.returncode} during start-up",
                    checked=f"{self.log_path}:\n{log_tail(self.log_path)}",
                    remedies=("read the log above; the configuration is next to it",),
                )
            try:
                if ready():
                    return
            except Exception:  # noqa: BLE001 - not ready yet, any error means "retry"
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(
                    f"{self.name} did not become ready within {timeout:.0f} s",
                    checked=f"{self.log_path}:\n{log_tail(self.log_path)}",
                    remedies=("the machine may be overloaded: retry", "read the log above"),
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)

    def signal(self, sig: signal.Signals) -> None:
        if self._proc is not None and self._proc.poll() is None:
            os.kill(self._proc.pid, sig)

    def tree(self) -> list[int]:
        """The server and all its descendants. PostgreSQL backends call setsid(), so they
        leave the process group: a group signal would miss them."""
        if self._proc is None:
            return []
        return [self._proc.pid, *descendants(self._proc.pid)]

    def _signal_tree(self, sig: int) -> None:
        for pid in self.tree():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def pause(self) -> None:
        """SIGSTOP the server and every process it started: it hangs but keeps its sockets."""
        if self._proc is not None and self._proc.poll() is None:
            self._signal_tree(signal.SIGSTOP)

    def resume(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._signal_tree(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL the server and its descendants, as a crash of the machine's process would."""
        if self._proc is None:
            return
        self._signal_tree(signal.SIGKILL)
        self._proc.wait()

    def request_stop(self, sig: int | None = None) -> None:
        """Send the stop signal (or ``sig``) without waiting: stop several servers side by side."""
        if self._proc is None or self._proc.poll() is not None or self._stop_requested:
            return
        self._stop_requested = True
        try:
            self._signal_tree(signal.SIGCONT)  # a paused server cannot hear the stop request
            os.kill(self._proc.pid, sig or self.stop_signal)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 5.0, sig: int | None = None) -> None:
        """Ask the server to stop; kill it (and whatever it started) if it does not."""
        if self._proc is None:
            return
        self.request_stop(sig)
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._stop_requested = False  # a restart may follow
        self._proc.wait()  # PostgreSQL backends exit by themselves once the postmaster is gone


def run_with_grace(cmd: Sequence[str], *, timeout: float, grace: float = 30.0,
                   **popen: Any) -> tuple[int | None, str | bytes | None, str | bytes | None]:
    """``subprocess.run`` whose timeout ends the child with SIGTERM first, then SIGKILL after ``grace``.

    A sign-off stopped by SIGTERM stops its servers and removes their directory (keys and passwords
    included); ``subprocess.run`` would SIGKILL it and leak both. Returns (exit code or None when the
    timeout hit, stdout, stderr).
    """
    proc = subprocess.Popen(cmd, **popen)  # noqa: S603 - the caller's argv
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            out, err = proc.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        return None, out, err
