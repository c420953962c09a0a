"""What the engines share, read the same way for the samples and for /metrics."""

from __future__ import annotations

import asyncio
import uuid

import redis

from engine.fleet_state import FleetState, read_fleet, read_fleet_async
from engine.keys import GROUP, Keys
from engine.quota import QuotaGate
from engine.redis_server import engine_client


def test_the_queue_is_what_waits_and_what_is_delivered_unacknowledged(redis_url: str) -> None:
    keys = Keys(f"test-{uuid.uuid4().hex[:8]}")
    client = redis.Redis.from_url(redis_url)
    client.xgroup_create(keys.stream, GROUP, id="0", mkstream=True)
    for n in range(3):
        client.xadd(keys.stream, {"job_id": str(n)})
    client.xreadgroup(GROUP, "e1", {keys.stream: ">"}, count=1)

    async def both() -> tuple[FleetState, FleetState]:
        queue = engine_client(redis_url)
        try:
            return read_fleet(client, keys), await read_fleet_async(queue, keys)
        finally:
            await queue.aclose()

    try:
        sync, in_loop = asyncio.run(both())
        assert sync == in_loop == FleetState(queue_depth=2, pending=1, held=False, held_s=0.0)
    finally:
        client.delete(keys.stream)


def test_a_holds_age_counts_from_the_first_of_holds_in_a_row_and_is_0_between(
    redis_url: str,
) -> None:
    keys = Keys(f"test-{uuid.uuid4().hex[:8]}")
    client = redis.Redis.from_url(redis_url)
    client.xgroup_create(keys.stream, GROUP, id="0", mkstream=True)
    seen: list[FleetState] = []

    async def holds() -> None:
        gate = QuotaGate(engine_client(redis_url), keys)
        await gate.hold(0.3)
        seen.append(read_fleet(client, keys))
        await asyncio.sleep(0.5)  # the first hold expired; the next 429 comes soon after
        seen.append(read_fleet(client, keys))
        await gate.hold(5)
        seen.append(read_fleet(client, keys))

    try:
        asyncio.run(holds())
        first, between, second = seen
        assert first.held and 0 < first.held_s < 0.3
        assert (between.held, between.held_s) == (False, 0.0)  # not held now: no alert
        assert second.held and 0.5 <= second.held_s < 2.0  # counted from the first hold
    finally:
        client.delete(keys.stream, keys.quota_hold, keys.quota_held_since)
