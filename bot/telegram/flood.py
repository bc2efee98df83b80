"""Flood control, transport-free: who is sending faster than anyone could read the answers.

A token bucket per sender: a burst of `burst` updates goes through at once, then one more every
1 / `refill_per_second` seconds. The first update over the limit gets one polite "slow down" (WARN); the rest
of that flood are dropped without a reply (DROP) until the sender's bucket has a token again.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

# A teacher tapping through the self-check or typing a question in three short messages stays well under
# this; 50 messages in a second does not. Telegram itself delivers about one message a second to a chat.
DEFAULT_BURST = 6
DEFAULT_REFILL_PER_SECOND = 1.0
# Buckets of senders who have been quiet long enough to be full again are forgotten every so often.
PRUNE_EVERY = 1024


class Admission(enum.Enum):
    OK = "ok"  # process the update
    WARN = "warn"  # over the limit: reply "slow down" once instead
    DROP = "drop"  # still flooding: ignore


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class FloodGuard:
    """Decides, per sender, whether an update is processed, answered with "slow down", or dropped."""

    def __init__(
        self,
        burst: int = DEFAULT_BURST,
        refill_per_second: float = DEFAULT_REFILL_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 1 or refill_per_second <= 0:
            raise ValueError("burst must be at least 1 and refill_per_second above 0")
        self.burst = burst
        self.refill_per_second = refill_per_second
        self._clock = clock
        self._buckets: dict[Hashable, _Bucket] = {}
        self._since_prune = 0

    def admit(self, sender: Hashable) -> Admission:
        now = self._clock()
        self._prune(now)
        bucket = self._buckets.get(sender)
        if bucket is None:
            bucket = self._buckets[sender] = _Bucket(tokens=float(self.burst), updated=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.refill_per_second)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return Admission.OK
        if not bucket.warned:
            bucket.warned = True
            return Admission.WARN
        return Admission.DROP

    @property
    def tracked_senders(self) -> int:
        return len(self._buckets)

    def _prune(self, now: float) -> None:
        self._since_prune += 1
        if self._since_prune < PRUNE_EVERY:
            return
        self._since_prune = 0
        full_after = self.burst / self.refill_per_second
        self._buckets = {
            sender: bucket for sender, bucket in self._buckets.items() if now - bucket.updated < full_after
        }
