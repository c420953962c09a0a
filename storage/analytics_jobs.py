"""Drill-down: the jobs behind a bar of any chart, and one job's timeline of events."""

from __future__ import annotations

from typing import Any

import pandas as pd

from storage.analytics import BILLED, WHERE, Bar, Scope
from storage.analytics_generation import REASON
from storage.metrics_reader import MetricsReader

# What each of a bar's values is compared with, and how it is read: chosen from these
# tables by name, never taken from the caller's words.
KEYED: dict[str, tuple[str, str]] = {
    "day": ("day", "::DATE"),
    "hour": ("date_trunc('hour', ts)", "::TIMESTAMPTZ"),
    "project": ("project_id", "::BIGINT"),
    "user": ("user_id", "::BIGINT"),
    "model": ("model", ""),
    "reason": (REASON, ""),
}
MEASURES: dict[str, str] = {"queue_wait_s": "queue_wait_s", "render_s": "render_s"}
MOST = 500  # jobs listed behind a bar


def jobs_behind(reader: MetricsReader, scope: Scope, bar: Bar) -> pd.DataFrame:
    """The jobs whose events made ``bar`` (newest first, or slowest for a percentile; at
    most ``MOST``); a missing value (events from before who queued a job was recorded) is
    the bar of none."""
    conditions: list[str] = []
    values: dict[str, Any] = {}
    for n, (by, value) in enumerate(bar.keys):
        column, cast = KEYED[by]
        if value is None or bool(pd.isna(value)):
            conditions.append(f"{column} IS NULL")
        else:
            conditions.append(f"{column} = $key{n}{cast}")
            values[f"key{n}"] = str(value)
    order = "ts DESC"
    if bar.at_least:
        measure = MEASURES[bar.at_least[0]]
        conditions.append(f"{measure} >= $least")
        values["least"] = bar.at_least[1]
        order = f"{measure} DESC, ts DESC"
    return reader.query(
        f"""SELECT job_id, project_id, user_id, model, backend, event, ts AS time,
                   queue_wait_s, render_s, {BILLED} AS billed_usd,
                   estimated_cost_usd AS estimated_usd, error
            FROM events WHERE list_contains($counts::VARCHAR[], event)
            AND {" AND ".join(conditions or ["TRUE"])} AND {WHERE}
            ORDER BY {order} LIMIT $most""",
        scope.params(**values, counts=list(bar.counts), most=MOST),
    )


def timeline(reader: MetricsReader, scope: Scope, job_id: int) -> pd.DataFrame:
    """Every event of one job of the scope's projects, in order (none for another's)."""
    return reader.query(
        """SELECT ts AS time, event, engine, attempt, progress, queue_wait_s, render_s,
                  estimated_cost_usd, error
           FROM events WHERE job_id = $job AND list_contains($projects::BIGINT[], project_id)
           ORDER BY ts, event""",
        {"job": job_id, "projects": list(scope.projects)},
    )
