"""WIL-1.2-009: Redis metrics in the health answer (services.redis.metrics / latencyStatus).

Every number is compared with what the harness reads from the same Redis itself:
``used_memory``/``maxmemory`` from INFO memory, ``evicted_keys`` from INFO stats. Real
evictions, real memory pressure and real latency (SIGSTOP of a disposable Redis) are
caused on disposable servers; on an external app only the stack's Redis can be read.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
import redis

from fixtures.web import WebTarget
from harness.web.redis_metrics import GOOD_MS, SLOW_MS

HEALTH = "/api/v1/health"


def redis_entry(target: WebTarget) -> dict[str, Any]:
    response = target.client.get(HEALTH)
    body = response.json()
    entry = body["services"]["redis"]
    assert isinstance(entry, dict), f"services.redis missing: {body}"
    return entry


def metrics_of(target: WebTarget) -> dict[str, Any]:
    entry = redis_entry(target)
    assert entry["status"] == "up", f"the app's Redis is reported down: {entry}"
    metrics = entry.get("metrics")
    assert isinstance(metrics, dict), f"services.redis.metrics missing: {entry}"
    return metrics


def fill(client: redis.Redis, prefix: str, *, until: Any, batch: int = 100, max_keys: int = 20_000) -> int:
    """Write 1 KB values under ``prefix`` until ``until()`` holds (bounded in count)."""
    written = 0
    value = b"x" * 1024
    while written < max_keys and not until():
        pipe = client.pipeline(transaction=False)
        for i in range(batch):
            pipe.set(f"{prefix}{written + i}", value)
        try:
            pipe.execute()
        except redis.ResponseError:  # OOM under noeviction: memory is full, which is what we wanted
            break
        written += batch
    return written


def cleanup(client: redis.Redis, prefix: str) -> None:
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)


@pytest.mark.criterion("WIL-1.2-009/AC1")
def test_memory_percent_matches_info_memory(app_client: WebTarget, raw_redis: redis.Redis, evidence: Any) -> None:
    """memoryPercent = used_memory / maxmemory of the app's Redis; maxmemory 0 -> null and memoryLimit 'none'."""
    before = raw_redis.info("memory")
    metrics = metrics_of(app_client)
    after = raw_redis.info("memory")
    evidence.json("metrics", metrics)
    evidence.json("INFO memory (harness)", {k: before[k] for k in ("used_memory", "maxmemory", "maxmemory_policy")})
    maximum = int(before["maxmemory"])
    if maximum == 0:
        assert metrics["memoryPercent"] is None and metrics["memoryLimit"] == "none", \
            "maxmemory 0 means no limit: memoryPercent must be null with memoryLimit 'none', not 0 % or a division"
    else:
        low = min(before["used_memory"], after["used_memory"]) / maximum * 100
        high = max(before["used_memory"], after["used_memory"]) / maximum * 100
        assert low - 1 <= metrics["memoryPercent"] <= high + 1, (metrics["memoryPercent"], low, high)


@pytest.mark.criterion("WIL-1.2-009/AC1")
def test_memory_percent_with_a_memory_limit(make_app: Any, disposable_redis: Any, evidence: Any) -> None:
    """With maxmemory 64 MB the percentage is used_memory / 64 MB, within the bounds read around the call."""
    server = disposable_redis(maxmemory="64mb")
    target = make_app(redis=server.settings, what="configuring the app's Redis maxmemory")
    direct = server.server.client()
    before = direct.info("memory")["used_memory"]
    metrics = metrics_of(target)
    after = direct.info("memory")["used_memory"]
    limit = 64 * 1024 * 1024
    evidence.json("metrics (maxmemory 64mb)", metrics)
    assert metrics["memoryLimit"] == limit or metrics.get("maxMemory") == limit
    assert before / limit * 100 - 0.5 <= metrics["memoryPercent"] <= after / limit * 100 + 0.5


