"""Building blocks shared by the engine tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from engine.animatic_backend import AnimaticBackend
from engine.keys import Keys
from engine.movie_backend import MovieBackend
from engine.redis_server import engine_client
from engine.worker import Worker
from storage.db import Database
from storage.media import MediaStore
from storage.metrics import MetricsWriter
from studio.config import Settings


def make_worker(settings: Settings, db: Database, name: str, **options: object) -> Worker:
    return Worker(
        db,
        engine_client(settings.redis_url),
        Keys(settings.redis_prefix),
        {"animatic": AnimaticBackend(), "assembler": MovieBackend()},
        MediaStore(settings.media_dir),
        MetricsWriter(settings.metrics_dir, name),
        name=name,
        **options,  # type: ignore[arg-type]
    )


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, grace_s=5))
    try:
        yield stop
    finally:
        stop.set()
        await task
        await worker.queue.aclose()


async def until(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.1)
