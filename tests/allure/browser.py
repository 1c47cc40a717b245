"""Headless Chromium for the report tests: DOM after scripts ran, and a screenshot. Isolated from the
user's profile (temp HOME/XDG dirs: Chromium writes into $HOME/.config even with --user-data-dir) and
from the network (no background fetches, no component updates)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars")


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def run(binary: str, scratch: Path, url: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    home = scratch / "home"
    for sub in ("", ".config", ".cache", ".local/share"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local/share"), "LANG": "C.UTF-8"}
    argv = [binary, *FLAGS, f"--user-data-dir={scratch / 'profile'}", "--virtual-time-budget=15000", *args, url]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def dump_dom(binary: str, scratch: Path, url: str) -> str:
    done = run(binary, scratch, url, "--dump-dom")
    if done.returncode != 0:
        raise AssertionError(f"chromium --dump-dom exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def screenshot(binary: str, scratch: Path, url: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    done = run(binary, scratch, url, f"--screenshot={target}", "--window-size=1400,1000")
    if done.returncode != 0 or not target.is_file():
        raise AssertionError(f"chromium --screenshot exited {done.returncode}: {done.stderr[-2000:]}")