@pytest.mark.criterion("WIL-1.2-009/AC2")
def test_evicted_keys_rise_after_a_real_eviction(app_client: WebTarget, make_app: Any, disposable_redis: Any,
                                                 raw_redis: redis.Redis, request: pytest.FixtureRequest,
                                                 evidence: Any) -> None:
    """After writes past maxmemory under allkeys-lru, evictedKeys equals the risen INFO stats evicted_keys."""
    if app_client.external:
        request.getfixturevalue("local_only")
        direct, target = raw_redis, app_client
        memory = direct.info("memory")
        if int(memory["maxmemory"]) == 0 or memory["maxmemory_policy"] == "noeviction":
            pytest.skip("the app's Redis has no maxmemory or evicts nothing (noeviction): an eviction cannot be "
                        "caused there; run without --app-url or give the stack maxmemory + allkeys-lru")
    else:
        server = disposable_redis(maxmemory="2mb", maxmemory_policy="allkeys-lru")
        direct, target = server.server.client(), make_app(redis=server.settings)
    prefix = f"signoff:evict:{uuid.uuid4().hex}:"
    try:
        start = int(direct.info("stats")["evicted_keys"])
        first = metrics_of(target)["evictedKeys"]
        written = fill(direct, prefix, until=lambda: int(direct.info("stats")["evicted_keys"]) > start + 50)
        risen = int(direct.info("stats")["evicted_keys"])
        second = metrics_of(target)["evictedKeys"]
    finally:
        cleanup(direct, prefix)
    evidence.json("evicted_keys", {"INFO stats before": start, "app before": first, "keys written": written,
                                   "INFO stats after": risen, "app after": second})
    assert risen > start, f"no eviction happened after {written} writes (bounded); cannot judge"
    assert first == start, f"app reported evictedKeys={first!r}, INFO stats says {start}"
    assert isinstance(second, int) and second >= risen, f"app reported evictedKeys={second!r} after INFO stats {risen}"


@pytest.mark.criterion("WIL-1.2-009/AC3")
def test_latency_status_agrees_with_thresholds(app_client: WebTarget, evidence: Any) -> None:
    """The reported latencyStatus is good < 10 ms, slow < 100 ms, else timeout, for the reported latency."""
    entry = redis_entry(app_client)
    latency = entry.get("pingMs", entry["latencyMs"])
    evidence.json("redis entry", {k: entry.get(k) for k in ("status", "latencyMs", "pingMs", "latencyStatus")})
    expected = "good" if latency < GOOD_MS else "slow" if latency < SLOW_MS else "timeout"
    assert entry.get("latencyStatus") == expected, f"latency {latency} ms reported as {entry.get('latencyStatus')!r}"


@pytest.mark.criterion("WIL-1.2-009/AC3")
def test_latency_status_with_a_paused_redis(make_app: Any, disposable_redis: Any, evidence: Any) -> None:
    """Redis paused ~35 ms during the call -> slow; paused throughout -> timeout (and down), answered quickly.

    A loaded machine can add milliseconds anywhere, so each case gets up to 5 attempts; the
    pause must show in the measured latency, and the status must be the one its latency implies."""
    server = disposable_redis()
    target = make_app(redis=server.settings, what="pausing the app's Redis")
    redis_entry(target)  # warm-up: the first PING also pays for the TLS handshake

    def paused_for(seconds: float) -> dict[str, Any]:
        server.pause()
        timer = threading.Timer(seconds, server.resume)
        timer.start()
        try:
            return redis_entry(target)
        finally:
            timer.join()

    normal = next((e for e in (redis_entry(target) for _ in range(5)) if e["latencyStatus"] == "good"), None)
    slow = next((e for e in (paused_for(0.035) for _ in range(5)) if e["latencyStatus"] == "slow"), None)
    server.pause()
    try:
        stuck = redis_entry(target)
    finally:
        server.resume()
    cases = (("normal", normal), ("paused 35 ms", slow), ("paused", stuck))
    rows = [{"case": c, **{k: (e or {}).get(k) for k in ("status", "pingMs", "latencyMs", "latencyStatus")}}
            for c, e in cases]
    evidence.table("latency status", rows)
    assert normal is not None, "no PING under 10 ms reported as good in 5 calls"
    assert slow is not None, f"a 35 ms pause was never reported as slow: {rows[1]}"
    assert 30 <= slow.get("pingMs", slow["latencyMs"]) < SLOW_MS, rows[1]
    assert stuck["latencyStatus"] == "timeout" and stuck["status"] == "down", rows[2]
    assert stuck["latencyMs"] < 500, "a stuck Redis must not hold the health answer"


