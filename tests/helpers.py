"""Building blocks shared by the engine tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from engine.keys import Keys
from engine.listeners import JobListener
from engine.metrics_listener import MetricsListener
from engine.movie_backend import MovieBackend
from engine.providers import Backends, EngineKit, Provider, load_providers
from engine.redis_server import engine_client
from engine.worker import Worker
from storage.db import Database
from storage.media import LocalMediaStore
from storage.metrics import MetricsWriter
from storage.settings import Settings


def make_worker(
    settings: Settings,
    db: Database,
    name: str,
    providers: list[Provider] | None = None,
    listeners: tuple[JobListener, ...] = (),
    **options: float,
) -> Worker:
    """An engine as ``veogen engine`` builds it, in this process: the configured providers
    (the animatic, Veo) built when their first job comes, the assembler, the metrics (and
    ``listeners``)."""
    queue = engine_client(settings.redis_url or "")
    keys = Keys(settings.redis_prefix)
    kit = EngineKit(settings, db.catalog, queue, keys)
    return Worker(
        db,
        queue,
        keys,
        Backends(providers or load_providers(settings), kit),
        MovieBackend(),
        LocalMediaStore(settings.media_dir),
        [MetricsListener(MetricsWriter(settings.metrics_dir, name), queue, keys), *listeners],
        name=name,
        **options,  # type: ignore[arg-type]  # concurrency, claim_idle_s, max_attempts
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


async def until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.1)
