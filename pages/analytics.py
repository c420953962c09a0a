"""Analytics: jobs by status, queue wait and render time, takes per day, estimated cost."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from storage import analytics
from studio.ui import services, user


def render() -> None:
    st.title("Analytics")
    db, me, reader = services().db, user(), services().metrics
    status = analytics.jobs_by_status(db, me, reader)
    if status.empty:
        st.info("No generation has run yet; figures appear as the engine works.")
        return
    cols = st.columns(2)
    cols[0].plotly_chart(
        px.bar(status, x="status", y="jobs", title="Jobs by outcome"), key="status"
    )
    timing = analytics.timings(db, me, reader)
    if not timing.empty:
        melted = timing.melt(
            id_vars=["job_id"],
            value_vars=["queue_wait_s", "render_s"],
            var_name="phase",
            value_name="seconds",
        )
        cols[1].plotly_chart(
            px.box(
                melted, x="phase", y="seconds", points="all", title="Queue wait and render time (s)"
            ),
            key="timing",
        )
    per_day = analytics.takes_per_day(db, me, reader)
    cols = st.columns(2)
    cols[0].plotly_chart(
        px.bar(per_day, x="day", y="takes", color="backend", title="Takes per day"), key="days"
    )
    cost = analytics.cost_per_project(db, me, reader)
    cols[1].plotly_chart(
        px.bar(
            cost,
            x="project",
            y="estimated_cost_usd",
            color="backend",
            title="Estimated cost per project (USD, Veo list prices)",
        ),
        key="cost",
    )
    st.caption(
        "Animatic takes are draft previews: their cost is what Veo would charge; nothing was billed."
    )
