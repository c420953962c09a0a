"""Analytics: spend, generation and the engines' fleet, filtered alike, with the jobs behind
any bar, one job's timeline, and every chart's figures to download."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import cast

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from storage import (
    analytics,
    analytics_fleet,
    analytics_generation,
    analytics_jobs,
    analytics_review,
    analytics_spend,
)
from storage.analytics import Bar, Scope
from storage.analytics_generation import PHASES, hour_bar, outcome_bar, reason_bar, timing_bar
from storage.analytics_spend import SpendBy, spend_bar
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
# The drill-down's table, in words (a column no job of the bar has is left out).
JOB_COLUMNS = {
    "job_id": "Job",
    "project": "Project",
    "person": "Queued by",
    "model": "Model",
    "event": "Event",
    "time": "When (UTC)",
    "queue_wait_s": "Queue wait (s)",
    "render_s": "Generation time (s)",
    "billed_usd": "Billed (USD)",
    "estimated_usd": "Estimated (USD)",
    "error": "Why it failed",
}
# A job's events in words, in its row behind a bar and in its timeline.
EVENTS = {**OUTCOMES, "queued": "Queued", "started": "Started", "progress": "Progress"}


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
    by = cast(SpendBy, st.segmented_control(
        "Spend by", list(SPEND_BY), format_func=SPEND_BY.__getitem__, default="day",
        key="an-spend-by",
    ) or "day")  # fmt: skip
    frame = analytics_spend.spend(reader, scope, by)
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
    frame.insert(1, "label", _unique(_labels(by, frame["key"], scope)))
    figure = bars(
        frame, "label",
        {"billed_usd": "Billed (USD)", "estimated_usd": "Estimated at list prices (USD)"},
        f"Spend by {SPEND_BY[by].lower()}", SPEND_BY[by], "US dollars", picks="label",
    )  # fmt: skip
    whole = analytics_spend.spend(reader, scope.lifelong(), "project")  # here and for _film
    if by == "project":  # a budget is for a project's whole life: its spend is marked too
        marked = frame[frame["key"].isin(scope.budgets)]
        billed = dict(zip(whole["key"], whole["billed_usd"], strict=True))
        with_marks(figure, list(marked["label"]), [scope.budgets[k] for k in marked["key"]],
                   "Project budget (USD)")  # fmt: skip
        with_marks(figure, list(marked["label"]), [billed.get(k, 0.0) for k in marked["key"]],
                   "Billed in the project's whole life (USD)", symbol="diamond-open")  # fmt: skip
    if by == "user":
        days = _days(scope)
        marked = frame[frame["key"].isin(scope.limits)]
        with_marks(figure, list(marked["label"]), [scope.limits[k] * days for k in marked["key"]],
                   f"Daily limit × {days} days (USD)")  # fmt: skip
    picker = f"an-drill-{by}"
    _chart(figure, f"an-spend-{by}", picker)
    _export(
        frame[["label", "billed_usd", "estimated_usd", "jobs"]].rename(
            columns={**WORDS, "label": SPEND_BY[by], "jobs": "Jobs succeeded"}
        ),
        f"spend-by-{by}",
        f"an-spend-{by}-export",
    )
    bars_ = {label: spend_bar(by, key)
             for label, key in zip(frame["label"], frame["key"], strict=True)}  # fmt: skip
    _drill(scope, picker, "Jobs behind a bar", bars_)
    _film(scope, whole)


def _film(scope: Scope, lifelong: pd.DataFrame) -> None:
    st.subheader("What approved film costs")
    film = analytics_review.film_costs(services().db, services().metrics, scope, lifelong)
    if film.empty:
        st.caption("No take is approved yet: approve takes on the Review page to see these.")
        return
    st.caption("Each chosen project over its whole life, whatever the dates and other filters "
               "above: all it spent, over the seconds of approved film that play in the cut "
               "(its trims left out).")  # fmt: skip
    film["project"] = _unique(film["project"])
    picker = "an-drill-film"
    cols = st.columns(2)
    with cols[0]:
        _chart(bars(
            film, "project",
            {"usd_per_approved_second": "Billed", "estimated_usd_per_approved_second": "Estimated"},
            "Cost per approved second of film", "Project", "US dollars per second",
            picks="project",
        ), "an-film-cost", picker)  # fmt: skip
    with cols[1]:
        _chart(bars(
            film, "project", {"takes_per_approved_scene": "Takes made"},
            "Takes per approved scene", "Project", "Takes per scene", picks="project",
        ), "an-film-takes", picker)  # fmt: skip
    _export_in_words(film, "approved-film", "an-film-export")
    bars_ = {label: spend_bar("project", key)
             for label, key in zip(film["project"], film["project_id"], strict=True)}  # fmt: skip
    _drill(scope.lifelong(), picker, "Jobs that a project's film cost", bars_)


def _chart(figure: go.Figure, key: str, picker: str) -> None:
    """A chart whose bars, clicked, choose their jobs in the ``picker`` below it."""
    st.plotly_chart(figure, key=key, on_select=partial(_picked, key, picker),
                    selection_mode="points")  # fmt: skip


def _picked(chart: str, picker: str) -> None:
    """A click on a bar chooses that bar's jobs (only then: a choice made in the picker
    since stays, though the chart keeps its selection)."""
    points = st.session_state[chart].selection.points
    if points and points[0].get("customdata") is not None:
        st.session_state[picker] = points[0]["customdata"]


def _drill(scope: Scope, picker: str, title: str, bars_: dict[str, Bar]) -> None:
    """The jobs behind a bar (clicked on its chart, or picked here), and one job's timeline."""
    if st.session_state.get(picker) not in bars_:  # the filters took that bar away (said
        st.session_state.pop(picker, None)  # here, not left to how Streamlit resets it)
    label = st.selectbox(title, list(bars_), index=None, key=picker,
                         placeholder="Click a bar above, or choose one here")  # fmt: skip
    if label is not None:
        _jobs(scope, picker, bars_[label], label)


