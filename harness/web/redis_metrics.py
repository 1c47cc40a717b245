"""Redis metrics of the health answer (WIL-1.2-009), read fresh on every call.

* ``used_memory``, ``maxmemory`` and ``maxmemory_policy`` come from ``INFO memory``;
  ``evicted_keys`` from ``INFO stats`` (the plan reads it from INFO memory, where it
  never is). One ``INFO memory stats`` round trip fetches both sections.
* ``maxmemory`` 0 means "no limit": the percentage is then ``None`` and
  ``memoryLimit`` is ``"none"`` (the plan's ``|| Infinity`` would report 0 %).
* Latency is the PING round trip: good < 10 ms, slow < 100 ms, otherwise timeout.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis

GOOD_MS = 10.0
SLOW_MS = 100.0
MEMORY_WARNING_PERCENT = 80.0


def classify_latency(ms: float | None) -> str:
    """``good`` below 10 ms, ``slow`` below 100 ms, else (or no answer) ``timeout``."""
    if ms is None or ms >= SLOW_MS:
        return "timeout"
    return "good" if ms < GOOD_MS else "slow"


def memory_metrics(info: Mapping[str, Any]) -> dict[str, Any]:
    """The metrics block from a merged INFO memory + INFO stats mapping."""
    used = int(info.get("used_memory", 0))
    maximum = int(info.get("maxmemory", 0))
    percent = round(used / maximum * 100, 2) if maximum > 0 else None
    evicted = info.get("evicted_keys")
    return {
        "memoryPercent": percent,
        "memoryLimit": maximum if maximum > 0 else "none",
        "usedMemory": used,
        "maxMemory": maximum,
        "maxmemoryPolicy": info.get("maxmemory_policy"),
        "evictedKeys": int(evicted) if evicted is not None else None,
        "memoryWarning": percent is not None and percent > MEMORY_WARNING_PERCENT,
    }


async def read_info(client: aioredis.Redis) -> dict[str, Any]:
    """``INFO memory`` and ``INFO stats`` in one round trip (Redis >= 7 takes several sections)."""
    info: dict[str, Any] = await client.info("memory", "stats")
    return info


async def ping_ms(client: aioredis.Redis) -> float:
    start = time.perf_counter()
    await client.ping()
    return (time.perf_counter() - start) * 1000.0
