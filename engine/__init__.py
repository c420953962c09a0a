"""The engine's public surface: what the studio and the CLI use, and nothing more.

Queue and watch jobs (``JobClient``), know every provider's models (``catalog_for``),
find or start the queue's Redis, and run an engine. A new provider is a ``Provider``.
"""

from engine.client import JobClient, Progress
from engine.providers import Provider, catalog_for
from engine.redis_server import queue_address, start_embedded
from storage.settings import Settings


def run_engine(settings: Settings, concurrency: int | None = None) -> None:
    """Run an engine process until it is signalled to stop."""
    # imported here: the worker and the assembler load only in engine processes
    from engine.main import run_engine as run

    run(settings, concurrency)


__all__ = [
    "JobClient",
    "Progress",
    "Provider",
    "catalog_for",
    "queue_address",
    "run_engine",
    "start_embedded",
]