@pytest.mark.criterion("WIL-1.2-009/AC4")
def test_memory_warning_consistent_with_percent(app_client: WebTarget, evidence: Any) -> None:
    """memoryWarning is true exactly when memoryPercent > 80 (false when there is no limit)."""
    metrics = metrics_of(app_client)
    evidence.json("metrics", metrics)
    percent = metrics["memoryPercent"]
    assert metrics["memoryWarning"] is (percent is not None and percent > 80)


@pytest.mark.criterion("WIL-1.2-009/AC4")
def test_memory_warning_above_80_percent(make_app: Any, disposable_redis: Any, evidence: Any) -> None:
    """Filling a 4 MB Redis past 80 % sets memoryWarning; FLUSHALL clears it on the next call."""
    server = disposable_redis(maxmemory="4mb", maxmemory_policy="noeviction")
    target = make_app(redis=server.settings, what="filling the app's Redis")
    direct = server.server.client()
    idle = metrics_of(target)
    limit = 4 * 1024 * 1024
    written = fill(direct, "fill:", until=lambda: direct.info("memory")["used_memory"] > 0.85 * limit)
    full = metrics_of(target)
    direct.flushall()
    emptied = metrics_of(target)
    rows = [{"case": c, "memoryPercent": m["memoryPercent"], "memoryWarning": m["memoryWarning"]}
            for c, m in (("idle", idle), (f"after {written} x 1 KB", full), ("after FLUSHALL", emptied))]
    evidence.table("memory warning", rows)
    assert idle["memoryWarning"] is False and idle["memoryPercent"] < 80
    assert full["memoryPercent"] > 80 and full["memoryWarning"] is True
    assert emptied["memoryPercent"] < 80 and emptied["memoryWarning"] is False


@pytest.mark.criterion("WIL-1.2-009/AC5")
def test_metrics_refreshed_on_each_call(app_client: WebTarget, raw_redis: redis.Redis, evidence: Any) -> None:
    """A 512 KB scratch key shows in usedMemory on the very next call, and its deletion on the one after."""
    key = f"signoff:refresh:{uuid.uuid4().hex}"
    first = metrics_of(app_client)["usedMemory"]
    try:
        raw_redis.set(key, b"r" * 512 * 1024)
        second = metrics_of(app_client)["usedMemory"]
    finally:
        raw_redis.delete(key)
    third = metrics_of(app_client)["usedMemory"]
    evidence.json("usedMemory per call", {"before": first, "with 512 KB key": second, "after delete": third})
    assert second - first > 400 * 1024, "the write did not show in the next health call (cached metrics?)"
    assert second - third > 400 * 1024, "the deletion did not show in the next health call (cached metrics?)"


@pytest.mark.criterion("WIL-1.2-009/AC5")
def test_memory_limit_change_shows_immediately(make_app: Any, disposable_redis: Any, evidence: Any) -> None:
    """CONFIG SET maxmemory between two calls changes memoryLimit / memoryPercent at once."""
    server = disposable_redis()
    target = make_app(redis=server.settings, what="reconfiguring the app's Redis")
    direct = server.server.client()
    first = metrics_of(target)
    direct.config_set("maxmemory", str(32 * 1024 * 1024))
    second = metrics_of(target)
    direct.config_set("maxmemory", "0")
    third = metrics_of(target)
    evidence.table("memoryLimit per call", [{"call": i, "memoryLimit": m["memoryLimit"],
                                             "memoryPercent": m["memoryPercent"]}
                                            for i, m in enumerate((first, second, third), 1)])
    assert first["memoryLimit"] == "none" and second["memoryLimit"] == 32 * 1024 * 1024
    assert second["memoryPercent"] is not None and third["memoryLimit"] == "none"
