"""The pool's configuration from the environment (no server needed)."""

from __future__ import annotations

import pytest

from harness.db.pool import PoolConfigurationError, PoolSettings


def test_pool_url_wins_over_direct_url() -> None:
    s = PoolSettings.from_env({"DATABASE_POOL_URL": "postgresql://a@pool/db", "DATABASE_URL": "postgresql://a@pg/db"})
    assert s.url == "postgresql://a@pool/db"


def test_direct_url_is_the_fallback() -> None:
    assert PoolSettings.from_env({"DATABASE_URL": "postgresql://a@pg/db"}).url == "postgresql://a@pg/db"


def test_nothing_configured_says_what_to_set() -> None:
    with pytest.raises(PoolConfigurationError, match="DATABASE_POOL_URL"):
        PoolSettings.from_env({})


def test_defaults_are_the_sprint_requirements() -> None:
    s = PoolSettings.from_env({"DATABASE_URL": "postgresql://a@pg/db"})
    assert (s.max_size, s.connect_timeout) == (10, 20)
    kwargs = s.connect_kwargs()
    assert kwargs["connect_timeout"] == 20 and kwargs["prepare_threshold"] is None
    assert "options" not in kwargs and "application_name" not in kwargs  # PgBouncer 1.18; PGAPPNAME wins


def test_connect_timeout_has_libpq_floor() -> None:
    s = PoolSettings.from_env({"DATABASE_URL": "postgresql://a@pg/db", "DATABASE_CONNECT_TIMEOUT": "1"})
    assert s.connect_timeout == 2


@pytest.mark.parametrize("value", ["abc", "1.5"])
def test_connect_timeout_must_be_whole_seconds(value: str) -> None:
    with pytest.raises(PoolConfigurationError, match="DATABASE_CONNECT_TIMEOUT"):
        PoolSettings.from_env({"DATABASE_URL": "postgresql://x@h/db", "DATABASE_CONNECT_TIMEOUT": value})
