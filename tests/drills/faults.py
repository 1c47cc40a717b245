"""Inject a fault into a server of a disposable stack, and heal it.

A "server" is anything with ``.process`` (a ServerProcess), ``start()`` and ``stop()``:
RedisServer, PostgresServer, PgBouncerServer. Signals go to the whole process *tree*,
not just the process group: PostgreSQL's backends call setsid() and leave the
postmaster's group, so ``ServerProcess.pause()`` (killpg) stops only the postmaster and
established connections keep being served. A drill that pauses "PostgreSQL" must stop
the backends too.
"""

from __future__ import annotations

import enum
import os
import signal
import time
from pathlib import Path
from typing import Protocol

from harness.infra.process import ServerProcess


class Server(Protocol):
    process: ServerProcess | None

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Fault(str, enum.Enum):
    KILL = "kill"  # SIGKILL the tree, as a crash or OOM kill would; heal = start again
    PAUSE = "pause"  # SIGSTOP the tree: sockets stay open, nothing answers; heal = SIGCONT
    RESTART = "restart"  # orderly stop; heal = start again (same port, same data directory)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (parents first)."""
    kids = _children()
    tree = [pid]
    i = 0
    while i < len(tree):
        tree.extend(kids.get(tree[i], []))
        i += 1
    return tree


def signal_tree(pid: int, sig: signal.Signals) -> list[int]:
    """Send ``sig`` to the tree; returns the pids signalled."""
    done = []
    for p in process_tree(pid):
        try:
            os.kill(p, sig)
            done.append(p)
        except ProcessLookupError:
            pass
    return done


def _pid(server: Server) -> int:
    assert server.process is not None and server.process.pid is not None, "server not started"
    return server.process.pid


def inject(fault: Fault, server: Server) -> None:
    if fault is Fault.KILL:
        pids = process_tree(_pid(server))
        assert server.process is not None
        server.process.kill()  # SIGKILL the group and reap the leader
        for p in pids[1:]:  # backends outside the group (PostgreSQL)
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _wait_gone(pids[1:])
    elif fault is Fault.PAUSE:
        signal_tree(_pid(server), signal.SIGSTOP)
    else:
        server.stop()


def heal(fault: Fault, server: Server) -> None:
    if fault is Fault.PAUSE:
        signal_tree(_pid(server), signal.SIGCONT)
    else:
        server.start()


def _wait_gone(pids: list[int], timeout: float = 5.0) -> None:
    """PostgreSQL refuses to start while old backends still hold its shared memory."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{p}").exists() and "Z" not in _state(p) for p in pids):
            return
        time.sleep(0.02)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"
