"""The stack hand-off between the controller and xdist workers: pure logic, no servers."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from harness.infra import ConfigurationError, ProvisioningError, RedisTarget, Stack
from harness.infra.owner import StackOwner, read_handoff

STACK = Stack(provider="local", database_url="postgresql://app:pw@127.0.0.1:1/db",
              database_pool_url="postgresql://app:pw@127.0.0.1:2/db", redis=RedisTarget("127.0.0.1", 3, "rpw"))


def test_the_stack_is_handed_over_and_stopped_once_on_release() -> None:
    stopped: list[str] = []
    owner = StackOwner(lambda: (STACK, lambda: stopped.append(threading.current_thread().name)), handoff=True)
    assert owner.result() == STACK
    assert owner.handoff_path is not None and owner.handoff_dir is not None
    assert read_handoff(owner.handoff_path, timeout=5) == STACK
    assert stat.S_IMODE(owner.handoff_path.stat().st_mode) == 0o600  # it carries passwords
    owner.release()
    assert stopped == ["signoff-stack-owner"]  # stopped by the thread that started the servers
    assert not owner.handoff_dir.exists()


def test_a_configuration_error_reaches_the_workers_as_itself() -> None:
    def broken() -> tuple[Stack, object]:
        raise ConfigurationError("DATABASE_URL must be a postgresql:// URL", remedies=("set DATABASE_URL=...",))

    owner = StackOwner(broken, handoff=True)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        owner.result()
    assert owner.handoff_path is not None
    with pytest.raises(ConfigurationError, match="set DATABASE_URL"):
        read_handoff(owner.handoff_path, timeout=5)
    owner.release()


def test_other_errors_become_provisioning_errors_with_their_message() -> None:
    def crashing() -> tuple[Stack, object]:
        raise RuntimeError("initdb exploded")

    owner = StackOwner(crashing, handoff=True)  # type: ignore[arg-type]
    assert owner.handoff_path is not None
    with pytest.raises(ProvisioningError, match="initdb exploded"):
        read_handoff(owner.handoff_path, timeout=5)
    owner.release()


def test_a_missing_handoff_times_out_with_remedies(tmp_path: Path) -> None:
    with pytest.raises(ProvisioningError, match="was not handed over") as info:
        read_handoff(tmp_path / "never.json", timeout=0.05)
    assert "--env-file" in str(info.value)
