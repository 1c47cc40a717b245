"""An in-process sliding-window log: the limiter's fallback while Redis is unavailable.

Per process only: with N workers a client may get N times the limit during an outage
(documented trade-off). Bounded: at most ``max_keys`` windows, least recently used
dropped first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from .protocols import Decision, Limit


class LocalSlidingWindow:
    def __init__(self, *, max_keys: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self.max_keys = max_keys
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._windows)

    def check(self, key: str, limit: Limit) -> Decision:
        now = self.clock()
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = deque()
                while len(self._windows) > self.max_keys:
                    self._windows.popitem(last=False)
            self._windows.move_to_end(key)
            while window and now - window[0] >= limit.window_s:
                window.popleft()
            allowed = len(window) < limit.requests
            if allowed:
                window.append(now)
            oldest = window[0] if window else now
        reset_at = oldest + limit.window_s
        return Decision(allowed=allowed, limit=limit.requests, remaining=max(0, limit.requests - len(window)),
                        reset_at=reset_at, retry_after_s=0.0 if allowed else max(0.0, reset_at - now),
                        window_s=limit.window_s, policy=limit.name, source="local")
