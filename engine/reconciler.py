"""Delivering again the jobs that SQL says are queued but the stream no longer holds.

SQL is the truth about jobs; Redis only carries them. A Redis that restarts without its
data (or a stream trimmed by hand) loses queued job ids, and those jobs would wait forever.
Now and then one engine (a Redis lock) compares the two and adds the missing ids again; a
second delivery of a job is harmless, because claiming it is a conditional UPDATE.
"""

from __future__ import annotations

import asyncio
import logging

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
