"""What stopped engines leave behind is cleared: stale temp files, and consumers gone."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

from engine.debris import forget_gone_consumers, sweep_temp_files
from engine.keys import GROUP, Keys
from engine.redis_server import engine_client


def test_stale_temp_files_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    media, metrics = tmp_path / "media" / "projects" / "1", tmp_path / "metrics"
    media.mkdir(parents=True)
    metrics.mkdir()
    stale = [media / ".job1-take0.mp4.ab12.part", metrics / "events-1-e-000001.parquet.tmp"]
    live = media / ".job2-take0.mp4.cd34.part"  # an engine is writing it right now
    kept = media / "job1-take0.mp4"
    for path in (*stale, live, kept):
        path.write_bytes(b"x")
    old = time.time() - 3600
    for path in (*stale, kept):
        os.utime(path, (old, old))
    assert sweep_temp_files([tmp_path / "media", metrics], stale_s=600) == 2
    assert [p.exists() for p in (*stale, live, kept)] == [False, False, True, True]


def test_consumers_of_stopped_engines_are_forgotten(redis_url: str) -> None:
    async def scenario() -> set[str]:
        queue, keys = engine_client(redis_url), Keys(f"test-{uuid.uuid4().hex[:8]}")
        await queue.xgroup_create(keys.stream, GROUP, id="0", mkstream=True)
        await queue.xadd(keys.stream, {"job_id": 1})
        await queue.xreadgroup(GROUP, "holding", {keys.stream: ">"}, count=1)  # has a message
        for name in ("gone-1", "gone-2", "me"):
            await queue.xgroup_createconsumer(keys.stream, GROUP, name)
        await asyncio.sleep(0.3)
        assert await forget_gone_consumers(queue, keys, "me", idle_ms=100) == 2
        left = {c["name"] for c in await queue.xinfo_consumers(keys.stream, GROUP)}
        await queue.delete(keys.stream)
        await queue.aclose()
        return {n.decode() if isinstance(n, bytes) else n for n in left}

    assert asyncio.run(scenario()) == {"holding", "me"}
