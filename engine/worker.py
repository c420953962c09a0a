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
import contextlib
import itertools
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import redis
import redis.asyncio as aioredis

from engine.backend import GenerateJob, Generator, Renderer, RenderJob
from engine.context import JobContext
from engine.debris import forget_gone_consumers
from engine.keys import GROUP, PROGRESS_TTL_S, Keys
from engine.listeners import JobListener
from engine.quota import backoff_seconds
from engine.reconciler import GRACE_S, reconcile, rescue_orphans
from storage import cut
from storage import jobs as job_store
from storage.contract import Generated, Result
from storage.db import Database
from storage.errors import JobCancelled, JobFailed, JobLost, StudioError
from storage.jobs import NOT_RESENT, UNCONFIRMED
from storage.media import MediaStore
from storage.models import Job, JobKind, JobStatus, utcnow
from storage.trash import empty_trash

log = logging.getLogger("veogen.engine")


@dataclass
class _Running:
    job: Job
    message_id: bytes
    context: JobContext
    published: tuple[float, str] | None = None
    reported: float = 0.0


StreamReply = list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]] | None


def _refused_at_start(job: Job, max_attempts: int) -> JobFailed | None:
    """A delivered job that must not run: one whose request may already have reached its
    provider (it waits for a person), or one that keeps stopping its engines."""
    if job.submitting_at is not None and job.operation_name is None:
        return JobFailed(
            UNCONFIRMED,
            "its engine stopped while sending the request, before the provider named the "
            f"operation; {NOT_RESENT}",
        )
    if job.attempts > max_attempts:
        return JobFailed(
            "engine", f"gave up after {max_attempts} attempts; each ended with its engine stopping"
        )
    return None


def _as_failure(job: Job, exc: Exception) -> JobFailed:
    """What the user reads: a backend's own words, the data layer's, or the engine's."""
    if isinstance(exc, JobFailed):
        return exc
    if isinstance(exc, StudioError):
        return JobFailed("storage", str(exc))
    log.exception("job %s failed unexpectedly", job.id, exc_info=exc)
    return JobFailed("engine", f"{type(exc).__name__}: {exc}")


def _progressed(item: _Running) -> Callable[[JobListener], None]:
    return lambda listener: listener.job_progress(item.job, item.reported)


PUBLISH_INTERVAL_S = 0.5
HOUSEKEEPING_INTERVAL_S = 2.0


