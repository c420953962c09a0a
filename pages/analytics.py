"""Analytics: jobs by status, queue wait and render time, takes per day, estimated cost."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from storage import analytics
from studio.ui import services, user

PHASES = {"queue_wait_s": "Queue wait", "render_s": "Render time"}
# Each chart's axes and legends in words.
LABELS = {
    "status": "Outcome",
    "jobs": "Jobs",
    "phase": "Phase",
    "seconds": "Seconds",
    "day": "Day",
    "takes": "Takes",
    "backend": "Engine",
    "project": "Project",
    "estimated_cost_usd": "Estimated cost (USD)",
}


def _engines_named(frame: pd.DataFrame) -> pd.DataFrame:
    """The engine that made each row by its label ("Veo on Vertex AI"), not its id."""
    providers = services().catalog.providers
    names = {name: spec.label for name, spec in providers.items()}
    return frame.assign(backend=frame["backend"].map(lambda b: names.get(b, b)))


def _timing_chart(timing: pd.DataFrame) -> go.Figure:
    melted = timing.melt(
        id_vars=["job_id"], value_vars=list(PHASES), var_name="phase", value_name="seconds"
    )
    melted["phase"] = melted["phase"].map(PHASES)
    return px.box(
        melted,
        x="phase",
        y="seconds",
        points="all",
        title="Queue wait and render time (s)",
        labels=LABELS,
    )


def render() -> None:
    st.title("Analytics")
    reader = services().metrics
    projects = analytics.visible_projects(services().db, user())
    status = analytics.jobs_by_status(reader, projects)
    if status.empty:
        st.info("No generation has run yet; figures appear as the engine works.")
        return
    cols = st.columns(2)
    cols[0].plotly_chart(
        px.bar(status, x="status", y="jobs", title="Jobs by outcome", labels=LABELS),
        key="status",
    )
    timing = analytics.timings(reader, projects)
    if not timing.empty:
        cols[1].plotly_chart(_timing_chart(timing), key="timing")
    per_day = _engines_named(analytics.takes_per_day(reader, projects))
    cols = st.columns(2)
    cols[0].plotly_chart(
        px.bar(per_day, x="day", y="takes", color="backend", title="Takes per day", labels=LABELS),
        key="days",
    )
    cost = _engines_named(analytics.cost_per_project(reader, projects))
    cols[1].plotly_chart(
        px.bar(
            cost,
            x="project",
            y="estimated_cost_usd",
            color="backend",
            title="Estimated cost per project (USD, Veo list prices)",
            labels=LABELS,
        ),
        key="cost",
    )
    st.caption(
        "Animatic takes are draft previews: their cost is what Veo would charge; nothing was billed."
    )
