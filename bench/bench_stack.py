"""Stack cold start: the harness's LocalStack against a bare script with the same TLS settings,
both in the directory LocalStack picks (memory when /dev/shm has room), and LocalStack on disk.

Interleaved A/B/C rounds, medians; the goal is harness/bare <= 1.2.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from harness.infra import LocalStack
from harness.infra.certs import make_certs
from harness.infra.local import stack_base_dir

HERE = Path(__file__).parent


def bare_start() -> float:
    root = Path(tempfile.mkdtemp(prefix="bench-bare-", dir=stack_base_dir()))
    root.chmod(0o755)
    try:
        certs = make_certs(root / "certs")
        (root / "certs").chmod(0o755)
        t0 = time.perf_counter()
        proc = subprocess.Popen(["bash", str(HERE / "bare_stack.sh"), str(root / "s"), str(root / "certs")],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        elapsed = time.perf_counter() - t0
        assert line.strip() == "ready", f"bare stack did not come up: {line!r}"
        assert certs.ca.exists()
        proc.communicate(timeout=30)
        return elapsed
    finally:
        shutil.rmtree(root, ignore_errors=True)


def harness_start(base_dir: Path | None = None) -> tuple[float, float]:
    t0 = time.perf_counter()
    local = LocalStack(base_dir=base_dir)
    local.start()
    up = time.perf_counter() - t0
    t1 = time.perf_counter()
    local.stop()
    return up, time.perf_counter() - t1


def main(argv: list[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="python -m bench stack")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else 7
    bare, ours, down, disk = [], [], [], []
    for _ in range(rounds):  # interleaved: A, B, C, A, B, C ...
        bare.append(bare_start())
        up, stop = harness_start()
        ours.append(up)
        down.append(stop)
        disk.append(harness_start(Path(tempfile.gettempdir()))[0])
    return {
        "stack_dir": str(stack_base_dir() or tempfile.gettempdir()),
        "harness_start_on_disk_median_s": round(statistics.median(disk), 3),
        "ratio_memory_over_disk": round(statistics.median(ours) / statistics.median(disk), 2),
        "rounds": rounds,
        "bare_start_median_s": round(statistics.median(bare), 3),
        "harness_start_median_s": round(statistics.median(ours), 3),
        "harness_stop_median_s": round(statistics.median(down), 3),
        "ratio_harness_over_bare": round(statistics.median(ours) / statistics.median(bare), 2),
        "goal": "ratio <= 1.2",
    }
