"""Drill-down: the jobs behind a bar, and one job's timeline of events."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from storage.analytics import BILLED, ENDINGS, WHERE, Scope
from storage.analytics_generation import REASON
from storage.metrics_reader import MetricsReader

Behind = Literal["day", "project", "user", "model", "outcome", "reason"]
# The condition each bar's key stands for: chosen from this table by name.
KEYED: dict[str, str] = {
    "day": "day = $key::DATE",
    "project": "project_id = $key::BIGINT",
    "user": "user_id = $key::BIGINT",
    "model": "model = $key",
    "outcome": "event = $key",
    "reason": f"{REASON} = $key",
}
MOST = 500  # jobs listed behind a bar


def jobs_behind(reader: MetricsReader, scope: Scope, by: Behind, key: Any) -> pd.DataFrame:
    """The jobs whose ending made the bar of ``key`` (newest first, at most ``MOST``);
    spend bars count the jobs that succeeded."""
    endings = ENDINGS if by in ("outcome", "reason") else ("succeeded",)
    return reader.query(
        f"""SELECT job_id, project_id, user_id, model, backend, event AS outcome,
                   ts AS ended_at, render_s, {BILLED} AS billed_usd,
                   estimated_cost_usd AS estimated_usd, error
            FROM events WHERE event IN (SELECT unnest($endings::VARCHAR[]))
            AND {KEYED[by]} AND {WHERE}
            ORDER BY ts DESC LIMIT $most""",
        scope.params(key=str(key), endings=list(endings), most=MOST),
    )


def timeline(reader: MetricsReader, scope: Scope, job_id: int) -> pd.DataFrame:
    """Every event of one job of the scope's projects, in order (none for another's)."""
    return reader.query(
        """SELECT ts AS time, event, engine, attempt, progress, queue_wait_s, render_s,
                  estimated_cost_usd, error
           FROM events WHERE job_id = $job AND project_id IN (SELECT unnest($projects::BIGINT[]))
           ORDER BY ts, event""",
        {"job": job_id, "projects": list(scope.projects)},
    )
