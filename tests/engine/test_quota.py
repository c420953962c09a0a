"""The Veo quota gate: one hold seen by every engine, never shortened."""

from __future__ import annotations

import asyncio
import time
import uuid

from engine.keys import Keys
from engine.quota import QuotaGate
from engine.redis_server import engine_client


def test_a_quota_hold_is_seen_by_every_engine_and_never_shortened(redis_url: str) -> None:
    async def run() -> tuple[float, float, float]:
        keys = Keys(f"test-{uuid.uuid4().hex[:8]}")
        one, two = (
            QuotaGate(engine_client(redis_url), keys),
            QuotaGate(engine_client(redis_url), keys),
        )
        await one.hold(0.6)
        await two.hold(0.1)  # a shorter hold never cuts a longer one
        seen = await two.remaining()
        started = time.monotonic()
        while await two.remaining() > 0:
            await asyncio.sleep(0.02)
        return seen, time.monotonic() - started, await one.remaining()

    seen, waited, left = asyncio.run(run())
    assert 0.4 < seen <= 0.6 and 0.3 <= waited < 2.0 and left == 0
