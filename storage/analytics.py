"""The analytics the studio charts, over the engines' metric events (DuckDB).

One pass over the events gives a row per job that ended (``finished_jobs``); each chart's
figures are summed from those rows. A query opens its own DuckDB database, which costs more
than the query itself, so the page asks once rather than once per chart.
"""

from __future__ import annotations

import pandas as pd

from storage.db import Database
from storage.metrics_reader import MetricsReader
from storage.models import User
from storage.projects import project_names

FINAL = ("succeeded", "failed", "blocked", "cancelled")
PHASES = {"queue_wait_s": "Queue wait", "render_s": "Render time"}


def visible_projects(db: Database, actor: User) -> dict[int, str]:
    """Only the projects the actor is a member of are ever charted."""
    return project_names(db, actor)


def finished_jobs(reader: MetricsReader, projects: dict[int, str]) -> pd.DataFrame:
    """A row per job of ``projects`` that ended: its project and engine, each end it
    reached (a job retried may have failed before it succeeded), and once it succeeded
    its day, seconds waiting in the queue and rendering, takes and estimated cost."""
    ids = ",".join(str(int(i)) for i in projects) or "-1"
    ends = ", ".join(f"bool_or(event = '{end}') AS {end}" for end in FINAL)
    return reader.query(
        f"""
        SELECT job_id, any_value(project_id) AS project_id, any_value(backend) AS backend,
               {ends},
               CAST(max(ts) FILTER (WHERE event = 'succeeded') AS DATE) AS day,
               max(queue_wait_s) FILTER (WHERE event = 'started') AS queue_wait_s,
               max(render_s) FILTER (WHERE event = 'succeeded') AS render_s,
               sum(takes) FILTER (WHERE event = 'succeeded') AS takes,
               sum(estimated_cost_usd) FILTER (WHERE event = 'succeeded') AS estimated_cost_usd
        FROM events WHERE project_id IN ({ids})
        GROUP BY job_id HAVING bool_or(event IN {FINAL}) ORDER BY job_id"""
    )


def jobs_by_status(jobs: pd.DataFrame) -> pd.DataFrame:
    """How many jobs reached each end, most first."""
    counts = pd.DataFrame({"status": list(FINAL), "jobs": [int(jobs[end].sum()) for end in FINAL]})
    return counts[counts["jobs"] > 0].sort_values("jobs", ascending=False, ignore_index=True)


def timings(jobs: pd.DataFrame) -> pd.DataFrame:
    """Per phase of the jobs that succeeded, the fastest, quartiles and slowest seconds:
    the box a chart draws, whatever the number of jobs."""
    done = jobs[jobs["render_s"].notna()]
    rows = []
    for column, phase in PHASES.items():
        seconds = done[column].dropna()
        if seconds.empty:
            continue
        q1, median, q3 = seconds.quantile([0.25, 0.5, 0.75])
        rows.append(
            {"phase": phase, "fastest": seconds.min(), "q1": q1, "median": median, "q3": q3,
             "slowest": seconds.max(), "jobs": len(seconds)}
        )  # fmt: skip
    return pd.DataFrame(rows)


def takes_per_day(jobs: pd.DataFrame) -> pd.DataFrame:
    done = jobs[jobs["succeeded"]]
    return done.groupby(["day", "backend"], as_index=False).agg(takes=("takes", "sum"))


def cost_per_project(
    jobs: pd.DataFrame, projects: dict[int, str], most: int = 20
) -> tuple[pd.DataFrame, int]:
    """The estimated cost of the ``most`` costliest projects, by engine, and of how many
    projects with takes they are the costliest: a chart of a thousand bars shows none."""
    done = jobs[jobs["succeeded"]]
    totals = done.groupby("project_id")["estimated_cost_usd"].sum()
    costliest = totals.nlargest(most).index
    shown = done[done["project_id"].isin(costliest)]
    cost = shown.groupby(["project_id", "backend"], as_index=False).agg(
        estimated_cost_usd=("estimated_cost_usd", "sum")
    )
    cost["project"] = cost["project_id"].map(projects)
    cost["total"] = cost["project_id"].map(totals)
    ordered = cost.sort_values(["total", "project_id"], ascending=[False, True], ignore_index=True)
    return ordered.drop(columns="total"), len(totals)
