"""The metrics listener's samples of an engine's state, and its compaction in a child."""

from __future__ import annotations

import asyncio
import os
import time

import redis.asyncio as aioredis

from engine.keys import GROUP, Keys
from engine.metrics_listener import MetricsListener
from storage.metrics import MetricsWriter
from storage.metrics_files import compacted, segments
from storage.metrics_reader import MetricsReader
from storage.settings import Settings


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
            await queue.set(keys.quota_hold, "429", px=30_000)
            listener = MetricsListener(MetricsWriter(settings.metrics_dir, "e1"), queue, keys, 8)
            await listener.housekeeping()
        finally:
            await queue.delete(keys.stream, keys.quota_hold)
            await queue.aclose()

    asyncio.run(sample())
    row = MetricsReader(settings.metrics_dir).query(
        "SELECT in_flight, slots, queue_depth, pending, quota_hold_s FROM events "
        "WHERE event = 'sample'"
    )
    assert row.iloc[0, :4].tolist() == [0, 8, 2, 1]
    assert 25 < row["quota_hold_s"][0] <= 30


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
            listener = MetricsListener(writer, queue, keys, 4, retention_days=30)
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
