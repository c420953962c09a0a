"""The engine's worker: consumes the job stream and runs up to N jobs at once.

Delivery is at-least-once through a Redis consumer group. While jobs run, one pulse loop
re-claims all their messages every few seconds (a heartbeat), so only the messages of a
dead worker grow idle; XAUTOCLAIM hands those to a live one, and SQL's attempt count stops
a job that keeps killing engines. The same loop publishes progress and notices cancels for
every running job in one pipelined round trip, so a thousand jobs in flight cost a few
Redis calls a second, not thousands.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import redis
import redis.asyncio as aioredis

from engine.backend import Backend, BackendError, JobCancelled, JobProgress, Outcome
from engine.keys import GROUP, PROGRESS_TTL_S, Keys
from storage import cut
from storage import jobs as job_store
from storage.db import Database
from storage.errors import StudioError
from storage.media import MediaStore
from storage.metrics import MetricsWriter, compact
from storage.models import Job, JobStatus, utcnow

log = logging.getLogger("veogen.engine")


@dataclass
class _Running:
    job: Job
    message_id: bytes
    progress: JobProgress
    published: tuple[float, str] | None = None
    reported: float = 0.0


PUBLISH_INTERVAL_S = 0.5
FLUSH_INTERVAL_S = 2.0
COMPACT_INTERVAL_S = 60.0


def engine_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    def __init__(
        self,
        db: Database,
        queue: aioredis.Redis,
        keys: Keys,
        backends: dict[str, Backend],
        media: MediaStore,
        metrics: MetricsWriter,
        concurrency: int = 4,
        claim_idle_s: float = 60.0,
        max_attempts: int = 3,
        name: str | None = None,
    ) -> None:
        self.db, self.queue, self.keys = db, queue, keys
        self.backends, self.media, self.metrics = backends, media, metrics
        self.concurrency = concurrency
        self.claim_idle_ms = int(claim_idle_s * 1000)
        self.max_attempts = max_attempts
        self.name = name or engine_name()
        self.running: dict[int, _Running] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def ensure_group(self) -> None:
        try:
            await self.queue.xgroup_create(self.keys.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self, stop: asyncio.Event, grace_s: float = 30.0) -> None:
        await self.ensure_group()
        housekeeping = asyncio.create_task(self._housekeeping(stop))
        pulse = asyncio.create_task(self._pulse())
        log.info(
            "engine %s: consuming %s with %d slots", self.name, self.keys.stream, self.concurrency
        )
        next_claim = 0.0
        try:
            while not stop.is_set():
                free = self.concurrency - len(self._tasks)
                if free <= 0:
                    await asyncio.wait(
                        self._tasks, timeout=1.0, return_when=asyncio.FIRST_COMPLETED
                    )
                    continue
                messages = []
                if time.monotonic() >= next_claim:
                    messages = await self._reclaim(free)
                    next_claim = time.monotonic() + max(1.0, self.claim_idle_ms / 4000)
                if not messages:
                    messages = await self._read(free)
                for message_id, job_id in messages:
                    self._spawn(message_id, job_id)
        finally:
            if self._tasks:
                _, pending = await asyncio.wait(self._tasks, timeout=grace_s)
                for task in pending:
                    task.cancel()  # its message stays pending and another engine claims it
                await asyncio.gather(*pending, return_exceptions=True)
            for task in (housekeeping, pulse):
                task.cancel()
            await asyncio.gather(housekeeping, pulse, return_exceptions=True)
            await asyncio.to_thread(self.metrics.flush)

    async def _read(self, count: int) -> list[tuple[bytes, int]]:
        reply = await self.queue.xreadgroup(
            GROUP, self.name, {self.keys.stream: ">"}, count=count, block=1000
        )
        return [
            (mid, int(fields[b"job_id"])) for _, entries in reply or [] for mid, fields in entries
        ]

    async def _reclaim(self, count: int) -> list[tuple[bytes, int]]:
        """Messages another engine took and stopped heartbeating: it died mid-job."""
        reply = await self.queue.xautoclaim(
            self.keys.stream, GROUP, self.name, min_idle_time=self.claim_idle_ms, count=count
        )
        entries = reply[1]
        claimed = [(mid, int(fields[b"job_id"])) for mid, fields in entries if fields]
        if claimed:
            log.info(
                "engine %s: reclaimed %d job(s) from a stopped engine", self.name, len(claimed)
            )
        return claimed

    def _spawn(self, message_id: bytes, job_id: int) -> None:
        task = asyncio.create_task(self._handle(message_id, job_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, message_id: bytes, job_id: int) -> None:
        job = await asyncio.to_thread(job_store.claim_job, self.db, job_id)
        if job is None:
            await self._ack(message_id)  # cancelled while queued, finished, or unknown
            done = (await asyncio.to_thread(job_store.find_jobs, self.db, [job_id])).get(job_id)
            if done is not None and done.status == JobStatus.cancelled:
                self._record("cancelled", done)
            return
        if job.attempts == 1:
            self._record("queued", job, ts=job.created_at.replace(tzinfo=UTC))
        self._record("started", job, queue_wait_s=(utcnow() - job.created_at).total_seconds())
        if job.attempts > self.max_attempts:
            await self._fail(
                job,
                "engine",
                f"gave up after {self.max_attempts} attempts; each ended with its engine stopping",
            )
            await self._ack(message_id)
            return
        progress = JobProgress()
        self.running[job.id] = _Running(job, message_id, progress)
        started = time.monotonic()
        try:
            await self._run(job, progress, started)
        finally:
            self.running.pop(job.id, None)
        await self._publish([_Running(job, message_id, progress)])
        await self._ack(message_id)

    async def _run(self, job: Job, progress: JobProgress, started: float) -> None:
        backend = self.backends.get(job.backend)
        outcome = Outcome([])
        try:
            if backend is None:
                raise BackendError(
                    "engine", f"this engine has no {job.backend!r} backend configured"
                )
            outcome = await backend.generate(job, self.media, progress)
            if outcome.movie is not None:
                saved: object = await asyncio.to_thread(
                    cut.complete_render, self.db, job.id, outcome.movie
                )
            else:
                saved = await asyncio.to_thread(
                    job_store.complete_job, self.db, job.id, outcome.takes, outcome.notice
                )
            if saved is None:
                ended = (await asyncio.to_thread(job_store.find_jobs, self.db, [job.id]))[job.id]
                if ended.status == JobStatus.cancelled:
                    raise JobCancelled()  # cancelled while it rendered
                # another engine finished this job first (it took over a delivery this one
                # held too long): its records use the same files, so leave them be
                log.warning("job %s: already %s by another engine", job.id, ended.status)
                return
            progress.fraction, progress.stage = 1.0, "done"
            self._record(
                "succeeded",
                job,
                render_s=time.monotonic() - started,
                video_s=outcome.seconds,
                bytes=outcome.bytes,
                estimated_cost_usd=job.estimated_cost_usd,
                takes=len(outcome.takes),
            )
        except JobCancelled:
            for key in outcome.files():
                self.media.delete(key)
            await asyncio.to_thread(
                job_store.fail_job,
                self.db,
                job.id,
                "cancelled",
                "cancelled by a user",
                JobStatus.cancelled,
            )
            progress.stage = "cancelled"
            self._record("cancelled", job, render_s=time.monotonic() - started)
        except BackendError as exc:
            await self._fail(job, exc.stage, exc.reason, exc.status, time.monotonic() - started)
            progress.stage = exc.status.value
        except StudioError as exc:
            await self._fail(job, "storage", str(exc), render_s=time.monotonic() - started)
            progress.stage = "failed"
        except Exception as exc:
            log.exception("job %s failed unexpectedly", job.id)
            await self._fail(
                job, "engine", f"{type(exc).__name__}: {exc}", render_s=time.monotonic() - started
            )
            progress.stage = "failed"

    async def _fail(
        self,
        job: Job,
        stage: str,
        reason: str,
        status: JobStatus = JobStatus.failed,
        render_s: float | None = None,
    ) -> None:
        await asyncio.to_thread(job_store.fail_job, self.db, job.id, stage, reason, status)
        event = "blocked" if status == JobStatus.blocked else "failed"
        self._record(event, job, error=f"{stage}: {reason}", render_s=render_s)

    async def _pulse(self) -> None:
        """Publish progress, notice cancels, and keep running jobs' messages ours."""
        last_claim = time.monotonic()
        while True:
            await asyncio.sleep(PUBLISH_INTERVAL_S)
            running = list(self.running.values())
            if not running:
                continue
            try:
                await self._publish(running)
                async with self.queue.pipeline(transaction=False) as pipe:
                    for item in running:
                        pipe.exists(self.keys.cancel(item.job.id))
                    cancelled = await pipe.execute()
                for item, flag in zip(running, cancelled, strict=True):
                    item.progress.cancelled = item.progress.cancelled or bool(flag)
                    if item.progress.fraction - item.reported >= 0.25:
                        item.reported = item.progress.fraction
                        self._record("progress", item.job, progress=round(item.reported, 3))
                if time.monotonic() - last_claim > self.claim_idle_ms / 3000:
                    await self.queue.xclaim(
                        self.keys.stream,
                        GROUP,
                        self.name,
                        min_idle_time=0,
                        message_ids=[item.message_id for item in running],
                        justid=True,
                    )
                    last_claim = time.monotonic()
            except redis.RedisError as exc:  # a blip must not stop the heartbeat for good
                log.warning("engine %s: heartbeat failed (%s); retrying", self.name, exc)
            except Exception:  # nor anything else: without it, other engines take our jobs
                log.exception("engine %s: heartbeat failed; retrying", self.name)

    async def _publish(self, running: list[_Running]) -> None:
        """Write the progress that changed since it was last published, in one round trip."""
        changed = [
            item
            for item in running
            if item.published != (item.progress.fraction, item.progress.stage)
        ]
        if not changed:
            return
        async with self.queue.pipeline(transaction=False) as pipe:
            for item in changed:
                key = self.keys.progress(item.job.id)
                pipe.hset(
                    key,
                    mapping={
                        "fraction": item.progress.fraction,
                        "stage": item.progress.stage,
                        "engine": self.name,
                    },
                )
                pipe.expire(key, PROGRESS_TTL_S)
            await pipe.execute()
        for item in changed:
            item.published = (item.progress.fraction, item.progress.stage)

    async def _ack(self, message_id: bytes) -> None:
        await self.queue.xack(self.keys.stream, GROUP, message_id)
        await self.queue.xdel(self.keys.stream, message_id)

    def _record(self, event: str, job: Job, **fields: Any) -> None:
        self.metrics.record(
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

    async def _housekeeping(self, stop: asyncio.Event) -> None:
        """Flush metric segments often; compact them now and then, one engine at a time."""
        last_compact = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(FLUSH_INTERVAL_S)
            await asyncio.to_thread(self.metrics.flush)
            if time.monotonic() - last_compact > COMPACT_INTERVAL_S:
                last_compact = time.monotonic()
                if await self.queue.set(self.keys.compaction_lock, self.name, nx=True, ex=120):
                    try:
                        await asyncio.to_thread(compact, self.metrics.directory, self.name)
                    finally:
                        await self.queue.delete(self.keys.compaction_lock)
