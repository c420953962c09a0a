"""The metrics listener's samples of an engine's state, and its compaction in a child."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from engine.keys import GROUP, Keys
from engine.metrics_listener import MetricsListener
from engine.quota import QuotaGate
from storage.metrics import MetricsWriter
from storage.metrics_files import compacted, segments
from storage.metrics_reader import MetricsReader
from storage.settings import Settings


@dataclass(frozen=True)
class Engine:
    """What a worker shows its listeners (``EngineState``)."""

    concurrency: int
    in_flight: int


def test_housekeeping_samples_the_queue_the_jobs_in_flight_and_a_quota_hold(
    settings: Settings,
) -> None:
    keys = Keys(settings.redis_prefix)

    async def sample() -> None:
        queue = aioredis.from_url(settings.redis_url or "")
        try:
            await queue.xgroup_create(keys.stream, GROUP, id="0", mkstream=True)
            for n in range(3):
                await queue.xadd(keys.stream, {"job": str(n)})
            await queue.xreadgroup(GROUP, "e1", {keys.stream: ">"}, count=1)  # one delivered
            await QuotaGate(queue, keys).hold(30)
            await asyncio.sleep(0.2)
            listener = MetricsListener(MetricsWriter(settings.metrics_dir, "e1"), queue, keys)
            listener.worker_started(Engine(concurrency=8, in_flight=3))
            await listener.housekeeping()
        finally:
            await queue.delete(keys.stream, keys.quota_hold, keys.quota_held_since)
            await queue.aclose()

    asyncio.run(sample())
    row = MetricsReader(settings.metrics_dir).query(
        "SELECT in_flight, slots, queue_depth, pending, quota_hold_s FROM events "
        "WHERE event = 'sample'"
    )
    assert row.iloc[0, :4].tolist() == [3, 8, 2, 1]  # the worker's count, the fleet's queue
    assert 0.2 <= row["quota_hold_s"][0] < 5  # held for as long as the gauge says


def test_compaction_runs_in_a_child_process_under_the_lock(settings: Settings) -> None:
    keys = Keys(settings.redis_prefix)
    writer = MetricsWriter(settings.metrics_dir, "e1")
    for n in range(20):
        writer.record("started", job_id=n)
        path = writer.flush()
        assert path is not None
        old = time.time() - 600
        os.utime(path, (old, old))

    async def housekeeping() -> None:
        queue = aioredis.from_url(settings.redis_url or "")
        try:
            listener = MetricsListener(writer, queue, keys, retention_days=30)
            listener._last_compact -= 3600  # as if the last compaction were an hour ago
            await listener.housekeeping()
        finally:
            await queue.aclose()

    asyncio.run(housekeeping())
    assert len(compacted(settings.metrics_dir)) == 1
    assert len(segments(settings.metrics_dir)) == 1  # the sample just taken: too new to merge
    assert (
        MetricsReader(settings.metrics_dir).query("SELECT count(*) AS n FROM events")["n"][0] == 21
    )
