"""Resilience primitives: the circuit breaker that guards Redis."""

from .breaker import BreakerConfig, CircuitBreaker, CircuitOpenError, State, Transition, counts_as_failure

__all__ = ["BreakerConfig", "CircuitBreaker", "CircuitOpenError", "State", "Transition", "counts_as_failure"]
