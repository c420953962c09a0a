"""The metrics store: engine events as Parquet segments (``metrics_reader`` queries them).

DuckDB lets one process write a database file and no one read it meanwhile, so engines
never hold a DuckDB file. Each engine buffers events and writes them as a new segment
(temp name, then rename, so a reader never sees half a file) at the top of the folder;
``metrics_compaction`` merges them by day, and the reader reads both (``metrics_files``).
"""

from __future__ import annotations

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
        # Added with the analytics' filters and fleet charts; older segments lack them (read
        # as nulls): who queued the job, a draft billed nothing, what an ending billed.
        ("user_id", pa.int64()),
        ("draft", pa.bool_()),
        ("billed_usd", pa.float64()),
        # A "sample" of one engine's state (no job): its jobs in flight and slots, the
        # stream's entries not yet delivered and delivered but not acknowledged, and how
        # long Veo's quota has been held (0: not held now), as /metrics gives them. Older
        # samples held a hold's time left: > 0 in both exactly while held, all the charts read.
        ("in_flight", pa.int32()),
        ("slots", pa.int32()),
        ("queue_depth", pa.int64()),
        ("pending", pa.int64()),
        ("quota_hold_s", pa.float64()),
    ]
)
EVENTS = (
    "queued", "started", "progress", "succeeded", "failed", "blocked", "cancelled", "sample"
)  # fmt: skip
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
                return write_segment(self.directory, name, table)
            except Exception:
                with self._lock:
                    self._rows[:0] = rows
                raise


def write_segment(directory: Path, name: str, table: pa.Table) -> Path:
    """Write ``table`` under ``name`` all at once: readers see the whole file or none."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / name
    temp = directory / f"{name}.tmp"
    pq.write_table(table, temp, compression="zstd")
    os.replace(temp, final)
    return final
