"""Querying the engines' metric events with an in-memory DuckDB.

Kept apart from the writer so an engine process never loads DuckDB or pandas: it only
writes segments, and stays small with a thousand generations in flight.
"""

from __future__ import annotations

import tempfile
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from storage.metrics import SCHEMA
from storage.metrics_files import compacted, segments

# Every column of today's schema, and the day: a view over files that lack the newer
# columns still has them (nulls), whatever files there are.
BLANK = pa.schema([*SCHEMA, pa.field("day", pa.date32())]).empty_table()
# DuckDB's share of the studio's memory (it spills past it) and of the machine's cores.
MEMORY_LIMIT = "256MB"
THREADS = 2


class MetricsReader:
    """Runs SQL over every event, each once, through a view named ``events`` (with a
    ``day`` column, UTC): the compacted days as they are, and the tail de-duplicated on
    its own, less what compaction has already kept."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        spill = Path(tempfile.gettempdir()) / "veogen-duckdb"  # not ".tmp" where it runs
        self._con = duckdb.connect(
            ":memory:",
            config={"memory_limit": MEMORY_LIMIT, "threads": THREADS, "temp_directory": str(spill)},
        )
        self._con.execute("SET TimeZone = 'UTC'")
        # compacted files never change once written: their footers are read once
        self._con.execute("SET parquet_metadata_cache = true")
        self._lock = threading.Lock()  # a cursor is opened from the one connection at a time

    def query(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        for _ in range(2):
            try:
                return self._query_once(sql, params or [])
            except duckdb.IOException:
                pass  # a segment was compacted away between listing and reading it
        return self._query_once(sql, params or [])

    def _query_once(self, sql: str, params: list[Any] | dict[str, Any]) -> pd.DataFrame:
        with self._lock:
            cursor = self._con.cursor()  # its own views: pages query from many threads
        try:
            _define_events(cursor, self.directory)
            return cursor.execute(sql, params).df()
        finally:
            cursor.close()


def _define_events(cursor: duckdb.DuckDBPyConnection, directory: Path) -> None:
    # The tail is listed before the days: a segment compacted in between is then either
    # still there (its events counted once, below) or gone (an IOException, and a retry).
    tail = [str(p) for p in segments(directory)]
    days = [str(p) for p in compacted(directory)]
    cursor.register("blank", BLANK)
    parts = ["SELECT * FROM blank"]
    if days:
        cursor.read_parquet(days, hive_partitioning=True).create_view("compacted")
        parts.append("SELECT * FROM compacted")
    if tail:
        cursor.read_parquet(tail, union_by_name=True).create_view("tail")
        first = cursor.execute("SELECT min(ts)::DATE FROM tail").fetchone()
        start = first[0] if first and first[0] else date.today()
        # an event compacted while its segment is still listed, or recorded again after
        # its first copy was compacted, lies in the tail's days or the day before
        recent = "SELECT event_id FROM compacted WHERE day >= $start" if days else None
        cursor.execute(
            "CREATE TEMP TABLE kept AS " + (recent or "SELECT NULL::VARCHAR AS event_id LIMIT 0"),
            {"start": start - timedelta(days=1)} if recent else {},
        )
        cursor.execute(
            "CREATE TEMP VIEW tail_once AS "
            "SELECT * EXCLUDE (day), ts::DATE AS day FROM (SELECT * FROM blank UNION ALL BY NAME "
            "SELECT * FROM tail) WHERE event_id NOT IN (SELECT event_id FROM kept) "
            "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1"
        )
        parts.append("SELECT * FROM tail_once")
    cursor.execute("CREATE TEMP VIEW events AS " + " UNION ALL BY NAME ".join(parts))