def _jobs(scope: Scope, picker: str, bar: Bar, label: str) -> None:
    reader = services().metrics
    jobs = analytics_jobs.jobs_behind(reader, scope, bar)
    shown = (
        jobs.assign(
            project=jobs["project_id"].map(scope.projects),
            person=jobs["user_id"].map(lambda u: scope.people.get(u, "someone else")),
            model=jobs["model"].map(_model),
            event=jobs["event"].map(EVENTS),
            time=jobs["time"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        )[list(JOB_COLUMNS)]
        .dropna(axis="columns", how="all")
        .rename(columns=JOB_COLUMNS)
    )
    order = "slowest" if bar.at_least else "newest"
    more = f" (the {order} {analytics_jobs.MOST})" if len(jobs) == analytics_jobs.MOST else ""
    least = f", {bar.at_least[1]:,.1f} s or more" if bar.at_least else ""
    st.markdown(f"**{len(jobs):,} job{'s' * (len(jobs) != 1)} behind {label}{least}{more}**")
    st.dataframe(shown, hide_index=True, height=240)
    _export(shown, f"jobs-{picker.removeprefix('an-drill-')}", f"{picker}-jobs-export")
    job = st.selectbox("One job's timeline", list(jobs["job_id"].drop_duplicates()), index=None,
                       placeholder="Choose a job", key=f"{picker}-job",
                       format_func=lambda j: f"Job {j}")  # fmt: skip
    if job is not None:
        events = analytics_jobs.timeline(reader, scope, int(job))
        events["time"] = events["time"].dt.strftime("%Y-%m-%d %H:%M:%S")
        events["event"] = events["event"].map(lambda e: EVENTS.get(e, e))
        st.dataframe(events.rename(columns=WORDS), hide_index=True)
        _export_in_words(events, f"job-{job}-timeline", f"{picker}-timeline-export")


def _generation(scope: Scope) -> None:
    reader = services().metrics
    hourly = analytics_generation.throughput(reader, scope)
    if hourly.empty:
        st.info("No job ended in these dates with these filters.")
        return
    hourly["pick"] = _unique(f"{h:%Y-%m-%d %H:00} UTC · {OUTCOMES[o]}"
                             for h, o in zip(hourly["hour"], hourly["outcome"], strict=True))  # fmt: skip
    _chart(stacked_by(
        hourly, "hour", "outcome", "jobs", "Jobs ended per hour", "Hour (UTC)", "Jobs per hour",
        OUTCOMES, width=3_600_000 * 0.9, picks="pick",
    ), "an-throughput", "an-drill-hour")  # fmt: skip
    _export_in_words(hourly, "jobs-per-hour", "an-throughput-export")
    _drill(scope, "an-drill-hour", "Jobs that ended in an hour", {
        pick: hour_bar(h, o)
        for pick, h, o in zip(hourly["pick"], hourly["hour"], hourly["outcome"], strict=True)
    })  # fmt: skip
    _endings(scope)
    _timings(scope)


def _endings(scope: Scope) -> None:
    """How jobs ended per model, and the commonest reasons they failed."""
    reader, picker = services().metrics, "an-drill-ending"
    rates = analytics_generation.outcomes(reader, scope)
    rates["pick"] = _unique(f"{_model(m)} · {OUTCOMES[o]}"
                            for m, o in zip(rates["model"], rates["outcome"], strict=True))  # fmt: skip
    ended = {pick: outcome_bar(m, o)
             for pick, m, o in zip(rates["pick"], rates["model"], rates["outcome"], strict=True)}  # fmt: skip
    rates["model"] = rates["model"].map(_model)
    rates["percent"] = rates["share"] * 100
    reasons = analytics_generation.failure_reasons(reader, scope)
    reasons["pick"] = "Failed: " + reasons["reason"]
    cols = st.columns(2)
    with cols[0]:
        _chart(stacked_by(
            rates, "model", "outcome", "percent", "How jobs ended, per model", "Model",
            "Share of the model's jobs (%)", OUTCOMES, picks="pick",
        ), "an-outcomes", picker)  # fmt: skip
        _export_in_words(rates, "outcomes-per-model", "an-outcomes-export")
    with cols[1]:
        if reasons.empty:
            st.markdown("**Top failure reasons**")
            st.caption("No job failed or was blocked in these dates with these filters.")
        else:
            _chart(bars(
                reasons, "reason", {"jobs": "Jobs failed or blocked"}, "Top failure reasons",
                "Reason", "Jobs", picks="pick",
            ), "an-reasons", picker)  # fmt: skip
            _export_in_words(reasons, "failure-reasons", "an-reasons-export")
    failed = {pick: reason_bar(r)
              for pick, r in zip(reasons["pick"], reasons["reason"], strict=True)}  # fmt: skip
    _drill(scope, picker, "Jobs behind an outcome or a failure reason", ended | failed)


def _timings(scope: Scope) -> None:
    """Queue wait and generation time per model at four percentiles; a percentile's bar
    lists the jobs that took that long or longer."""
    timings = analytics_generation.timings(services().metrics, scope)
    slowest: dict[str, Bar] = {}
    for p, words in PERCENTILES.items():
        # the bar's words leave its seconds out: a click names the same bar while the
        # figure moves with new events; the seconds are in the heading of its jobs
        timings[f"pick-{p}"] = _unique(f"{phase}, {words}: {_model(m)}" for phase, m in
                                       zip(timings["phase"], timings["model"], strict=True))  # fmt: skip
        for pick, phase, m, v in zip(timings[f"pick-{p}"], timings["phase"], timings["model"],
                                     timings[p], strict=True):  # fmt: skip
            slowest[pick] = timing_bar(phase, m, float(v))
    timings["model"] = timings["model"].map(_model)
    cols = st.columns(2)
    for col, phase in zip(cols, PHASES, strict=True):
        with col:
            rows = timings[timings["phase"] == phase]
            _chart(bars(
                rows, "model", PERCENTILES, f"{phase} per model", "Model", "Seconds",
                picks={p: f"pick-{p}" for p in PERCENTILES},
            ), f"an-timing-{phase}", "an-drill-slowest")  # fmt: skip
    _export_in_words(timings, "timings-per-model", "an-timings-export")
    _drill(scope, "an-drill-slowest", "The slowest jobs behind a percentile", slowest)


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


def _model(name: str | None) -> str:
    """A model by its name in words ("Veo 3.1 Fast"), without the pickers' prices; the
    movie's renders (their jobs' model is the assembler) as such."""
    if name is None:
        return "Unknown model"
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


def _unique(labels: Iterable[str]) -> list[str]:
    """Labels told apart: a second "Ana" is "Ana (2)" (a bar and a choice each)."""
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return unique


def _days(scope: Scope) -> int:
    f = scope.filters
    return (f.end - f.start).days + 1 if f.start and f.end else 1


def _usd(amount: float) -> str:
    return f"${amount:,.2f}"
