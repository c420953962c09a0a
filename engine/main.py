"""Starting an engine process: wiring settings to the worker and stopping it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.abc
import signal
import subprocess
import sys
from collections.abc import Iterator

import pyarrow as pa

from engine.debris import sweep_temp_files
from engine.job_log import JobLog
from engine.keys import Keys
from engine.listeners import JobListener
from engine.mailer import Mailer
from engine.metrics_listener import MetricsListener
from engine.movie_backend import MovieBackend
from engine.notifier import Notifier
from engine.providers import Backends, EngineKit, load_providers
from engine.redis_server import answers, connect, embedded_url, engine_client, start_embedded
from engine.worker import Worker, engine_name
from storage.catalog import Catalog
from storage.db import Database
from storage.logs import configure_logging
from storage.media import LocalMediaStore
from storage.metrics import MetricsWriter
from storage.settings import Settings


@contextlib.contextmanager
def queue_url(settings: Settings) -> Iterator[str]:
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
    await asyncio.to_thread(sweep_temp_files, [settings.media_dir, settings.metrics_dir])
    providers = load_providers(settings)
    catalog = Catalog([p.spec for p in providers], settings.prices)
    db = Database(settings.db_url, catalog=catalog)
    name = engine_name()
    queue = engine_client(url)
    keys = Keys(settings.redis_prefix)
    backends = Backends(providers, EngineKit(settings, catalog, queue, keys))
    if not settings.drafts:
        backends.build_all()
    listeners: list[JobListener] = [
        JobLog(),
        MetricsListener(
            MetricsWriter(settings.metrics_dir, name),
            queue,
            keys,
            retention_days=settings.metrics_retention_days,
        ),
    ]
    endpoints = None
    if settings.engine_metrics_port:
        from engine.observability import observe  # prometheus_client loads only when served

        watcher, endpoints = observe(settings, url, db, keys, name)
        listeners.append(watcher)
    worker = Worker(
        db,
        queue,
        keys,
        backends,
        MovieBackend(),
        LocalMediaStore(settings.media_dir),
        listeners,
        concurrency=concurrency,
        claim_idle_s=settings.claim_idle_seconds,
        max_attempts=settings.max_attempts,
        name=name,
        reconcile_s=settings.reconcile_seconds,
    )
    mailer = Mailer(settings) if settings.mails else None
    notifying = asyncio.create_task(
        Notifier(
            db, mailer, settings.email_digest_hour, allow_private=settings.webhooks_allow_private
        ).run(stop)
    )
    try:
        await worker.run(stop)
    finally:
        stop.set()  # the worker stopped: the notifier too, once its sends under way end
        await notifying
        if endpoints is not None:
            endpoints.stop()
        await queue.aclose()
        db.dispose()


class _WithoutPandas(importlib.abc.MetaPathFinder):
    """pyarrow's first conversion of Python values (the first metrics flush) asks whether
    they are pandas objects by importing pandas: 45 MB that no engine uses. Refused here,
    pyarrow takes pandas as not installed. (``sys.modules["pandas"] = None`` does not do:
    pyarrow's compiled import takes the None for the module.)"""

    def find_spec(self, fullname: str, *_: object) -> None:
        if fullname.partition(".")[0] == "pandas":
            raise ModuleNotFoundError("an engine does without pandas", name=fullname)


def lean_arrow() -> None:
    """Arrow as an engine's metrics listener uses it: without pandas, and on the system's
    allocator, which a busy engine reuses, rather than Arrow's own (jemalloc), which keeps
    what each flush of a segment freed."""
    sys.meta_path.insert(0, _WithoutPandas())
    pa.set_memory_pool(pa.system_memory_pool())


# glibc's mallopt parameter for the number of heaps (arenas) threads allocate from.
M_ARENA_MAX = -8


def fewer_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates a heap of its own (up to eight per core) and
    keeps what it freed there for that thread; an engine's threads (SQL, saving takes,
    writing metrics) share two. Measured at a thousand jobs in flight: 4-6 MB less at the
    peak, no more CPU a job. Elsewhere than glibc, nothing to do."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(M_ARENA_MAX, arenas)


def run_engine(settings: Settings, concurrency: int | None = None) -> None:
    lean_arrow()
    fewer_malloc_arenas()  # before the worker's threads start
    configure_logging(settings, "engine", engine=engine_name())
    Database(settings.db_url).migrate()
    with queue_url(settings) as url:
        asyncio.run(serve(settings, url, concurrency or settings.engine_concurrency))
