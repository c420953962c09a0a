"""The engine's public surface: what the studio and the CLI use, and nothing more.

Queue and watch jobs (``JobClient``), know every provider's models (``catalog_for``),
find or start the queue's Redis, and run an engine. A new provider is a ``Provider``.
"""

from engine.client import JobClient, Progress
from engine.main import queue_url, run_engine
from engine.providers import Provider, catalog_for
from engine.redis_server import queue_address, start_embedded

__all__ = [
    "JobClient",
    "Progress",
    "Provider",
    "catalog_for",
    "queue_address",
    "queue_url",
    "run_engine",
    "start_embedded",
]
