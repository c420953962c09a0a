"""Delivering again the jobs that SQL says are waiting but Redis no longer carries.

SQL is the truth about jobs; Redis only carries them. A Redis that restarts without its
data (or a stream trimmed by hand) loses queued job ids, and the pending entries of running
jobs: if such a job's engine then dies, no take-over ever comes. Now and then one engine (a
Redis lock) compares the two: queued ids missing from the stream are added again, and a
running job whose engine has been gone for longer than a take-over waits is queued again.
A second delivery of a job is harmless: claiming is a conditional UPDATE, and a fresh
delivery claims only a queued job.
"""

from __future__ import annotations

import asyncio
import logging
import time

import redis.asyncio as aioredis

from engine.keys import Keys
from storage import jobs as job_store
from storage.db import Database

log = logging.getLogger("veogen.engine")

# A job queued this recently may be on its way to the stream (SQL commits first).
GRACE_S = 10.0


async def reconcile(
    db: Database, queue: aioredis.Redis, keys: Keys, grace_s: float = GRACE_S
) -> int:
    """Add to the stream every job queued in SQL for ``grace_s`` and absent from it."""
    queued = await asyncio.to_thread(job_store.queued_since, db, grace_s)
    if not queued:
        return 0
    entries = await queue.xrange(keys.stream) or []
    carried = {int(fields[b"job_id"]) for _, fields in entries if fields and b"job_id" in fields}
    missing = [job_id for job_id in queued if job_id not in carried]
    if missing:
        async with queue.pipeline(transaction=False) as pipe:
            for job_id in missing:
                pipe.xadd(keys.stream, {"job_id": job_id})
            await pipe.execute()
        log.warning("delivered %d queued job(s) again: the stream had lost them", len(missing))
    return len(missing)


async def rescue_orphans(db: Database, queue: aioredis.Redis, keys: Keys, gone_for_ms: int) -> int:
    """Queue again the running jobs whose engine has not been alive for ``gone_for_ms``.

    An engine is gone when its liveness key has expired; the job must be seen so twice,
    ``gone_for_ms`` apart, so that a Redis that just restarted (and holds no liveness keys
    until live engines beat again, within a second) never makes a live engine's job run twice.
    """
    running = await asyncio.to_thread(job_store.running_jobs, db)
    if not running:
        return 0
    async with queue.pipeline(transaction=False) as pipe:
        for _, engine in running:
            pipe.exists(keys.engine_alive(engine or ""))
        alive = await pipe.execute()
    now_ms = int(time.time() * 1000)
    rescued = 0
    for (job_id, engine), beating in zip(running, alive, strict=True):
        suspect = keys.orphan(job_id)
        if beating:
            await queue.delete(suspect)
            continue
        await queue.set(suspect, now_ms, nx=True, ex=3600)  # (SET NX GET needs Redis 7)
        first = await queue.get(suspect)
        if first is None or now_ms - int(first) < gone_for_ms:
            continue
        if await asyncio.to_thread(job_store.requeue_orphan, db, job_id, engine):
            await queue.xadd(keys.stream, {"job_id": job_id})
            rescued += 1
        await queue.delete(suspect)
    if rescued:
        log.warning("queued %d running job(s) again: their engines are gone", rescued)
    return rescued