def engine_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    def __init__(
        self,
        db: Database,
        queue: aioredis.Redis,
        keys: Keys,
        generators: Callable[[str], Generator],
        renderer: Renderer,
        media: MediaStore,
        listeners: list[JobListener],
        concurrency: int = 4,
        claim_idle_s: float = 60.0,
        max_attempts: int = 3,
        name: str | None = None,
        reconcile_s: float = 30.0,
        reconcile_grace_s: float = GRACE_S,
    ) -> None:
        """``generators`` gives the backend of a provider by name (raising ``JobFailed``
        when this engine cannot run it); ``renderer`` assembles movies."""
        self.db, self.queue, self.keys = db, queue, keys
        self.generators, self.renderer, self.media = generators, renderer, media
        self.listeners = listeners
        self.concurrency = concurrency
        self.claim_idle_ms = int(claim_idle_s * 1000)
        self.max_attempts = max_attempts
        self.reconcile_s, self.reconcile_grace_s = reconcile_s, reconcile_grace_s
        self.name = name or engine_name()
        self.running: dict[int, _Running] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        """Jobs running now (``EngineState``: what listeners read of the worker)."""
        return len(self.running)

    async def ensure_group(self) -> None:
        try:
            await self.queue.xgroup_create(self.keys.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self, stop: asyncio.Event, grace_s: float = 30.0) -> None:
        self._tell(lambda listener: listener.worker_started(self))
        for attempt in itertools.count():  # an engine started while Redis is away waits
            try:
                await self.ensure_group()
                break
            except (redis.RedisError, OSError) as exc:
                await self._ride_out(exc, attempt + 1, stop)
                if stop.is_set():
                    return
        housekeeping = asyncio.create_task(self._housekeeping(stop))
        quiet = asyncio.Event()  # set once no job runs any more: the pulse's end
        pulse = asyncio.create_task(self._pulse(quiet))
        log.info(
            "engine %s: consuming %s with %d slots", self.name, self.keys.stream, self.concurrency
        )
        next_claim = 0.0
        away = 0  # Redis calls failed in a row: back off, never give up
        try:
            while not stop.is_set():
                free = self.concurrency - len(self._tasks)
                if free <= 0:
                    await asyncio.wait(
                        self._tasks, timeout=1.0, return_when=asyncio.FIRST_COMPLETED
                    )
                    continue
                try:
                    messages, taken_over = [], False
                    if time.monotonic() >= next_claim:
                        messages = await self._reclaim(free)
                        taken_over = bool(messages)
                        next_claim = time.monotonic() + max(1.0, self.claim_idle_ms / 4000)
                    if not messages:
                        messages = await self._read(free)
                except (redis.RedisError, OSError) as exc:
                    away += 1
                    await self._ride_out(exc, away, stop)
                    continue
                if away:
                    log.info("engine %s: Redis is back; consuming again", self.name)
                    away = 0
                for message_id, job_id in messages:
                    self._spawn(message_id, job_id, taken_over)
        finally:
            if self._tasks:
                _, pending = await asyncio.wait(self._tasks, timeout=grace_s)
                for task in pending:
                    task.cancel()  # its message stays pending and another engine claims it
                await asyncio.gather(*pending, return_exceptions=True)
            quiet.set()
            for task in (housekeeping, pulse):
                task.cancel()
            await asyncio.gather(housekeeping, pulse, return_exceptions=True)
            await self._tell_housekeeping()
            await self._leave_group()

    async def _leave_group(self) -> None:
        """A stopping engine that holds no message takes its name out of the group."""
        with contextlib.suppress(redis.RedisError, OSError):
            pending = await self.queue.xpending_range(
                self.keys.stream, GROUP, min="-", max="+", count=1, consumername=self.name
            )
            if not pending:
                await self.queue.xgroup_delconsumer(self.keys.stream, GROUP, self.name)

    async def _ride_out(self, exc: Exception, away: int, stop: asyncio.Event) -> None:
        """Redis is away (restarting, or lost its data): wait and try again. A group that
        vanished with Redis's data is made anew; the reconciler re-delivers its jobs."""
        if isinstance(exc, redis.ResponseError) and "NOGROUP" in str(exc):
            log.warning("engine %s: the consumer group is gone; creating it again", self.name)
            with contextlib.suppress(redis.RedisError, OSError):
                await self.ensure_group()
                return
        delay = backoff_seconds(min(away, 5), 0.25, cap=5.0)
        log.warning("engine %s: Redis unreachable (%s); retrying in %.1f s", self.name, exc, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)

    async def _read(self, count: int) -> list[tuple[bytes, int]]:
        reply = cast(
            StreamReply,  # the shape of a RESP2 reply, which this client speaks
            await self.queue.xreadgroup(
                GROUP, self.name, {self.keys.stream: ">"}, count=count, block=1000
            ),
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

    def _spawn(self, message_id: bytes, job_id: int, taken_over: bool) -> None:
        task = asyncio.create_task(self._handle(message_id, job_id, taken_over))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, message_id: bytes, job_id: int, taken_over: bool) -> None:
        job = await asyncio.to_thread(job_store.claim_job, self.db, job_id, taken_over, self.name)
        if job is None:  # cancelled while queued, finished, running elsewhere, or unknown
            done = (await asyncio.to_thread(job_store.find_jobs, self.db, [job_id])).get(job_id)
            if done is not None and JobStatus(done.status).finished:
                self._tell(lambda listener: listener.job_seen_ended(done))
                if not await self._settle():
                    return  # delivered again later, when its end can be recorded
            await self._ack(message_id)
            return
        wait_s = (utcnow() - job.created_at).total_seconds()
        self._tell(lambda listener: listener.job_started(job, wait_s))
        refusal = _refused_at_start(job, self.max_attempts)
        if refusal is not None:
            await self._fail(job, refusal, None)
            if await self._settle():
                await self._ack(message_id)
            return
        context = JobContext(
            self.db,
            job,
            self.media,
            lambda code: self._tell(lambda listener: listener.provider_error(job, code)),
        )
        self.running[job.id] = _Running(job, message_id, context)
        try:
            await self._run(job, context)
        finally:
            self.running.pop(job.id, None)
        with contextlib.suppress(redis.RedisError, OSError):  # SQL has the outcome
            await self._publish([_Running(job, message_id, context)])
        if await self._settle():
            await self._ack(message_id)

    async def _execute(self, job: Job, context: JobContext) -> Result:
        """Run the job by its kind: a render by the assembler, a generation by its provider."""
        if job.kind == JobKind.render:
            return await self.renderer.render(RenderJob.of(job), context)
        return await self.generators(job.backend).generate(GenerateJob.of(job), context)

    async def _save(self, job: Job, result: Result) -> bool:
        """Record the result with the job's success; False if the job had already ended."""
        if isinstance(result, Generated):
            takes = await asyncio.to_thread(job_store.complete_job, self.db, job.id, result)
            return takes is not None
        movie = await asyncio.to_thread(cut.complete_render, self.db, job.id, result)
        return movie is not None

    async def _run(self, job: Job, context: JobContext) -> None:
        started = time.monotonic()
        try:
            result = await self._execute(job, context)
            if not await self._save(job, result):
                ended = (await asyncio.to_thread(job_store.find_jobs, self.db, [job.id]))[job.id]
                if ended.status == JobStatus.cancelled:
                    raise JobCancelled()  # cancelled while it ran
                # another engine finished this job first (it took over a delivery this one
                # held too long): its records use the same files, so leave them be
                log.warning("job %s: already %s by another engine", job.id, ended.status)
                return
            context.fraction, context.stage = 1.0, "done"
            run_s = time.monotonic() - started
            self._tell(lambda listener: listener.job_succeeded(job, result, run_s))
        except JobLost:
            log.warning("job %s: no longer this engine's; leaving it to its new delivery", job.id)
        except JobCancelled:
            context.discard_media()
            await asyncio.to_thread(
                job_store.fail_job,
                self.db,
                job.id,
                "cancelled",
                "cancelled by a user",
                JobStatus.cancelled,
            )
            context.stage = "cancelled"
            run_s = time.monotonic() - started
            self._tell(lambda listener: listener.job_cancelled(job, run_s))
        except Exception as exc:
            error = _as_failure(job, exc)
            context.discard_media()
            await self._fail(job, error, time.monotonic() - started)
            context.stage = "blocked" if error.blocked else "failed"

    async def _fail(self, job: Job, error: JobFailed, run_s: float | None) -> None:
        status = JobStatus.blocked if error.blocked else JobStatus.failed
        await asyncio.to_thread(
            job_store.fail_job, self.db, job.id, error.stage, error.reason, status
        )
        self._tell(
            lambda listener: listener.job_failed(
                job, error.stage, error.reason, error.blocked, run_s
            )
        )

    def _tell(self, hook: Callable[[JobListener], None]) -> None:
        """Call ``hook`` on every listener; one that fails is logged, the job goes on."""
        for listener in self.listeners:
            try:
                hook(listener)
            except Exception:
                log.exception("listener %s failed", type(listener).__name__)

    async def _settle(self) -> bool:
        """Let listeners make a job's end durable; False if one could not (the delivery is
        then left unacknowledged, to be recorded when it comes again)."""
        settled = True
        for listener in self.listeners:
            try:
                await listener.job_settled()
            except Exception:
                log.exception("listener %s failed to settle a job", type(listener).__name__)
                settled = False
        return settled

    async def _tell_housekeeping(self) -> None:
        for listener in self.listeners:
            try:
                await listener.housekeeping()
            except Exception:
                log.exception("listener %s failed in housekeeping", type(listener).__name__)

    async def _pulse(self, quiet: asyncio.Event) -> None:
        """Say this engine is alive, publish progress, notice cancels, and keep running
        jobs' messages ours, until ``quiet``. (Not until cancelled alone: a cancel that
        lands inside a Redis call can come out as a Redis error, which the loop rides out.)"""
        last_claim = time.monotonic()
        while not quiet.is_set():
            await asyncio.sleep(PUBLISH_INTERVAL_S)
            with contextlib.suppress(redis.RedisError, OSError):
                await self.queue.set(
                    self.keys.engine_alive(self.name), 1, px=max(self.claim_idle_ms, 2000)
                )
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
                    if flag:
                        item.context.cancel()
                    if item.context.fraction - item.reported >= 0.25:
                        item.reported = item.context.fraction
                        self._tell(_progressed(item))
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
            if item.published != (item.context.fraction, item.context.stage)
        ]
        if not changed:
            return
        async with self.queue.pipeline(transaction=False) as pipe:
            for item in changed:
                key = self.keys.progress(item.job.id)
                pipe.hset(
                    key,
                    mapping={
                        "fraction": item.context.fraction,
                        "stage": item.context.stage,
                        "engine": self.name,
                    },
                )
                pipe.expire(key, PROGRESS_TTL_S)
            await pipe.execute()
        for item in changed:
            item.published = (item.context.fraction, item.context.stage)

    async def _ack(self, message_id: bytes) -> None:
        """Done with a message. If Redis is away it stays pending, and whoever claims it
        finds the job finished in SQL and acknowledges it then."""
        try:
            await self.queue.xack(self.keys.stream, GROUP, message_id)
            await self.queue.xdel(self.keys.stream, message_id)
        except (redis.RedisError, OSError) as exc:
            log.warning("engine %s: cannot acknowledge %r yet (%s)", self.name, message_id, exc)

    async def _housekeeping(self, stop: asyncio.Event) -> None:
        """Give listeners their turn (flushing metrics, say) every couple of seconds, and
        now and then (one engine at a time) deliver again what the stream lost."""
        last_reconcile = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(HOUSEKEEPING_INTERVAL_S)
            await self._tell_housekeeping()
            if time.monotonic() - last_reconcile < self.reconcile_s:
                continue
            last_reconcile = time.monotonic()
            try:
                lock = self.keys.reconcile_lock
                if await self.queue.set(lock, self.name, nx=True, ex=int(self.reconcile_s) + 1):
                    await reconcile(self.db, self.queue, self.keys, self.reconcile_grace_s)
                    await rescue_orphans(self.db, self.queue, self.keys, self.claim_idle_ms)
                    idle_ms = self.claim_idle_ms * 10
                    await forget_gone_consumers(self.queue, self.keys, self.name, idle_ms)
                    await asyncio.to_thread(empty_trash, self.db, self.media)
            except (redis.RedisError, OSError, StudioError) as exc:
                log.warning("engine %s: reconciling later (%s)", self.name, exc)
            except Exception:  # whatever it was, housekeeping must go on
                log.exception("engine %s: reconciling failed; trying again later", self.name)
