"""Analytics: jobs by status, queue wait and render time, takes per day, estimated cost."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from storage import analytics
from studio.ui import services, user

COSTLIEST = 20  # projects in the cost chart
# Each chart's axes and legends in words.
LABELS = {
    "status": "Outcome",
    "jobs": "Jobs",
    "day": "Day",
    "takes": "Takes",
    "backend": "Engine",
    "project": "Project",
    "estimated_cost_usd": "Estimated cost (USD)",
}


def _engines_named(frame: pd.DataFrame) -> pd.DataFrame:
    """The engine that made each row by its label ("Veo on Vertex AI"), not its id."""
    names = {name: spec.label for name, spec in services().catalog.providers.items()}
    return frame.assign(backend=frame["backend"].map(lambda b: names.get(b, b)))


def _timing_chart(boxes: pd.DataFrame) -> go.Figure:
    """Boxes drawn from their figures: the chart is as light for a thousand jobs as for one."""
    figure = go.Figure(
        go.Box(
            x=boxes["phase"],
            lowerfence=boxes["fastest"],
            q1=boxes["q1"],
            median=boxes["median"],
            q3=boxes["q3"],
            upperfence=boxes["slowest"],
            name="",
        )
    )
    return figure.update_layout(
        title="Queue wait and render time (fastest to slowest)",
        xaxis_title="Phase",
        yaxis_title="Seconds",
    )


def render() -> None:
    st.title("Analytics")
    projects = analytics.visible_projects(services().db, user())
    jobs = analytics.finished_jobs(services().metrics, projects)
    if jobs.empty:
        st.info("No generation has run yet; figures appear as the engine works.")
        return
    cols = st.columns(2)
    status = analytics.jobs_by_status(jobs)
    cols[0].plotly_chart(
        px.bar(status, x="status", y="jobs", title="Jobs by outcome", labels=LABELS),
        key="status",
    )
    boxes = analytics.timings(jobs)
    if not boxes.empty:
        cols[1].plotly_chart(_timing_chart(boxes), key="timing")
    per_day = _engines_named(analytics.takes_per_day(jobs))
    cols = st.columns(2)
    cols[0].plotly_chart(
        px.bar(per_day, x="day", y="takes", color="backend", title="Takes per day", labels=LABELS),
        key="days",
    )
    cost, costed = analytics.cost_per_project(jobs, projects, COSTLIEST)
    shown = f"the {COSTLIEST} costliest of {costed:,}" if costed > COSTLIEST else "per project"
    cols[1].plotly_chart(
        px.bar(
            _engines_named(cost),
            x="project",
            y="estimated_cost_usd",
            color="backend",
            title=f"Estimated cost, {shown} (USD, Veo list prices)",
            labels=LABELS,
        ),
        key="cost",
    )
    st.caption(
        "Animatic takes are draft previews: their cost is what Veo would charge; nothing was billed."
    )
