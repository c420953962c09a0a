"""Analytics: spend, generation and the engines' fleet, filtered alike, with the jobs behind
any bar, one job's timeline, and every chart's figures to download."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from storage import (
    analytics,
    analytics_fleet,
    analytics_generation,
    analytics_jobs,
    analytics_review,
    analytics_spend,
)
from storage.analytics import Scope
from storage.cut import ASSEMBLER
from studio.analytics_charts import bars, lines, stacked_by, with_marks
from studio.analytics_filters import filter_bar
from studio.chart_export import export_buttons as _export
from studio.ui import services, user

SPEND_BY = {"day": "Day", "project": "Project", "user": "Person", "model": "Model"}
OUTCOMES = {
    "succeeded": "Succeeded",
    "failed": "Failed",
    "blocked": "Blocked by safety filters",
    "cancelled": "Cancelled",
}
PERCENTILES = {"p50": "Median (p50)", "p90": "p90", "p95": "p95", "p99": "p99"}
# Every table and download in words, whatever the chart.
WORDS = {
    "label": "Bar",
    "billed_usd": "Billed (USD)",
    "estimated_usd": "Estimated at list prices (USD)",
    "jobs": "Jobs",
    "hour": "Hour (UTC)",
    "outcome": "Outcome",
    "model": "Model",
    "percent": "Share of the model's jobs (%)",
    "reason": "Reason",
    "phase": "Phase",
    "project": "Project",
    "approved_scenes": "Approved scenes",
    "approved_seconds": "Approved seconds of film",
    "takes": "Takes made for them",
    "usd_per_approved_second": "Billed per approved second (USD)",
    "estimated_usd_per_approved_second": "Estimated per approved second (USD)",
    "takes_per_approved_scene": "Takes per approved scene",
    "time": "Time (UTC)",
    "queue_depth": "Jobs waiting (deepest)",
    "in_flight": "Jobs in flight",
    "slots": "Engine slots",
    "utilisation_percent": "Slots in use (%)",
    "quota_held_percent": "Time held for quota (%)",
    "event": "Event",
    "engine": "Engine",
    "attempt": "Attempt",
    "progress": "Progress",
    "queue_wait_s": "Queue wait (s)",
    "render_s": "Generation time (s)",
    "estimated_cost_usd": "Estimated (USD)",
    "error": "Why it failed",
    **{p: f"{words} (s)" for p, words in PERCENTILES.items()},
}
# The drill-down's table, in words.
JOB_COLUMNS = {
    "job_id": "Job",
    "project": "Project",
    "person": "Queued by",
    "model": "Model",
    "outcome": "Outcome",
    "ended_at": "Ended (UTC)",
    "render_s": "Generation time (s)",
    "billed_usd": "Billed (USD)",
    "estimated_usd": "Estimated (USD)",
    "error": "Why it failed",
}


def render() -> None:
    st.title("Analytics")
    db, actor = services().db, user()
    options = analytics.scope_for(db, actor)
    if not options.projects:
        st.info("Analytics chart the projects you are a member of; you have none yet.")
        return
    st.caption(
        "What your projects cost, how generation goes and how the engines keep up. "
        "The filters apply to every chart; click a bar to see the jobs behind it."
    )
    scope = options.narrowed(filter_bar(options, services().catalog))
    tabs = st.tabs(["Spend", "Generation", "Fleet"], key="an-section", on_change="rerun")
    for tab, section in zip(tabs, (_spend, _generation, _fleet), strict=True):
        if tab.open:  # only the section on screen is queried
            with tab:
                section(scope)


def _spend(scope: Scope) -> None:
    reader = services().metrics
    forecast = analytics_spend.month_forecast(reader, scope, datetime.now(UTC).date())
    by = st.segmented_control(
        "Spend by", list(SPEND_BY), format_func=SPEND_BY.__getitem__, default="day",
        key="an-spend-by",
    ) or "day"  # fmt: skip
    frame = analytics_spend.spend(reader, scope, by)  # type: ignore[arg-type]  # one of SPEND_BY
    cols = st.columns(4)
    cols[0].metric("Billed in these dates", _usd(frame["billed_usd"].sum()))
    cols[1].metric("Estimated at list prices", _usd(frame["estimated_usd"].sum()))
    cols[2].metric("Billed this month", _usd(forecast.month_to_date_usd))
    cols[3].metric(
        "Month-end forecast", _usd(forecast.month_end_usd),
        help=f"At the last week's rate: {_usd(forecast.rate_usd_per_day)} a day",
    )  # fmt: skip
    if frame.empty:
        st.info("Nothing succeeded in these dates with these filters.")
        return
    frame.insert(1, "label", _labels(by, frame["key"], scope))
    figure = bars(
        frame, "label",
        {"billed_usd": "Billed (USD)", "estimated_usd": "Estimated at list prices (USD)"},
        f"Spend by {SPEND_BY[by].lower()}", SPEND_BY[by], "US dollars",
    )  # fmt: skip
    whole = analytics_spend.spend(reader, scope.lifelong(), "project")  # here and for _film
    if by == "project":  # a budget is for a project's whole life: its spend is marked too
        marked = frame[frame["key"].isin(scope.budgets)]
        spent = dict(zip(whole["key"], whole["billed_usd"], strict=True))
        with_marks(figure, list(marked["label"]), [scope.budgets[k] for k in marked["key"]],
                   "Project budget (USD)")  # fmt: skip
        with_marks(figure, list(marked["label"]), [spent.get(k, 0.0) for k in marked["key"]],
                   "Billed in the project's whole life (USD)", symbol="diamond-open")  # fmt: skip
    if by == "user":
        days = _days(scope)
        marked = frame[frame["key"].isin(scope.limits)]
        with_marks(figure, list(marked["label"]), [scope.limits[k] * days for k in marked["key"]],
                   f"Daily limit × {days} days (USD)")  # fmt: skip
    chosen = st.plotly_chart(figure, key=f"an-spend-{by}", on_select="rerun",
                             selection_mode="points")  # fmt: skip
    _export(
        frame[["label", "billed_usd", "estimated_usd", "jobs"]].rename(
            columns={**WORDS, "label": SPEND_BY[by], "jobs": "Jobs succeeded"}
        ),
        f"spend-by-{by}",
        f"an-spend-{by}-export",
    )
    _drill(scope, by, frame, chosen)
    _film(scope, whole)


def _film(scope: Scope, lifelong: pd.DataFrame) -> None:
    st.subheader("What approved film costs")
    film = analytics_review.film_costs(services().db, services().metrics, scope, lifelong)
    if film.empty:
        st.caption("No take is approved yet: approve takes on the Review page to see these.")
        return
    st.caption("Each chosen project over its whole life, whatever the dates and other filters "
               "above: all it spent, over the seconds of film approved so far.")  # fmt: skip
    cols = st.columns(2)
    with cols[0]:
        st.plotly_chart(bars(
            film, "project",
            {"usd_per_approved_second": "Billed", "estimated_usd_per_approved_second": "Estimated"},
            "Cost per approved second of film", "Project", "US dollars per second",
        ), key="an-film-cost")  # fmt: skip
    with cols[1]:
        st.plotly_chart(bars(
            film, "project", {"takes_per_approved_scene": "Takes made"},
            "Takes per approved scene", "Project", "Takes per scene",
        ), key="an-film-takes")  # fmt: skip
    _export_in_words(film, "approved-film", "an-film-export")


def _drill(scope: Scope, by: str, frame: pd.DataFrame, chosen: Any) -> None:
    """The jobs behind a bar (clicked on the chart, or picked), and one job's timeline."""
    keys = dict(zip(frame["label"], frame["key"], strict=True))
    picker = f"an-drill-{by}"
    points = chosen.selection.points if chosen and chosen.selection else []
    if points and points[0].get("x") in keys:
        st.session_state[picker] = points[0]["x"]
    label = st.selectbox(
        "Jobs behind a bar", list(keys), index=None, key=picker,
        placeholder="Click a bar, or choose one here",
    )  # fmt: skip
    if label is not None:
        _jobs(scope, by, keys[label], label)


