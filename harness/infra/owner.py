"""Start a stack in the background and hand it to other processes through a private file.

The xdist controller starts the servers while the workers boot and collect (the two overlap
instead of adding up). The servers are started, and later stopped, by one dedicated thread
that stays alive until ``release()``: ``PR_SET_PDEATHSIG`` fires when the *thread* that forked
a child exits, so the starting thread must outlive the servers.

Workers read the stack, or the provisioning error, from ``handoff.json`` in a 0700 directory
that ``release()`` removes (the file carries passwords).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .errors import ConfigurationError, ProvisioningError
from .stack import Stack

#: Starts the servers; returns the stack and the function that stops them.
Starter = Callable[[], tuple[Stack, Callable[[], None]]]

_ERRORS: dict[str, type[ProvisioningError]] = {"ConfigurationError": ConfigurationError}


class StackOwner:
    """Runs ``starter`` on its own thread, publishes the outcome, stops the stack on release."""

    def __init__(self, starter: Starter, *, handoff: bool = False) -> None:
        self._starter = starter
        self._stack: Stack | None = None
        self._error: BaseException | None = None
        self._stop: Callable[[], None] | None = None
        self._ready = threading.Event()
        self._release = threading.Event()
        self.handoff_dir = Path(tempfile.mkdtemp(prefix="signoff-stack-handoff-")) if handoff else None
        self._thread = threading.Thread(target=self._own, name="signoff-stack-owner", daemon=True)
        self._thread.start()

    @property
    def handoff_path(self) -> Path | None:
        return self.handoff_dir / "handoff.json" if self.handoff_dir else None

    def _own(self) -> None:
        try:
            self._stack, self._stop = self._starter()
        except BaseException as exc:  # noqa: BLE001 - published to every reader, re-raised by result()
            self._error = exc
        self._publish()
        self._ready.set()
        self._release.wait()
        if self._stop is not None:
            self._stop()

    def _publish(self) -> None:
        path = self.handoff_path
        if path is None:
            return
        if self._stack is not None:
            payload = {"stack": json.loads(self._stack.to_json())}
        else:
            exc = self._error
            kind = type(exc).__name__ if isinstance(exc, ConfigurationError) else "ProvisioningError"
            payload = {"error": kind, "message": str(exc) or repr(exc)}
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(payload, f)
        tmp.rename(path)  # readers see the whole file or none

    def result(self) -> Stack:
        """The stack once started; re-raises the provisioning error otherwise."""
        self._ready.wait()
        if self._error is not None:
            raise self._error
        assert self._stack is not None
        return self._stack

    def release(self, timeout: float = 120.0) -> None:
        """Stop the servers (after a start still in progress finishes) and remove the hand-off file."""
        self._release.set()
        self._thread.join(timeout)
        if self.handoff_dir is not None:
            shutil.rmtree(self.handoff_dir, ignore_errors=True)


def read_handoff(path: Path, *, timeout: float = 900.0, poll: float = 0.02) -> Stack:
    """Wait for the owner's hand-off file and return its stack (or raise its error)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise ProvisioningError(
                f"the stack was not handed over within {timeout:.0f} s",
                checked=f"waited for {path} written by the controlling pytest process",
                remedies=("check the controller's output for a server that never became ready",
                          "start the servers yourself (`python -m harness stack`) and pass --env-file"))
        time.sleep(poll)
    payload = json.loads(path.read_text())
    if "stack" in payload:
        return Stack.from_json(json.dumps(payload["stack"]))
    raise _ERRORS.get(payload["error"], ProvisioningError)(payload["message"])
