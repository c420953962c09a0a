"""Querying the engines' metric segments with an in-memory DuckDB.

Kept apart from the writer so an engine process never loads DuckDB or pandas: it only
writes segments, and stays small with a thousand generations in flight.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from storage.metrics import SCHEMA, segments


class MetricsReader:
    """Runs SQL over every segment through a view named ``events``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        for _ in range(2):
            try:
                return self._query_once(sql, params or [])
            except duckdb.IOException:
                pass  # a segment was compacted away between listing and reading it
        return self._query_once(sql, params or [])

    def _query_once(self, sql: str, params: list[Any]) -> pd.DataFrame:
        con = duckdb.connect(":memory:")
        try:
            if segments(self.directory):
                pattern = str(self.directory / "*.parquet").replace("'", "''")
                con.execute(
                    f"CREATE VIEW events AS SELECT * FROM read_parquet('{pattern}', union_by_name=true) "
                    "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1"
                )
            else:
                con.register("events", SCHEMA.empty_table())
            return con.execute(sql, params).df()
        finally:
            con.close()
