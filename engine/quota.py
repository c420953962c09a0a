"""Holding back new Veo submissions, across every engine, while the quota recovers.

When Veo answers 429 RESOURCE_EXHAUSTED, the engine that saw it sets a hold in Redis that
expires after its back-off; every engine waits the hold out before it submits anything new.
Polling operations that already exist goes on: they cost no quota to finish. When the
holds began is kept beside them (while one follows another within a minute), so the fleet's
metrics can tell how long the quota has been exhausted (``fleet_state``).
"""

from __future__ import annotations

import contextlib
import random
import time

import redis
import redis.asyncio as aioredis

from engine.keys import Keys

# Extend the hold, never shorten it, in one step: two engines seeing 429 at once must not
# leave the shorter of their holds in place.
_HOLD = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '429', 'PX', ARGV[1])
end
redis.call('SET', KEYS[2], ARGV[2], 'NX')
redis.call('PEXPIRE', KEYS[2], redis.call('PTTL', KEYS[1]) + tonumber(ARGV[3]))
"""
# Holds this close together are one stretch of exhausted quota (each job's retry after a
# hold expires meets the next 429 within seconds).
SAME_STRETCH_MS = 60_000


def backoff_seconds(attempt: int, base: float, cap: float = 60.0) -> float:
    """Exponential back-off with jitter: between half and all of base*2^attempt, capped."""
    return random.uniform(0.5, 1.0) * min(cap, base * 2.0**attempt)


class QuotaGate:
    def __init__(self, queue: aioredis.Redis, keys: Keys) -> None:
        self.queue, self.keys = queue, keys

    async def hold(self, seconds: float) -> None:
        """Hold every engine's submissions for ``seconds`` (a longer hold already set stays).
        With Redis away only this engine waits: its submission backs off all the same."""
        with contextlib.suppress(redis.RedisError, OSError):
            await self.queue.eval(
                _HOLD,
                2,
                self.keys.quota_hold,
                self.keys.quota_held_since,
                max(1, int(seconds * 1000)),
                time.time(),
                SAME_STRETCH_MS,
            )

    async def remaining(self) -> float:
        """Seconds left on the hold; 0 when submitting is allowed (or Redis cannot say: a
        429 from Veo sets the hold again)."""
        try:
            ms = await self.queue.pttl(self.keys.quota_hold)
        except (redis.RedisError, OSError):
            return 0.0
        return max(0.0, ms / 1000)
