"""Where local stacks put their data: explicit choice first, then memory when there is room."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.infra import local


def test_explicit_stack_dir_wins() -> None:
    assert local.stack_base_dir({"SIGNOFF_STACK_DIR": "/srv/x", "TMPDIR": "/t"}) == Path("/srv/x")


def test_an_explicit_tmpdir_is_respected() -> None:
    assert local.stack_base_dir({"TMPDIR": "/somewhere"}) is None


def test_memory_when_writable_with_room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "MEMORY_DIR", tmp_path)
    monkeypatch.setattr(local, "_MEMORY_MIN_FREE", 1)
    assert local.stack_base_dir({}) == tmp_path


def test_no_memory_dir_or_too_small_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "MEMORY_DIR", tmp_path / "missing")
    assert local.stack_base_dir({}) is None
    monkeypatch.setattr(local, "MEMORY_DIR", tmp_path)
    monkeypatch.setattr(local, "_MEMORY_MIN_FREE", 1 << 62)
    assert local.stack_base_dir({}) is None
