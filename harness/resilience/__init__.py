"""Resilience: the Redis circuit breaker (reference implementation of the ``breaker`` role)."""

from .breaker import BreakerConfig, CircuitBreaker, CircuitOpenError, State, Transition, counts_as_failure
from .clock import ManualClock
from .guarded import FALLBACKS, GuardedRedis
from .model import BreakerModel
from .protocol import Breaker, BreakerFactory

__all__ = [
    "FALLBACKS", "Breaker", "BreakerConfig", "BreakerModel", "BreakerFactory", "CircuitBreaker", "CircuitOpenError",
    "GuardedRedis", "ManualClock", "State", "Transition", "counts_as_failure",
]
