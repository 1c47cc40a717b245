"""The breaker's semantics as a few lines of sequential code: the oracle of the WIL-1.2-014 model check.

No locks, no logging, no fallbacks: one call at a time, an outcome per call, and the
state the breaker must be in afterwards. A failure at time f counts while
``now - f < window_s``; the probe is admitted once ``now - opened_at >= recovery_timeout_s``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .breaker import BreakerConfig, State

Outcome = Literal["ok", "fail", "reply_error"]  # reply_error: an error that does not count (WRONGTYPE)


@dataclass
class BreakerModel:
    config: BreakerConfig
    state: State = State.CLOSED
    failures: list[float] = field(default_factory=list)
    opened_at: float = 0.0
    transitions: list[tuple[State, State]] = field(default_factory=list)

    def call(self, now: float, outcome: Outcome) -> bool:
        """Apply one call; True when it reaches the guarded operation, False when it is rejected."""
        if self.state is State.OPEN:
            if now - self.opened_at < self.config.recovery_timeout_s:
                return False
            self._move(State.HALF_OPEN)
        if self.state is State.HALF_OPEN:  # this call is the probe
            if outcome == "ok":
                self._move(State.CLOSED)
                self.failures.clear()
            elif outcome == "fail":
                self._move(State.OPEN)
                self.opened_at = now
            return True
        if outcome == "fail":
            self.failures = [f for f in self.failures if now - f < self.config.window_s] + [now]
            if len(self.failures) >= self.config.failure_threshold:
                self._move(State.OPEN)
                self.opened_at = now
        return True

    def allowed_states(self, now: float) -> set[State]:
        """States an implementation may report now: once the recovery timeout has passed, an OPEN breaker
        may already say HALF_OPEN (eager) or still say OPEN until the next call (lazy)."""
        if self.state is State.OPEN and now - self.opened_at >= self.config.recovery_timeout_s:
            return {State.OPEN, State.HALF_OPEN}
        return {self.state}

    def _move(self, to: State) -> None:
        self.transitions.append((self.state, to))
        self.state = to
