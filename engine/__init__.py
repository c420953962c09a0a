"""The engine's public surface: what the studio and the CLI use, and nothing more.

Queue and watch jobs (``JobClient``), know every provider's models (``catalog_for``),
find or start the queue's Redis, run an engine, read a video's frame (``frame_jpeg``, for
reports), and say whether Redis and SQL answer (``ready``, for health checks). A new
provider is a ``Provider``.
"""

from typing import BinaryIO

from engine.client import JobClient, Progress
from engine.providers import Provider, catalog_for
from engine.readiness import ready
from engine.redis_server import queue_address, start_embedded
from storage.settings import Settings


def frame_jpeg(video: BinaryIO, seconds: float, height: int) -> bytes | None:
    """A video's frame at ``seconds`` as a small JPEG (None: unreadable there)."""
    from engine.video_files import frame_jpeg as grab  # PyAV loads only when asked

    return grab(video, seconds, height)


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
    "frame_jpeg",
    "queue_address",
    "ready",
    "run_engine",
    "start_embedded",
]
