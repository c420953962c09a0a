"""The tail as the studio's reader keeps it: each segment read once, not once per query.

Busy engines leave a thousand small segments between two compactions (each flushes every
couple of seconds and at each job's end), and opening them all costs a query a second. A
segment never changes once written, nor does a compacted file, so the reader keeps two
tables in its own database, brought up to date before each query from what was added and
removed since the last: ``tail_rows``, the rows of the segments listed, and ``kept_ids``,
the ids compaction has kept for the days the tail spans and the day before each (what
compaction itself checks a batch against). Both live in DuckDB, within its memory limit
(it spills past it), however long compaction falls behind.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from storage.metrics_files import compacted, day_of, segments

# Files read in one go: each open file holds its reader's buffers, and a fresh reader's
# first query reads the whole tail (874 segments at once: 230 MB more for good; 64: 45 MB).
AT_ONCE = 64


class Tail:
    """The two tables, and the files each holds the rows or ids of. One caller at a time
    (the reader's lock): queries read them in a snapshot taken before the next update."""

    def __init__(self, con: duckdb.DuckDBPyConnection, blank: pa.Table) -> None:
        con.register("blank_rows", blank)
        con.execute(
            "CREATE TABLE tail_rows AS SELECT *, NULL::VARCHAR AS file FROM blank_rows LIMIT 0"
        )
        con.unregister("blank_rows")
        con.execute("CREATE TABLE kept_ids (event_id VARCHAR, file VARCHAR)")
        self._segments: set[str] = set()
        self._kept: set[str] = set()

    def catch_up(self, con: duckdb.DuckDBPyConnection, directory: Path) -> list[str]:
        """Bring both tables up to what ``directory`` holds; returns the compacted files,
        listed after the tail: a segment compacted in between is then in both (its events
        kept once, by ``kept_ids``), never in neither."""
        listed = [str(p) for p in segments(directory)]
        _follow(con, "tail_rows", self._segments, listed, _read_segments)
        days = compacted(directory)
        first, last = con.execute("SELECT min(day), max(day) FROM tail_rows").fetchall()[0]
        spanned = [
            str(f)
            for f in days
            if first is not None and first - timedelta(days=1) <= day_of(f.parent) <= last
        ]
        _follow(con, "kept_ids", self._kept, spanned, _read_ids)
        return [str(f) for f in days]


def _follow(
    con: duckdb.DuckDBPyConnection,
    table: str,
    held: set[str],
    wanted: list[str],
    read: str,
) -> None:
    """Make ``table`` hold the rows of ``wanted`` files alone: the files it no longer
    needs deleted, the new ones read once (``read``: a SELECT over ``$files``, each row with
    its ``file``). ``held`` follows each step as it is done, so a step that fails (a file
    compacted away meanwhile) leaves it true of what the table holds."""
    gone = sorted(held.difference(wanted))
    if gone:
        con.execute(f"DELETE FROM {table} WHERE list_contains($gone, file)", {"gone": gone})
        held.difference_update(gone)
    new = [f for f in wanted if f not in held]
    for start in range(0, len(new), AT_ONCE):
        chunk = new[start : start + AT_ONCE]
        con.execute(f"INSERT INTO {table} BY NAME {read}", {"files": chunk})
        held.update(chunk)


# Older segments lack the newer columns: read by name, the missing ones left null.
_read_segments = """SELECT * EXCLUDE (filename), ts::DATE AS day, filename AS file
    FROM read_parquet($files, union_by_name = true, filename = true)"""
_read_ids = "SELECT event_id, filename AS file FROM read_parquet($files, filename = true)"