def _jobs(scope: Scope, by: analytics_jobs.Behind | str, key: Any, label: str) -> None:
    reader = services().metrics
    jobs = analytics_jobs.jobs_behind(reader, scope, by, key)  # type: ignore[arg-type]
    shown = jobs.assign(
        project=jobs["project_id"].map(scope.projects),
        person=jobs["user_id"].map(lambda u: scope.people.get(u, "someone else")),
        model=jobs["model"].map(_model),
        outcome=jobs["outcome"].map(OUTCOMES),
        ended_at=jobs["ended_at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
    )[list(JOB_COLUMNS)].rename(columns=JOB_COLUMNS)
    more = f" (the newest {analytics_jobs.MOST})" if len(jobs) == analytics_jobs.MOST else ""
    st.markdown(f"**{len(jobs):,} jobs behind {label}{more}**")
    st.dataframe(shown, hide_index=True, height=240)
    _export(shown, f"jobs-{by}-{key}", f"an-jobs-{by}")
    job = st.selectbox("One job's timeline", list(jobs["job_id"]), index=None,
                       placeholder="Choose a job", key=f"an-job-{by}",
                       format_func=lambda j: f"Job {j}")  # fmt: skip
    if job is not None:
        events = analytics_jobs.timeline(reader, scope, int(job))
        events["time"] = events["time"].dt.strftime("%Y-%m-%d %H:%M:%S")
        st.dataframe(events.rename(columns=WORDS), hide_index=True)
        _export_in_words(events, f"job-{job}-timeline", "an-timeline")


def _generation(scope: Scope) -> None:
    reader = services().metrics
    hourly = analytics_generation.throughput(reader, scope)
    if hourly.empty:
        st.info("No job ended in these dates with these filters.")
        return
    st.plotly_chart(stacked_by(
        hourly, "hour", "outcome", "jobs", "Jobs ended per hour", "Hour (UTC)", "Jobs per hour",
        OUTCOMES, width=3_600_000 * 0.9,
    ), key="an-throughput")  # fmt: skip
    _export_in_words(hourly, "jobs-per-hour", "an-throughput-export")
    rates = analytics_generation.outcomes(reader, scope)
    rates["model"] = rates["model"].map(_model)
    rates["percent"] = rates["share"] * 100
    reasons = analytics_generation.failure_reasons(reader, scope)
    cols = st.columns(2)
    with cols[0]:
        st.plotly_chart(stacked_by(
            rates, "model", "outcome", "percent", "How jobs ended, per model", "Model",
            "Share of the model's jobs (%)", OUTCOMES,
        ), key="an-outcomes")  # fmt: skip
        _export_in_words(rates, "outcomes-per-model", "an-outcomes-export")
    with cols[1]:
        if reasons.empty:
            st.markdown("**Top failure reasons**")
            st.caption("No job failed or was blocked in these dates with these filters.")
        else:
            st.plotly_chart(bars(
                reasons, "reason", {"jobs": "Jobs failed or blocked"}, "Top failure reasons",
                "Reason", "Jobs",
            ), key="an-reasons")  # fmt: skip
            _export_in_words(reasons, "failure-reasons", "an-reasons-export")
    if not reasons.empty:
        frame = reasons.assign(key=reasons["reason"], label=reasons["reason"])
        _drill(scope, "reason", frame, None)
    timings = analytics_generation.timings(reader, scope)
    timings["model"] = timings["model"].map(_model)
    cols = st.columns(2)
    for col, phase in zip(cols, ("Queue wait", "Generation time"), strict=True):
        with col:
            rows = timings[timings["phase"] == phase]
            st.plotly_chart(bars(
                rows, "model", PERCENTILES, f"{phase} per model", "Model", "Seconds",
            ), key=f"an-timing-{phase}")  # fmt: skip
    _export_in_words(timings, "timings-per-model", "an-timings-export")


def _fleet(scope: Scope) -> None:
    st.caption("The engines and their shared queue, whoever's jobs they run.")
    fleet = analytics_fleet.fleet(services().metrics, scope)
    if fleet.empty:
        st.info("No engine has reported in these dates.")
        return
    fleet["utilisation_percent"] = fleet["utilisation"] * 100
    fleet["quota_held_percent"] = fleet["quota_held"] * 100
    step = analytics_fleet.bucket_minutes(scope.filters.start, scope.filters.end)
    every = f"{step} minutes" if step < 60 else f"{step // 60} hour" + ("s" if step > 60 else "")
    f = scope.filters
    shown = (f.start, f.end + timedelta(days=1)) if f.start and f.end else None
    cols = st.columns(2)
    cols[0].plotly_chart(lines(
        fleet, "time", {"queue_depth": "Jobs waiting (deepest)"},
        f"Queue depth (every {every})", "Time (UTC)", "Jobs waiting",
        x_range=shown,
    ), key="an-queue")  # fmt: skip
    cols[1].plotly_chart(lines(
        fleet, "time", {"in_flight": "Jobs in flight", "slots": "Engine slots"},
        "Jobs in flight and engine slots", "Time (UTC)", "Jobs",
        x_range=shown,
    ), key="an-in-flight")  # fmt: skip
    cols = st.columns(2)
    cols[0].plotly_chart(lines(
        fleet, "time", {"utilisation_percent": "Slots in use"}, "Engine utilisation",
        "Time (UTC)", "Slots in use (%)",
        x_range=shown,
    ), key="an-utilisation")  # fmt: skip
    cols[1].plotly_chart(lines(
        fleet, "time", {"quota_held_percent": "Time held for quota"},
        "Quota holds (new Veo submissions waiting)", "Time (UTC)", "Share of the time held (%)",
        x_range=shown,
    ), key="an-quota")  # fmt: skip
    _export_in_words(fleet, "fleet", "an-fleet-export")


def _export_in_words(frame: pd.DataFrame, name: str, key: str) -> None:
    """A chart's rows to download, with its columns in words (ids and fractions left out)."""
    shown = frame[[c for c in frame.columns if c in WORDS]]
    _export(shown.rename(columns=WORDS), name, key)


def _model(name: str) -> str:
    """A model by its name in words ("Veo 3.1 Fast"), without the pickers' prices; the
    movie's renders (their jobs' model is the assembler) as such."""
    if name == ASSEMBLER:
        return "Movie renders"
    spec = services().catalog.models.get(name)
    return spec.label if spec else name


def _labels(by: str, keys: pd.Series, scope: Scope) -> list[str]:
    """Each bar's words: a project's or person's name, a model's label, a date."""
    if by == "project":
        return [scope.projects.get(k, f"Project {k}") for k in keys]
    if by == "user":
        return [scope.people.get(k, "Someone no longer here") for k in keys]
    if by == "model":
        return [_model(k) for k in keys]
    return [pd.Timestamp(k).strftime("%Y-%m-%d") for k in keys]


def _days(scope: Scope) -> int:
    f = scope.filters
    return (f.end - f.start).days + 1 if f.start and f.end else 1


def _usd(amount: float) -> str:
    return f"${amount:,.2f}"
