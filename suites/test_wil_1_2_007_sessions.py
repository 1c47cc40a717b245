"""WIL-1.2-007 Session Management with Circuit Breaker (the store; AC5/AC6 over HTTP: web suites).

The store under test comes from ``--impl session_store=module:attr`` (default: the
reference harness.redis.session:SessionStore); see harness/redis/protocols.py.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from fixtures.redislayer import CommandLog, ConnectionCounter, delete_prefix, make_breaker, new_prefix
from harness.redis.client import create_client
from harness.resilience import State

DAY = 86_400


def keys_for(client: Any, prefix: str, session_id: str) -> list[str]:
    return [k.decode() for k in client.scan_iter(match=prefix + "*", count=1000) if session_id in k.decode()]


def is_canonical_uuid4(value: str) -> bool:
    try:
        parsed = uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return parsed.version == 4 and str(parsed) == value


@pytest.mark.criterion("WIL-1.2-007/AC1")
def test_session_ids_are_unique_canonical_uuid4(session_store: Any, evidence: Any) -> None:
    """500 creates give 500 distinct ids, each a canonical (lowercase, hyphenated) UUID version 4."""
    store = session_store()
    before = time.time()
    sessions = [store.create() for _ in range(500)]
    ids = [s.id for s in sessions]
    not_uuid4 = [i for i in ids if not is_canonical_uuid4(i)]
    evidence.json("sample ids", {"first": ids[:3], "distinct": len(set(ids)), "created": len(ids)})
    assert not not_uuid4, f"ids that are not canonical UUID4 strings: {not_uuid4[:5]}"
    assert len(set(ids)) == len(ids), f"{len(ids) - len(set(ids))} duplicate ids among {len(ids)} creates"
    assert all(before - 5 <= s.created_at <= time.time() + 5 for s in sessions), "created_at is not epoch seconds now"


@pytest.mark.criterion("WIL-1.2-007/AC2")
def test_session_key_has_24h_ttl_refreshed_on_get(session_store: Any, raw_redis: Any, evidence: Any) -> None:
    """After create the key has TTL ~86400 s; lowered by hand, a get() brings it back to ~86400 s."""
    prefix = new_prefix("session")
    store = session_store(prefix=prefix)  # default ttl: the plan's 24 h
    session = store.create()
    keys = keys_for(raw_redis, prefix, session.id)
    assert len(keys) == 1, f"expected one Redis key under {prefix!r} holding session {session.id}, found {keys}"
    ttl_created = raw_redis.ttl(keys[0])
    raw_redis.expire(keys[0], 100)
    lowered = raw_redis.ttl(keys[0])
    got = store.get(session.id)
    ttl_after_get = raw_redis.ttl(keys[0])
    evidence.json("TTLs (s)", {"key": keys[0], "after_create": ttl_created, "lowered_to": lowered,
                               "after_get": ttl_after_get})
    assert DAY - 5 <= ttl_created <= DAY, f"TTL after create is {ttl_created} s, expected 86400 (24 h)"
    assert got is not None and got.id == session.id, "get() did not return the session just created"
    assert DAY - 5 <= ttl_after_get <= DAY, f"get() did not refresh the TTL: {ttl_after_get} s (was set to 100)"


@pytest.mark.criterion("WIL-1.2-007/AC3")
def test_retrieval_goes_through_the_breaker(session_store: Any, disposable_redis: Any, evidence: Any) -> None:
    """Redis killed: failed gets open the breaker; after that gets never reach the Redis port and return at once."""
    server = disposable_redis()
    settings = server.settings
    client = create_client(type(settings)(**{**settings.__dict__, "connect_timeout": 1.0, "command_timeout": 1.0}))
    breaker = make_breaker(failure_threshold=3, window_s=60, recovery_timeout_s=120)
    store = session_store(client=client, breaker=breaker)
    session = store.create()
    server.kill()
    counter = ConnectionCounter(server.server.port)
    rows: list[dict[str, Any]] = []
    try:
        opened_at = None
        for i in range(12):
            attempts_before = counter.count
            started = time.perf_counter()
            try:
                store.get(session.id)
                outcome = "returned"
            except Exception as exc:  # noqa: BLE001 - recorded: the criterion is about reaching Redis
                outcome = type(exc).__name__
            elapsed_ms = (time.perf_counter() - started) * 1000
            time.sleep(0.02)  # let the counter thread see a late connection
            rows.append({"get": i + 1, "state": breaker.state.value, "new_connections": counter.count - attempts_before,
                         "ms": round(elapsed_ms, 2), "outcome": outcome})
            if opened_at is None and breaker.state is State.OPEN:
                opened_at = i
    finally:
        counter.close()
        client.close()
    evidence.table("gets with Redis down", rows)
    assert opened_at is not None, "the breaker never opened: session retrieval does not go through the breaker"
    after = rows[opened_at + 1:]
    leaked = [r for r in after if r["new_connections"]]
    slow = [r for r in after if r["ms"] > 50]
    assert len(after) >= 5
    assert not leaked, f"gets reached Redis while the breaker was OPEN: {leaked}"
    assert not slow, f"rejected gets were not immediate (> 50 ms): {slow}"


@pytest.mark.criterion("WIL-1.2-007/AC4")
def test_fallback_in_memory_then_written_back(session_store: Any, disposable_redis: Any, evidence: Any) -> None:
    """Redis killed: create+get work from memory and the store says degraded; Redis back (same port):
    the sessions created meanwhile are written back (keys exist with a TTL) and the store is healthy."""
    server = disposable_redis()
    settings = server.settings
    client = create_client(type(settings)(**{**settings.__dict__, "connect_timeout": 1.0, "command_timeout": 1.0}))
    breaker = make_breaker(failure_threshold=3, window_s=60, recovery_timeout_s=0.3)
    prefix = new_prefix("session")
    store = session_store(client=client, breaker=breaker, prefix=prefix)
    try:
        before = store.create()
        server.kill()
        during = [store.create() for _ in range(5)]
        read_back = [store.get(s.id) for s in during]
        degraded = (store.degraded, dict(store.metrics()))
        server.restart()
        time.sleep(0.4)  # the breaker's recovery timeout
        deadline = time.monotonic() + 5
        raw = server.server.client()
        found: dict[str, list[str]] = {}
        while time.monotonic() < deadline:
            store.sync_pending()
            found = {s.id: keys_for(raw, prefix, s.id) for s in during}
            if all(found.values()):
                break
            time.sleep(0.2)
        ttls = {sid: raw.ttl(keys[0]) for sid, keys in found.items() if keys}
        after = (store.degraded, dict(store.metrics()), [store.get(s.id) for s in during])
        raw.close()
    finally:
        client.close()
    evidence.json("outage", {"degraded_during": degraded[0], "metrics_during": degraded[1],
                             "keys_after_restart": found, "ttls": ttls, "degraded_after": after[0],
                             "metrics_after": after[1], "created_before_outage": before.id})
    missing = [s.id for s, got in zip(during, read_back, strict=True) if got is None or got.id != s.id]
    assert not missing, f"sessions created during the outage could not be read back from memory: {missing}"
    assert degraded[0] and degraded[1].get("degraded"), "store did not report degraded while Redis was down"
    lost = [sid for sid, keys in found.items() if not keys]
    assert not lost, f"sessions created during the outage were not written back to Redis: {lost}"
    assert all(0 < t <= DAY for t in ttls.values()), f"written-back sessions lack a 24 h TTL: {ttls}"
    assert not after[0], f"store still degraded after Redis returned and sync ran: {after[1]}"
    assert all(g is not None for g in after[2]), "written-back sessions are not readable"


HOSTILE_IDS = ["../x", "*", "a" * 5000, "session:*", "", " ", "\r\nFLUSHALL\r\n", str(uuid.UUID(int=0)),
               str(uuid.uuid1()), str(uuid.uuid5(uuid.NAMESPACE_DNS, "x")), str(uuid.uuid4()).upper(), "{" + str(uuid.uuid4()) + "}", uuid.uuid4().hex,
               str(uuid.uuid4()) + "\n", " " + str(uuid.uuid4()), str(uuid.uuid4()) + ":x", "urn:uuid:" + str(uuid.uuid4())]


@pytest.mark.criterion("WIL-1.2-007/AC5")
def test_malformed_ids_never_reach_redis(session_store: Any, disposable_redis: Any, evidence: Any) -> None:
    """Store-level part of AC5: malformed/hostile ids (17) are refused before Redis (MONITOR shows no command);
    a well-formed id the server never issued is unknown (None) and creates nothing."""
    server = disposable_redis()
    client = create_client(server.settings)
    prefix = new_prefix("session")
    store = session_store(client=client, prefix=prefix)
    refused: list[dict[str, str]] = []
    log = CommandLog(server.settings)
    try:
        for bad in HOSTILE_IDS:
            try:
                outcome = "None" if store.get(bad) is None else "RETURNED A SESSION"
            except ValueError as exc:
                outcome = type(exc).__name__
            refused.append({"id": repr(bad[:60]), "outcome": outcome})
    finally:
        hostile_commands = log.stop()
    forged = str(uuid.uuid4())
    control = CommandLog(server.settings)
    try:
        forged_result = store.get(forged)
    finally:
        control_commands = control.stop()
    raw = server.server.client()
    leftover = delete_prefix(raw, prefix)
    raw.close()
    client.close()
    touched = [c[:200] for c in hostile_commands if prefix in c or "FLUSHALL" in c]
    evidence.table("hostile ids", refused)
    evidence.json("MONITOR", {"commands_during_hostile_gets": [c[:200] for c in hostile_commands],
                              "control_get_commands": [c[:200] for c in control_commands if forged in c]})
    assert all(r["outcome"] != "RETURNED A SESSION" for r in refused), f"a hostile id returned a session: {refused}"
    assert any(forged in c for c in control_commands), "MONITOR saw nothing for a valid id: the check is blind"
    assert not touched, f"malformed ids reached Redis: {touched}"
    assert forged_result is None, "an id the server never issued was accepted"
    assert leftover == 0, f"gets created {leftover} key(s)"
