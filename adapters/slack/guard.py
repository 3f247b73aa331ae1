"""Small in-memory "seen recently" sets: replayed requests and redelivered events.

Bolt's signature check accepts a correctly signed request for five minutes, so a captured
request could be sent again within that window and run twice. Remembering each accepted
signature for a little longer than the window closes that gap (per process: several bot
processes behind a load balancer each keep their own set). The same structure drops Slack's
redeliveries of an event we already handled (same ``event_id``).
"""

from __future__ import annotations

import time
from collections import OrderedDict

REPLAY_WINDOW_SECONDS = 5 * 60 + 30  # bolt's timestamp tolerance plus clock-skew slack


class RecentKeys:
    """Keys remembered for ``ttl`` seconds, at most ``max_size`` of them (oldest go first)."""

    def __init__(self, ttl: float, max_size: int = 50_000) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._keys: OrderedDict[str, float] = OrderedDict()

    def add(self, key: str, now: float | None = None) -> bool:
        """Remember ``key``; ``False`` if it was already there (a repeat)."""
        now = time.monotonic() if now is None else now
        while self._keys:
            oldest, expiry = next(iter(self._keys.items()))
            if expiry > now and len(self._keys) < self.max_size:
                break
            del self._keys[oldest]
        if key in self._keys:
            return False
        self._keys[key] = now + self.ttl
        return True

    def __len__(self) -> int:
        return len(self._keys)
