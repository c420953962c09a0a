"""The metrics listener: job events as Parquet segments, which the studio's analytics read.

Segments are flushed every couple of seconds; now and then one engine at a time (a Redis
lock) compacts them by day (``storage.metrics_compaction``), so readers open a few files
rather than thousands. Every ``SAMPLE_INTERVAL_S`` the engine also records a "sample" of
its state (jobs in flight and slots, the queue, a quota hold) for the fleet's charts.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from datetime import UTC
from typing import Any

import redis
import redis.asyncio as aioredis

from engine.fleet_state import read_fleet_async
from engine.keys import Keys
from engine.listeners import EngineState, JobListener
from storage.catalog import DRAFTS
from storage.contract import Generated, Result
from storage.metrics import MetricsWriter
from storage.models import Job
from storage.settings import Settings

log = logging.getLogger(__name__)
COMPACT_INTERVAL_S = 60.0
SAMPLE_INTERVAL_S = 15.0
LOCK_S = 120  # one engine compacts at a time; its child is stopped well before this
COMPACT_MOST_S = 90.0
# The lock is let go only by the engine holding it: one that outlived it may not free another's.
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"


def _ending(job: Job, event: str) -> str:
    """One id per ending of a job, so recording it again (after a crash) counts it once."""
    return f"job-{job.id}-{event}-{job.attempts}"


class MetricsListener(JobListener):
    def __init__(
        self,
        writer: MetricsWriter,
        queue: aioredis.Redis,
        keys: Keys,
        retention_days: int = Settings.metrics_retention_days,
    ) -> None:
        self.writer, self.queue, self.keys = writer, queue, keys
        self.retention_days = retention_days
        self.engine: EngineState | None = None  # the worker's jobs in flight and slots
        self._last_compact = time.monotonic()
        self._last_sample = 0.0

    def worker_started(self, engine: EngineState) -> None:
        self.engine = engine

    def _record(self, event: str, job: Job, **fields: Any) -> None:
        self.writer.record(
            event,
            job_id=job.id,
            project_id=job.project_id,
            scene_id=job.scene_id,
            backend=job.backend,
            model=job.model,
            attempt=job.attempts,
            user_id=job.created_by,
            draft=job.backend == DRAFTS.name,
            takes=fields.pop("takes", job.takes),
            **{k: v for k, v in fields.items() if v is not None},
        )

    def job_started(self, job: Job, queue_wait_s: float) -> None:
        if job.attempts == 1:  # also true on each resume: one id keeps it counted once
            queued_at = job.created_at.replace(tzinfo=UTC)
            self._record("queued", job, event_id=f"job-{job.id}-queued", ts=queued_at)
            # the wait is the first start's: a later start's "wait" holds the runs before it
            self._record("started", job, event_id=f"job-{job.id}-started",
                         queue_wait_s=queue_wait_s)  # fmt: skip
        else:
            self._record("started", job)

    def job_progress(self, job: Job, fraction: float) -> None:
        self._record("progress", job, progress=round(fraction, 3))

    def job_succeeded(self, job: Job, result: Result, run_s: float) -> None:
        takes = result.takes if isinstance(result, Generated) else ()  # a movie: none
        self._record(
            "succeeded",
            job,
            event_id=_ending(job, "succeeded"),
            render_s=run_s,
            video_s=result.seconds,
            bytes=result.bytes,
            estimated_cost_usd=job.estimated_cost_usd,
            billed_usd=round(sum(t.cost_usd for t in takes), 4),
            takes=len(takes),
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
        if time.monotonic() - self._last_sample >= SAMPLE_INTERVAL_S:
            self._last_sample = time.monotonic()
            await self._sample()
        await asyncio.to_thread(self.writer.flush)
        if time.monotonic() - self._last_compact < COMPACT_INTERVAL_S:
            return
        self._last_compact = time.monotonic()
        lock = self.keys.compaction_lock
        if await self.queue.set(lock, self.writer.writer, nx=True, ex=LOCK_S):
            try:
                await self._compact()
            finally:
                await self.queue.eval(_RELEASE, 1, lock, self.writer.writer)

    async def _compact(self) -> None:
        """Compaction in a child process (``storage.metrics_compaction`` says why)."""
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "storage.metrics_compaction", str(self.writer.directory),
            "--retention-days", str(self.retention_days),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            out, err = await asyncio.wait_for(child.communicate(), COMPACT_MOST_S)
        except TimeoutError:
            child.kill()  # the next run starts again from what is on disk
            await child.wait()
            log.error("metrics compaction stopped after %.0f s", COMPACT_MOST_S)
            return
        if child.returncode:
            log.error("metrics compaction failed: %s", err.decode(errors="replace")[-2000:])
        else:
            log.debug("metrics compaction: %s", out.decode().strip())

    async def _sample(self) -> None:
        """This engine's jobs in flight and the fleet's queue and quota, for the fleet's
        charts; the fleet's figures are left out while Redis does not answer."""
        fields: dict[str, Any] = {}
        try:
            state = await read_fleet_async(self.queue, self.keys)
            fields = {
                "queue_depth": state.queue_depth,
                "pending": state.pending,
                "quota_hold_s": state.held_s,
            }
        except (redis.RedisError, OSError):
            pass
        engine = self.engine
        if engine is not None:
            fields |= {"in_flight": engine.in_flight, "slots": engine.concurrency}
        self.writer.record("sample", **fields)
