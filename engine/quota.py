"""Holding back new Veo submissions, across every engine, while the quota recovers.

When Veo answers 429 RESOURCE_EXHAUSTED, the engine that saw it sets a hold in Redis that
expires after its back-off; every engine waits the hold out before it submits anything new.
Polling operations that already exist goes on: they cost no quota to finish.
"""

from __future__ import annotations

import asyncio
import random

import redis.asyncio as aioredis

from engine.keys import Keys


def backoff_seconds(attempt: int, base: float, cap: float = 60.0) -> float:
    """Exponential back-off with full jitter: 0..base*2^attempt, at most ``cap``."""
    return random.uniform(0.5, 1.0) * min(cap, base * 2**attempt)


class QuotaGate:
    def __init__(self, queue: aioredis.Redis, keys: Keys) -> None:
        self.queue, self.keys = queue, keys

    async def hold(self, seconds: float) -> None:
        """Hold submissions for ``seconds``, never shortening a longer hold already set."""
        ms = max(1, int(seconds * 1000))
        current = await self.queue.pttl(self.keys.quota_hold)
        if current < ms:
            await self.queue.set(self.keys.quota_hold, "429", px=ms)

    async def remaining(self) -> float:
        ms = await self.queue.pttl(self.keys.quota_hold)
        return max(0.0, ms / 1000)

    async def wait(self) -> float:
        """Sleep until no hold is set; returns how long it waited."""
        waited = 0.0
        while (left := await self.remaining()) > 0:
            # a little jitter so held engines do not all submit in the same millisecond
            pause = left + random.uniform(0, 0.1)
            await asyncio.sleep(pause)
            waited += pause
        return waited
