"""What the engines share, read in one round trip: the job stream's queue and Veo's quota.

The engine's samples for the analytics (``metrics_listener``) and its Prometheus gauges
(``fleet_gauges``) read it here, so each figure means the same in both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis

from engine.keys import GROUP, Keys

Pipeline = redis.client.Pipeline | aioredis.client.Pipeline


@dataclass(frozen=True)
class FleetState:
    """``held_s``: how long Veo's quota has been held, holds under a minute apart counting
    as one stretch (what "held over ten minutes" alerts on); 0 while no hold is in force."""

    queue_depth: int  # jobs waiting for an engine
    pending: int  # jobs delivered to an engine and not yet acknowledged
    held: bool  # Veo submissions are held now (a 429 came)
    held_s: float


def _ask(pipe: Pipeline, keys: Keys) -> None:
    pipe.xlen(keys.stream)
    pipe.xpending(keys.stream, GROUP)
    pipe.pttl(keys.quota_hold)
    pipe.get(keys.quota_held_since)


def _state(replies: list[Any]) -> FleetState:
    length, summary, left_ms, since = replies
    pending = int(summary["pending"])
    held = left_ms > 0
    age = max(0.0, time.time() - float(since)) if held and since else 0.0
    # Acknowledged entries are deleted: what is left is waiting, or delivered and pending.
    return FleetState(max(0, length - pending), pending, held, age)


def read_fleet(client: redis.Redis, keys: Keys) -> FleetState:
    """For a scrape, served off the event loop."""
    with client.pipeline(transaction=False) as pipe:
        _ask(pipe, keys)
        return _state(pipe.execute())


async def read_fleet_async(queue: aioredis.Redis, keys: Keys) -> FleetState:
    """For the engine's own loop."""
    async with queue.pipeline(transaction=False) as pipe:
        _ask(pipe, keys)
        return _state(await pipe.execute())
