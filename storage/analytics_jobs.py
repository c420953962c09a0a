"""Drill-down: the jobs behind a bar, and one job's timeline of events."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from storage.analytics import BILLED, ENDINGS, WHERE, Scope
from storage.analytics_generation import REASON
from storage.metrics_reader import MetricsReader

Behind = Literal["day", "project", "user", "model", "outcome", "reason"]
# What each bar's key is compared with, and how it is read: chosen from this table by name.
KEYED: dict[str, tuple[str, str]] = {
    "day": ("day", "$key::DATE"),
    "project": ("project_id", "$key::BIGINT"),
    "user": ("user_id", "$key::BIGINT"),
    "model": ("model", "$key"),
    "outcome": ("event", "$key"),
    "reason": (REASON, "$key"),
}
# The endings each kind of bar counts: a reason is a failure's, spend is what succeeded.
COUNTED = {"outcome": ENDINGS, "reason": ("failed", "blocked")}
MOST = 500  # jobs listed behind a bar


def jobs_behind(reader: MetricsReader, scope: Scope, by: Behind, key: Any) -> pd.DataFrame:
    """The jobs whose ending made the bar of ``key`` (newest first, at most ``MOST``); a
    missing key (events from before who queued a job was recorded) is the bar of none."""
    column, value = KEYED[by]
    missing = key is None or bool(pd.isna(key))
    condition = f"{column} IS NULL" if missing else f"{column} = {value}"
    return reader.query(
        f"""SELECT job_id, project_id, user_id, model, backend, event AS outcome,
                   ts AS ended_at, render_s, {BILLED} AS billed_usd,
                   estimated_cost_usd AS estimated_usd, error
            FROM events WHERE event IN (SELECT unnest($endings::VARCHAR[]))
            AND {condition} AND {WHERE}
            ORDER BY ts DESC LIMIT $most""",
        scope.params(**({} if missing else {"key": str(key)}),
                     endings=list(COUNTED.get(by, ("succeeded",))), most=MOST),
    )  # fmt: skip


def timeline(reader: MetricsReader, scope: Scope, job_id: int) -> pd.DataFrame:
    """Every event of one job of the scope's projects, in order (none for another's)."""
    return reader.query(
        """SELECT ts AS time, event, engine, attempt, progress, queue_wait_s, render_s,
                  estimated_cost_usd, error
           FROM events WHERE job_id = $job AND project_id IN (SELECT unnest($projects::BIGINT[]))
           ORDER BY ts, event""",
        {"job": job_id, "projects": list(scope.projects)},
    )
