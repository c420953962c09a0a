"""Analytics: jobs by status, queue wait and render time, takes per day, estimated cost."""

from __future__ import annotations

import pandas as pd
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


def _bars(frame: pd.DataFrame, x: str, y: str, title: str, by: str | None = None) -> go.Figure:
    """Bars of ``y`` by ``x`` in the frame's order, stacked by ``by`` if given. Built from
    graph objects: Plotly Express takes ten times as long to build the same figure."""
    series = frame.groupby(by, sort=True) if by else [(None, frame)]
    figure = go.Figure(
        [go.Bar(x=rows[x], y=rows[y], name=str(name or "")) for name, rows in series]
    )
    return figure.update_layout(
        title=title,
        xaxis_title=LABELS[x],
        yaxis_title=LABELS[y],
        barmode="stack",
        xaxis={"categoryorder": "array", "categoryarray": list(frame[x].unique())},
        showlegend=by is not None,
        legend_title=LABELS[by] if by else None,
    )


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
    cols[0].plotly_chart(_bars(status, "status", "jobs", "Jobs by outcome"), key="status")
    boxes = analytics.timings(jobs)
    if not boxes.empty:
        cols[1].plotly_chart(_timing_chart(boxes), key="timing")
    per_day = _engines_named(analytics.takes_per_day(jobs))
    cols = st.columns(2)
    cols[0].plotly_chart(_bars(per_day, "day", "takes", "Takes per day", by="backend"), key="days")
    cost, costed = analytics.cost_per_project(jobs, projects, COSTLIEST)
    shown = f"the {COSTLIEST} costliest of {costed:,}" if costed > COSTLIEST else "per project"
    title = f"Estimated cost, {shown} (USD, Veo list prices)"
    cols[1].plotly_chart(
        _bars(_engines_named(cost), "project", "estimated_cost_usd", title, by="backend"),
        key="cost",
    )
    st.caption(
        "Animatic takes are draft previews: their cost is what Veo would charge; nothing was billed."
    )
