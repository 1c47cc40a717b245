"""Limiter decisions per second on one TLS connection, side by side (interleaved, medians).

* ours: SlidingWindowLimiter.check (one EVALSHA through the breaker, a full Decision)
* floor: a raw redis-py EVALSHA loop of a trivial script (``return 1``) -- goal ours >= 0.9x
* limits: the ``limits`` package's MovingWindowRateLimiter.hit on the same Redis -- goal >= 1.2x;
  ``limits+stats`` adds get_window_stats, which a middleware needs for the headers
Plus Redis memory per key at the limit (MEMORY USAGE).
"""

from __future__ import annotations

from typing import Any

from limits import RateLimitItemPerMinute
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from harness.redis.client import RedisSettings, create_client
from harness.redis.limiter import SlidingWindowLimiter
from harness.redis.protocols import Limit
from harness.resilience import CircuitBreaker

from ._redislayer import interleaved, private_redis, ratio, sizes

SESSIONS = 1000  # the workload cycles over 1000 sessions, limit 10/min: mostly admits, then denials


def limits_storage(s: RedisSettings) -> RedisStorage:
    assert s.ca_path and s.cert_path and s.key_path, "the bench Redis is mutual TLS"
    return RedisStorage(f"rediss://:{s.password}@{s.host}:{s.port}/0", ssl_ca_certs=s.ca_path,
                        ssl_certfile=s.cert_path, ssl_keyfile=s.key_path, ssl_cert_reqs="required")


def main(argv: list[str]) -> dict[str, Any]:
    rounds, n = sizes(argv, "bench limiter", quick=(3, 1000), full=(7, 4000))
    with private_redis() as (server, settings):
        client = create_client(settings)
        ours = SlidingWindowLimiter(client, CircuitBreaker(), default=Limit(10, 60.0))
        raw = create_client(settings)
        trivial = raw.script_load("return 1")
        storage = limits_storage(settings)
        moving = MovingWindowRateLimiter(storage)
        item = RateLimitItemPerMinute(10)
        sessions = [f"s{i:04d}" for i in range(SESSIONS)]

        def limits_with_stats(i: int) -> object:
            moving.hit(item, sessions[i % SESSIONS], "/api/v1/process")
            return moving.get_window_stats(item, sessions[i % SESSIONS], "/api/v1/process")

        figures = interleaved({
            "ours": lambda i: ours.check(sessions[i % SESSIONS], "/api/v1/process"),
            "raw_evalsha_trivial": lambda i: raw.evalsha(trivial, 0),
            "limits_moving_window": lambda i: moving.hit(item, sessions[i % SESSIONS], "/api/v1/process"),
            "limits_moving_window+stats": limits_with_stats,
        }, rounds=rounds, n=n)
        probe = server.client()
        for _ in range(12):
            ours.check("memory-probe", "/api/v1/process")
            moving.hit(item, "memory-probe", "/api/v1/process")
        ours_key = ours.key("memory-probe", "/api/v1/process")
        limits_key = next(k for k in probe.scan_iter(match="LIMITS*memory-probe*"))
        memory = {"ours_zset_bytes_at_limit_10": probe.memory_usage(ours_key),
                  "limits_list_bytes_at_limit_10": probe.memory_usage(limits_key),
                  "ours_key_pttl_ms": probe.pttl(ours_key)}
        probe.close()
        client.close()
        raw.close()
    return {
        "workload": f"{SESSIONS} sessions x 1 route, limit 10/60 s, one TLS connection, {rounds} rounds x {n} ops",
        "candidates": figures,
        "ratio_ours_vs_raw_evalsha": ratio(figures, "ours", "raw_evalsha_trivial"),
        "ratio_ours_vs_limits": ratio(figures, "ours", "limits_moving_window"),
        "ratio_ours_vs_limits_with_stats": ratio(figures, "ours", "limits_moving_window+stats"),
        "goals": {"vs_raw_evalsha": 0.9, "vs_limits": 1.2},
        "memory": memory,
    }
