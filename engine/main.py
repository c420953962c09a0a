"""Starting an engine process: wiring settings to the worker and stopping it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import subprocess

import redis.asyncio as aioredis

from engine.animatic_backend import AnimaticBackend
from engine.backend import Backend
from engine.google_client import GcsReader, vertex_client
from engine.keys import Keys
from engine.movie_backend import MovieBackend
from engine.quota import QuotaGate
from engine.redis_server import answers, connect, embedded_url, engine_client, start_embedded
from engine.veo_backend import VeoBackend
from engine.worker import Worker, engine_name
from storage import catalog
from storage.db import Database
from storage.media import MediaStore
from storage.metrics import MetricsWriter
from studio.config import Settings
from studio.google_auth import google_credentials


def backends_for(settings: Settings, db: Database, queue: aioredis.Redis) -> dict[str, Backend]:
    """The animatic and the movie assembler always; Veo when it is the configured backend."""
    backends: dict[str, Backend] = {"animatic": AnimaticBackend(), "assembler": MovieBackend()}
    if settings.backend == "veo":
        credentials = google_credentials(settings)
        backends["veo"] = VeoBackend(
            settings,
            db,
            vertex_client(settings, credentials),
            QuotaGate(queue, Keys(settings.redis_prefix)),
            GcsReader(settings, credentials) if settings.veo_output_gcs_uri else None,
        )
    return backends


@contextlib.contextmanager
def queue_url(settings: Settings):  # type: ignore[no-untyped-def]
    """The configured Redis URL, or the embedded server's (started here if none answers)."""
    if settings.redis_url:
        yield settings.redis_url
        return
    url = embedded_url(settings.redis_dir)
    child: subprocess.Popen[bytes] | None = None
    if not answers(url):
        child = start_embedded(settings.redis_dir)
    try:
        yield url
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=10)


async def serve(
    settings: Settings, url: str, concurrency: int, stop: asyncio.Event | None = None
) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    connect(url).close()  # one clear line if Redis is not there
    catalog.use_prices(settings.prices)
    db = Database(settings.db_url)
    name = engine_name()
    queue = engine_client(url)
    worker = Worker(
        db,
        queue,
        Keys(settings.redis_prefix),
        backends_for(settings, db, queue),
        MediaStore(settings.media_dir),
        MetricsWriter(settings.metrics_dir, name),
        concurrency=concurrency,
        claim_idle_s=settings.claim_idle_seconds,
        max_attempts=settings.max_attempts,
        name=name,
    )
    try:
        await worker.run(stop)
    finally:
        await queue.aclose()
        db.dispose()


def run_engine(settings: Settings, concurrency: int | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s engine %(levelname)s %(message)s")
    Database(settings.db_url).migrate()
    with queue_url(settings) as url:
        asyncio.run(serve(settings, url, concurrency or settings.engine_concurrency))
