"""The metrics store: engine events as Parquet segments (``metrics_reader`` queries them).

DuckDB lets one process write a database file and no one read it meanwhile, so engines
never hold a DuckDB file. Each engine buffers events and writes them as a new segment
(temp name, then rename, so a reader never sees half a file); the studio queries all
segments at once. Compaction merges small segments; a reader may briefly see an event in
both a segment and its merge, so the ``events`` view keeps one row per ``event_id``.
"""

from __future__ import annotations

import glob
import os
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("ts", pa.timestamp("ms", tz="UTC")),
        ("event", pa.string()),
        ("engine", pa.string()),
        ("job_id", pa.int64()),
        ("project_id", pa.int64()),
        ("scene_id", pa.int64()),
        ("backend", pa.string()),
        ("model", pa.string()),
        ("attempt", pa.int32()),
        ("takes", pa.int32()),
        ("progress", pa.float64()),
        ("queue_wait_s", pa.float64()),
        ("render_s", pa.float64()),
        ("video_s", pa.float64()),
        ("estimated_cost_usd", pa.float64()),
        ("bytes", pa.int64()),
        ("error", pa.string()),
    ]
)
EVENTS = ("queued", "started", "progress", "succeeded", "failed", "blocked", "cancelled")
FIELDS = set(SCHEMA.names)


class MetricsWriter:
    """Buffers one engine's events and writes them out as segments; safe across threads."""

    def __init__(self, directory: Path, writer: str) -> None:
        self.directory = directory
        self.writer = writer
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        # One flush at a time, held for the whole write: a flush that returns has written
        # every row recorded before it began (another's write is never half-way).
        self._flushing = threading.Lock()
        self._seq = 0
        directory.mkdir(parents=True, exist_ok=True)

    def record(self, event: str, event_id: str | None = None, **fields: Any) -> None:
        """Buffer one event. An ``event_id`` given makes recording it twice harmless: the
        reader keeps one row per id."""
        assert event in EVENTS, event
        unknown = set(fields) - FIELDS
        assert not unknown, unknown
        row = {
            "event_id": event_id or uuid.uuid4().hex,
            "ts": fields.pop("ts", None) or datetime.now(UTC),
            "event": event,
            "engine": self.writer,
            **fields,
        }
        with self._lock:
            self._rows.append(row)

    def flush(self) -> Path | None:
        """Write what is buffered as one segment. If the write fails the rows stay
        buffered for the next flush, and the error is raised."""
        with self._flushing:
            with self._lock:
                rows, self._rows = self._rows, []
                self._seq += 1
                seq = self._seq
            if not rows:
                return None
            name = f"events-{int(time.time() * 1000)}-{self.writer}-{seq:06d}.parquet"
            try:
                table = pa.Table.from_pylist(rows, schema=SCHEMA)
                return _write_segment(self.directory, name, table)
            except Exception:
                with self._lock:
                    self._rows[:0] = rows
                raise


def _write_segment(directory: Path, name: str, table: pa.Table) -> Path:
    final = directory / name
    temp = directory / f"{name}.tmp"
    pq.write_table(table, temp, compression="zstd")
    os.replace(temp, final)
    return final


def segments(directory: Path) -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(directory / "*.parquet")))


def compact(directory: Path, writer: str, min_segments: int = 16, min_age_s: float = 30.0) -> int:
    """Merge the segments older than ``min_age_s`` into one; returns how many were merged.

    Call it from one process at a time (the engine takes a Redis lock first).
    """
    cutoff = time.time() - min_age_s
    old = [p for p in segments(directory) if p.stat().st_mtime < cutoff]
    if len(old) < min_segments:
        return 0
    table = pa.concat_tables([pq.read_table(p, schema=SCHEMA) for p in old])
    _write_segment(directory, f"compacted-{int(time.time() * 1000)}-{writer}.parquet", table)
    for path in old:
        path.unlink(missing_ok=True)
    return len(old)
