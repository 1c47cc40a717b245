"""Shared pieces of the Redis-layer benchmarks: a private TLS Redis and an interleaved runner."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.infra.certs import make_certs
from harness.infra.local import free_port
from harness.infra.redis_server import RedisConfig, RedisServer
from harness.redis.client import RedisSettings

Op = Callable[[int], object]


@contextmanager
def private_redis() -> Iterator[tuple[RedisServer, RedisSettings]]:
    """A mutual-TLS Redis on a free loopback port, removed afterwards."""
    import secrets  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp:
        root = Path(tmp)
        certs = make_certs(root / "certs")
        password = secrets.token_urlsafe(12)
        server = RedisServer(root / "redis", certs, RedisConfig(tls_port=free_port(), password=password))
        server.start()
        try:
            yield server, RedisSettings(host="127.0.0.1", port=server.port, password=password, ca_path=str(certs.ca),
                                        cert_path=str(certs.client_cert), key_path=str(certs.client_key))
        finally:
            server.stop()


def sizes(argv: list[str], prog: str, *, quick: tuple[int, int], full: tuple[int, int]) -> tuple[int, int]:
    """(rounds, ops per round) from ``--quick``."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and operations")
    return quick if parser.parse_args(argv).quick else full


def timed(op: Op, n: int, max_s: float) -> tuple[float, list[float]]:
    """Run ``op(i)`` up to n times or max_s seconds: (ops/s, per-op latencies in ms)."""
    lat: list[float] = []
    start = time.perf_counter()
    deadline = start + max_s
    for i in range(n):
        t0 = time.perf_counter()
        op(i)
        t1 = time.perf_counter()
        lat.append((t1 - t0) * 1000)
        if t1 > deadline:
            break
    return len(lat) / (time.perf_counter() - start), lat


def interleaved(candidates: dict[str, Op], *, rounds: int, n: int, max_s: float = 5.0) -> dict[str, Any]:
    """Each round runs every candidate once, in a rotated order; medians over rounds."""
    names = list(candidates)
    rates: dict[str, list[float]] = {k: [] for k in names}
    lats: dict[str, list[float]] = {k: [] for k in names}
    for name in names:  # warm-up: connections, script loads
        timed(candidates[name], min(n, 200), max_s)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            rate, lat = timed(candidates[name], n, max_s)
            rates[name].append(rate)
            lats[name].extend(lat)
    out: dict[str, Any] = {}
    for name in names:
        ordered = sorted(lats[name])
        out[name] = {"ops_per_s_median": round(statistics.median(rates[name])),
                     "ops_per_s_rounds": [round(x) for x in rates[name]],
                     "p50_ms": round(ordered[len(ordered) // 2], 3),
                     "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3)}
    return out


def ratio(figures: dict[str, Any], a: str, b: str) -> dict[str, float]:
    """a's speed relative to b's: by median throughput, and by p50 latency (robust on a busy machine)."""
    return {"throughput": round(float(figures[a]["ops_per_s_median"]) / float(figures[b]["ops_per_s_median"]), 3),
            "p50_latency": round(float(figures[b]["p50_ms"]) / float(figures[a]["p50_ms"]), 3)}
