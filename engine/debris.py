"""Clearing what stopped engines leave behind: their names in the consumer group, and the
temp files they were writing when they died (a finished write is renamed, never left)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import redis.asyncio as aioredis

from engine.keys import GROUP, Keys

# Temp files untouched this long belong to a writer that is gone (ffmpeg and the animatic
# write continuously; an upload lands in seconds).
STALE_S = 600.0
TEMP_FILES = (".*.part", "*.parquet.tmp")  # the media store's and the metrics writer's
RENDER_DIRS = "veogen-render-*"  # the assembler's scratch folders, named with their pid


async def forget_gone_consumers(queue: aioredis.Redis, keys: Keys, me: str, idle_ms: int) -> int:
    """Remove consumers that hold no message and have not read for ``idle_ms``: engines
    that stopped (a live engine reads every second)."""
    consumers = await queue.xinfo_consumers(keys.stream, GROUP)
    gone = [
        c["name"]
        for c in consumers
        if c["pending"] == 0 and c["idle"] > idle_ms and _text(c["name"]) != me
    ]
    for name in gone:
        await queue.xgroup_delconsumer(keys.stream, GROUP, name)
    return len(gone)


def _text(name: bytes | str) -> str:
    return name.decode() if isinstance(name, bytes) else name


def sweep_temp_files(folders: list[Path], stale_s: float = STALE_S) -> int:
    """Delete temp files (and render scratch folders) nobody has written for ``stale_s``."""
    cutoff = time.time() - stale_s
    swept = 0
    for folder in folders:
        for pattern in TEMP_FILES:
            for path in folder.rglob(pattern):
                if _stale(path, cutoff):
                    path.unlink(missing_ok=True)
                    swept += 1
    for scratch in Path(tempfile.gettempdir()).glob(RENDER_DIRS):
        if scratch.is_dir() and not _alive(scratch.name.split("-")[2]):
            shutil.rmtree(scratch, ignore_errors=True)
            swept += 1
    return swept


def _alive(pid: str) -> bool:
    """Whether the process that made a scratch folder still runs (a render of any length)."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # another user's: alive, and not ours to remove
    return True


def _stale(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except OSError:
        return False
