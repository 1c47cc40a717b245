"""GET /api/v1/health latency, in process, reference vs the plan's shapes, interleaved.

Variants (same app, same servers, only the health checker differs):
* reference: database, Redis, MCP concurrently, each under its own 300 ms budget;
* plan sketch: ``Promise.all`` of the three checks, no budget for database/Redis, 5 s for MCP;
* sequential: the three checks one after another, 5 s for MCP (the planted defect of 008/AC5).

Two conditions: all dependencies up (goal p99 < 20 ms) and MCP /health hanging (goal
< 500 ms). Rounds interleave the variants so drift hits all alike; figures are p50/p99
over all samples plus the median of the per-round p50s. ``--quick`` shortens everything.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.infra import LocalStack
from harness.redis.client import RedisSettings
from harness.web.app import create_app
from harness.web.health import HealthChecker
from harness.web.inprocess import InProcessClient
from harness.web.server import free_port
from harness.web.settings import AppSettings


class PlanSketch(HealthChecker):
    """Promise.all with AbortSignal.timeout(5000) on MCP only."""

    async def run(self) -> dict[str, dict[str, Any]]:
        database, redis_entry, mcp = await asyncio.gather(
            self.timed(self.check_database, 3600.0), self.timed(self.check_redis, 3600.0),
            self.timed(self.check_mcp, 5.0))
        return {"database": database, "redis": self._decorate_redis(redis_entry), "mcp": mcp}


class Sequential(HealthChecker):
    async def run(self) -> dict[str, dict[str, Any]]:
        t = self.settings.check_timeout_s
        database = await self.timed(self.check_database, t)
        redis_entry = await self.timed(self.check_redis, t)
        mcp = await self.timed(self.check_mcp, 5.0)
        return {"database": database, "redis": self._decorate_redis(redis_entry), "mcp": mcp}


VARIANTS: dict[str, type[HealthChecker]] = {"reference": HealthChecker, "plan sketch": PlanSketch,
                                            "sequential": Sequential}


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))], 2)


def _measure(client: InProcessClient, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        client.get("/api/v1/health")
        out.append((time.perf_counter() - start) * 1000.0)
    return out


def _condition(settings: AppSettings, mode: str, rounds: int, per_round: dict[str, int]) -> dict[str, Any]:
    clients = {name: InProcessClient(create_app(settings, health_class=cls)) for name, cls in VARIANTS.items()}
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    round_p50: dict[str, list[float]] = {name: [] for name in VARIANTS}
    try:
        for client in clients.values():
            _measure(client, 3 if mode == "up" else 1)  # warm-up: pools, TLS sessions
        for _ in range(rounds):
            for name, client in clients.items():
                got = _measure(client, per_round[name])
                samples[name] += got
                round_p50[name].append(statistics.median(got))
    finally:
        for client in clients.values():
            client.close()
    return {name: {"n": len(s), "p50_ms": _pct(s, 0.5), "p99_ms": _pct(s, 0.99), "max_ms": round(max(s), 2),
                   "median_of_round_p50_ms": round(statistics.median(round_p50[name]), 2)}
            for name, s in samples.items()}


@contextmanager
def mcp_process(mode: str) -> Iterator[str]:
    """The MCP stand-in in its own process (as a real MCP server would be: no GIL shared with the app)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "harness.web.cli", "mcp-standin", "--port", str(port),
                             "--mode", mode], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the MCP stand-in did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str]) -> dict[str, Any]:
    quick = "--quick" in argv
    figures: dict[str, Any] = {"goals": {"all_up_p99_ms": 20, "mcp_hanging_p99_ms": 500},
                               "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    with LocalStack() as stack:
        r = stack.redis
        redis = RedisSettings(host=r.host, port=r.port, password=r.password, ca_path=r.ca_path,
                              cert_path=r.cert_path, key_path=r.key_path)
        for mode in ("up", "hang"):
            with mcp_process(mode) as mcp_url:
                settings = AppSettings(database_url=stack.database_pool_url, redis=redis, mcp_server_url=mcp_url)
                if mode == "up":
                    n = 20 if quick else 100
                    per_round = {name: n for name in VARIANTS}
                    rounds = 3 if quick else 7
                else:
                    per_round = {"reference": 5 if quick else 20, "plan sketch": 1, "sequential": 1}
                    rounds = 2 if quick else 3
                figures["all_up" if mode == "up" else "mcp_hanging"] = _condition(settings, mode, rounds, per_round)
        figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return figures


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(main(sys.argv[1:]), indent=2))
