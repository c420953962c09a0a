"""Querying the engines' metric events with an in-memory DuckDB.

Kept apart from the writer so an engine process never loads DuckDB or pandas: it only
writes segments, and stays small with a thousand generations in flight.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from storage.metrics import SCHEMA
from storage.metrics_tail import Tail

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
        self._tail = Tail(self._con, BLANK)
        self._lock = threading.Lock()  # one caller brings the tail up to date, opens a cursor

    def query(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        for _ in range(2):
            try:
                return self._query_once(sql, params or [])
            except duckdb.IOException:
                pass  # a segment was compacted away between listing and reading it
        return self._query_once(sql, params or [])

    def _query_once(self, sql: str, params: list[Any] | dict[str, Any]) -> pd.DataFrame:
        with self._lock:
            days = self._tail.catch_up(self._con, self.directory)
            cursor = self._con.cursor()  # its own views: pages query from many threads
            # a transaction's snapshot is taken at its first read: taken here, the query
            # sees the tail as it was brought up to date for it, whatever the next one does
            cursor.begin()
            cursor.execute("SELECT count(*) FROM tail_rows").fetchall()
        try:
            _define_events(cursor, days)
            return cursor.execute(sql, params).df()
        finally:
            cursor.close()


def _define_events(cursor: duckdb.DuckDBPyConnection, days: list[str]) -> None:
    cursor.register("blank", BLANK)
    parts = ["SELECT * FROM blank"]
    if days:
        cursor.read_parquet(days, hive_partitioning=True).create_view("compacted")
        parts.append("SELECT * FROM compacted")
    # the tail, each event once, less what compaction has kept already (``Tail``)
    cursor.execute(
        "CREATE TEMP VIEW tail_once AS SELECT * EXCLUDE (file) FROM tail_rows "
        "WHERE NOT EXISTS (SELECT 1 FROM kept_ids k WHERE k.event_id = tail_rows.event_id) "
        "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1"
    )
    parts.append("SELECT * FROM tail_once")
    cursor.execute("CREATE TEMP VIEW events AS " + " UNION ALL BY NAME ".join(parts))
