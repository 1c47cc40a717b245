"""Session create+get per second on one TLS connection vs the raw commands (SET EX + GETEX).

Goal: the store (breaker, id validation, JSON, fallback bookkeeping) >= 0.8x raw redis-py.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from harness.redis.client import create_client
from harness.redis.session import SessionStore
from harness.resilience import CircuitBreaker

from ._redislayer import interleaved, private_redis, ratio, sizes


def main(argv: list[str]) -> dict[str, Any]:
    rounds, n = sizes(argv, "bench session", quick=(3, 500), full=(7, 2000))
    with private_redis() as (server, settings):
        client = create_client(settings)
        store = SessionStore(client, CircuitBreaker(), prefix="bench:session:")
        raw = create_client(settings)

        def ours(i: int) -> object:
            return store.get(store.create().id)

        def raw_commands(i: int) -> object:
            sid = str(uuid.uuid4())
            now = time.time()
            raw.set("bench:raw:" + sid, json.dumps({"id": sid, "created_at": now, "last_accessed_at": now}), ex=86400)
            return raw.getex("bench:raw:" + sid, ex=86400)

        figures = interleaved({"ours_create_get": ours, "raw_set_getex": raw_commands}, rounds=rounds, n=n)
        probe = server.client()
        sample = next(probe.scan_iter(match="bench:session:*"))
        memory = {"bytes_per_session_key": probe.memory_usage(sample), "ttl_s": probe.ttl(sample)}
        probe.close()
        client.close()
        raw.close()
    return {
        "workload": f"create then get, one TLS connection, {rounds} rounds x {n} pairs",
        "candidates": figures,
        "ratio_ours_vs_raw": ratio(figures, "ours_create_get", "raw_set_getex"),
        "goal": 0.8,
        "memory": memory,
    }
