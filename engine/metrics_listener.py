"""The metrics listener: job events as Parquet segments, which the studio's analytics read.

Segments are flushed every couple of seconds; now and then one engine at a time (a Redis
lock) compacts them, so readers open a few files rather than thousands.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC
from typing import Any

import redis.asyncio as aioredis

from engine.keys import Keys
from engine.listeners import JobListener
from storage.contract import Generated, Result
from storage.metrics import MetricsWriter, compact
from storage.models import Job

COMPACT_INTERVAL_S = 60.0


def _ending(job: Job, event: str) -> str:
    """One id per ending of a job, so recording it again (after a crash) counts it once."""
    return f"job-{job.id}-{event}-{job.attempts}"


class MetricsListener(JobListener):
    def __init__(self, writer: MetricsWriter, queue: aioredis.Redis, keys: Keys) -> None:
        self.writer, self.queue, self.keys = writer, queue, keys
        self._last_compact = time.monotonic()

    def _record(self, event: str, job: Job, **fields: Any) -> None:
        self.writer.record(
            event,
            job_id=job.id,
            project_id=job.project_id,
            scene_id=job.scene_id,
            backend=job.backend,
            model=job.model,
            attempt=job.attempts,
            takes=fields.pop("takes", job.takes),
            **{k: v for k, v in fields.items() if v is not None},
        )

    def job_started(self, job: Job, queue_wait_s: float) -> None:
        if job.attempts == 1:  # also true on each resume: one id keeps it counted once
            queued_at = job.created_at.replace(tzinfo=UTC)
            self._record("queued", job, event_id=f"job-{job.id}-queued", ts=queued_at)
        self._record("started", job, queue_wait_s=queue_wait_s)

    def job_progress(self, job: Job, fraction: float) -> None:
        self._record("progress", job, progress=round(fraction, 3))

    def job_succeeded(self, job: Job, result: Result, run_s: float) -> None:
        self._record(
            "succeeded",
            job,
            event_id=_ending(job, "succeeded"),
            render_s=run_s,
            video_s=result.seconds,
            bytes=result.bytes,
            estimated_cost_usd=job.estimated_cost_usd,
            takes=len(result.takes) if isinstance(result, Generated) else 0,  # a movie: none
        )

    def job_failed(
        self, job: Job, stage: str, reason: str, blocked: bool, run_s: float | None
    ) -> None:
        event = "blocked" if blocked else "failed"
        error = f"{stage}: {reason}"
        self._record(event, job, event_id=_ending(job, event), error=error, render_s=run_s)

    def job_cancelled(self, job: Job, run_s: float) -> None:
        self._record("cancelled", job, event_id=_ending(job, "cancelled"), render_s=run_s)

    def job_seen_ended(self, job: Job) -> None:
        event = str(job.status)
        error = f"{job.error_stage}: {job.error}" if job.error else None
        self._record(event, job, event_id=_ending(job, event), error=error)

    async def job_settled(self) -> None:
        await asyncio.to_thread(self.writer.flush)

    async def housekeeping(self) -> None:
        await asyncio.to_thread(self.writer.flush)
        if time.monotonic() - self._last_compact < COMPACT_INTERVAL_S:
            return
        self._last_compact = time.monotonic()
        if await self.queue.set(self.keys.compaction_lock, self.writer.writer, nx=True, ex=120):
            try:
                await asyncio.to_thread(compact, self.writer.directory, self.writer.writer)
            finally:
                await self.queue.delete(self.keys.compaction_lock)
