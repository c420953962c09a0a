"""The analytics the studio charts, over the engines' metric events (DuckDB).

Each chart is of ``visible_projects``, looked up once per page by the caller."""

from __future__ import annotations

import pandas as pd

from storage.db import Database
from storage.metrics_reader import MetricsReader
from storage.models import User
from storage.projects import project_names

FINAL = ("succeeded", "failed", "blocked", "cancelled")


def visible_projects(db: Database, actor: User) -> dict[int, str]:
    """Only the projects the actor is a member of are ever charted."""
    return project_names(db, actor)


def _query(reader: MetricsReader, sql: str, projects: dict[int, str]) -> pd.DataFrame:
    ids = list(projects) or [-1]
    frame = reader.query(sql.replace("$projects", ",".join(str(int(i)) for i in ids)))
    if "project_id" in frame:
        frame["project"] = frame["project_id"].map(projects)
    return frame


def jobs_by_status(reader: MetricsReader, projects: dict[int, str]) -> pd.DataFrame:
    return _query(
        reader,
        f"""
        SELECT event AS status, count(DISTINCT job_id) AS jobs FROM events
        WHERE project_id IN ($projects) AND event IN {FINAL}
        GROUP BY 1 ORDER BY 2 DESC""",
        projects,
    )


def timings(reader: MetricsReader, projects: dict[int, str]) -> pd.DataFrame:
    """Per finished job: seconds waiting in the queue and seconds rendering."""
    return _query(
        reader,
        """
        SELECT job_id, any_value(project_id) AS project_id, any_value(backend) AS backend,
               max(queue_wait_s) FILTER (WHERE event = 'started') AS queue_wait_s,
               max(render_s) FILTER (WHERE event = 'succeeded') AS render_s
        FROM events WHERE project_id IN ($projects)
        GROUP BY job_id HAVING render_s IS NOT NULL ORDER BY job_id""",
        projects,
    )


def takes_per_day(reader: MetricsReader, projects: dict[int, str]) -> pd.DataFrame:
    return _query(
        reader,
        """
        SELECT CAST(ts AS DATE) AS day, backend, sum(takes) AS takes FROM events
        WHERE project_id IN ($projects) AND event = 'succeeded'
        GROUP BY 1, 2 ORDER BY 1""",
        projects,
    )


def cost_per_project(reader: MetricsReader, projects: dict[int, str]) -> pd.DataFrame:
    return _query(
        reader,
        """
        SELECT project_id, backend, sum(estimated_cost_usd) AS estimated_cost_usd,
               sum(video_s) AS video_s FROM events
        WHERE project_id IN ($projects) AND event = 'succeeded'
        GROUP BY 1, 2 ORDER BY 3 DESC""",
        projects,
    )
