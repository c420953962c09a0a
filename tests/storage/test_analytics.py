"""The analytics' queries: filters, who sees what, and the figures a producer reads."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from storage import (
    analytics_fleet,
    analytics_generation,
    analytics_jobs,
    analytics_spend,
    decisions,
    projects,
    scenes,
)
from storage.analytics import Bar, Filters, Scope, scope_for
from storage.analytics_generation import hour_bar, outcome_bar, reason_bar, timing_bar
from storage.analytics_jobs import jobs_behind
from storage.analytics_review import film_costs
from storage.analytics_spend import spend_bar
from storage.cut import edit_timeline
from storage.db import Database
from storage.metrics import MetricsWriter
from storage.metrics_compaction import compact
from storage.metrics_reader import MetricsReader
from storage.models import User
from storage.users import get_or_create_user
from tests.storage.made_takes import made_take

MODEL, LITE = "veo-3.1-fast-generate-001", "veo-3.1-lite-generate-001"
NOW = datetime.now(UTC)
World = tuple[Database, MetricsReader, User, dict[str, int]]


def ended(writer: MetricsWriter, job: int, project: int, user: int, event: str = "succeeded",
          cost: float = 1.0, model: str = MODEL, draft: bool = False, days_ago: int = 0,
          error: str | None = None, render_s: float = 100.0) -> None:  # fmt: skip
    at = NOW - timedelta(days=days_ago)
    common = {"job_id": job, "project_id": project, "user_id": user, "model": model,
              "backend": "animatic" if draft else "veo", "draft": draft}  # fmt: skip
    writer.record("queued", event_id=f"job-{job}-queued", ts=at - timedelta(minutes=5), **common)
    writer.record("started", ts=at - timedelta(minutes=4), queue_wait_s=float(job), **common)
    fields = {"estimated_cost_usd": cost, "billed_usd": 0.0 if draft else cost}
    writer.record(event, event_id=f"job-{job}-{event}-1", ts=at, render_s=render_s, error=error,
                  **(fields if event == "succeeded" else {}), **common)  # fmt: skip


@pytest.fixture
def world(
    sqlite_db: Database, tmp_path: Path
) -> tuple[Database, MetricsReader, User, dict[str, int]]:
    owner = get_or_create_user(sqlite_db, "owner@example.com", "Ana")
    ids = {n: projects.create_project(sqlite_db, owner, {"name": n}, MODEL).id
           for n in ("Harbour", "Orchard")}  # fmt: skip
    other = get_or_create_user(sqlite_db, "other@example.com", "Ben")
    ids["Secret"] = projects.create_project(sqlite_db, other, {"name": "Secret"}, MODEL).id
    writer = MetricsWriter(tmp_path / "metrics", "t")
    ended(writer, 1, ids["Harbour"], owner.id, cost=4.0)
    ended(writer, 2, ids["Harbour"], owner.id, cost=2.0, model=LITE, days_ago=3)
    ended(writer, 3, ids["Orchard"], owner.id, cost=1.5, draft=True)
    ended(writer, 4, ids["Orchard"], owner.id, "failed", error="submit: Veo refused (429 "
          "RESOURCE_EXHAUSTED): quota")  # fmt: skip
    ended(writer, 5, ids["Orchard"], owner.id, "blocked", error="safety: blocked every sample")
    ended(writer, 6, ids["Harbour"], owner.id, "failed", error="timeout: Veo did not finish")
    ended(writer, 7, ids["Secret"], other.id, cost=100.0)
    writer.record("sample", ts=NOW, in_flight=3, slots=4, queue_depth=9, pending=3,
                  quota_hold_s=12.0)  # fmt: skip
    writer.flush()
    return sqlite_db, MetricsReader(tmp_path / "metrics"), owner, ids


def test_spend_counts_only_the_projects_the_actor_sees_and_the_filters_keep(world: World) -> None:
    db, reader, owner, ids = world
    by_project = analytics_spend.spend(reader, scope_for(db, owner), "project")
    assert dict(zip(by_project["key"], by_project["billed_usd"], strict=True)) == {
        ids["Harbour"]: 6.0, ids["Orchard"]: 0.0}  # fmt: skip
    assert by_project["estimated_usd"].sum() == 7.5  # the draft's list price, billed nothing
    chosen = Filters(projects=(ids["Secret"], ids["Orchard"]), billing="billed")
    assert analytics_spend.spend(reader, scope_for(db, owner, chosen), "project").empty
    lite = analytics_spend.spend(reader, scope_for(db, owner, Filters(models=(LITE,))), "day")
    assert lite["billed_usd"].tolist() == [2.0]
    today = Filters(start=NOW.date(), end=NOW.date(), providers=("veo",))
    assert analytics_spend.spend(reader, scope_for(db, owner, today), "model")["jobs"].sum() == 1
    mine = analytics_spend.spend(reader, scope_for(db, owner, Filters(users=(owner.id,))), "day")
    assert mine["billed_usd"].sum() == 6.0
    nobody = Filters(users=(owner.id + 1,))  # in no project of the owner's
    assert analytics_spend.spend(reader, scope_for(db, owner, nobody), "day").empty


def test_the_month_end_forecast_goes_on_at_the_last_weeks_rate(world: World) -> None:
    db, reader, owner, _ = world
    today = NOW.date()
    forecast = analytics_spend.month_forecast(reader, scope_for(db, owner), today)
    month = 4.0 + (2.0 if (today - timedelta(days=3)).month == today.month else 0.0)
    left = calendar.monthrange(today.year, today.month)[1] - today.day
    assert forecast.month_to_date_usd == month  # the draft billed nothing
    assert forecast.rate_usd_per_day == pytest.approx(6.0 / 7)
    assert forecast.month_end_usd == pytest.approx(month + left * 6.0 / 7)


def test_generation_rates_reasons_and_percentiles(world: World) -> None:
    db, reader, owner, _ = world
    scope = scope_for(db, owner)
    reasons = analytics_generation.failure_reasons(reader, scope)
    assert sorted(reasons["reason"]) == ["Quota", "Safety filter", "Timeout"]
    rates = analytics_generation.outcomes(reader, scope)
    fast = rates[rates["model"] == MODEL].set_index("outcome")["share"]
    assert fast.to_dict() == pytest.approx({"succeeded": 0.4, "failed": 0.4, "blocked": 0.2})
    timings = analytics_generation.timings(reader, scope).set_index(["model", "phase"])
    waits = timings.loc[(MODEL, "Queue wait")]
    assert waits["jobs"] == 5 and waits["p50"] == 4.0 and waits["p99"] == pytest.approx(5.96)
    assert analytics_generation.throughput(reader, scope)["jobs"].sum() == 6


def test_the_fleet_is_charted_from_the_engines_samples(world: World) -> None:
    db, reader, owner, _ = world
    fleet = analytics_fleet.fleet(reader, scope_for(db, owner))
    assert fleet[["queue_depth", "in_flight", "slots", "utilisation", "quota_held"]].iloc[
        0].tolist() == [9, 3, 4, 0.75, 1.0]  # fmt: skip


def test_the_jobs_behind_a_bar_and_a_jobs_timeline_stay_in_the_actors_projects(
    world: World,
) -> None:
    db, reader, owner, ids = world
    scope = scope_for(db, owner)
    behind = jobs_behind(reader, scope, spend_bar("project", ids["Harbour"]))
    assert sorted(behind["job_id"]) == [1, 2]
    assert jobs_behind(reader, scope, reason_bar("Quota"))["job_id"].tolist() == [4]
    assert jobs_behind(reader, scope, spend_bar("project", ids["Secret"])).empty
    assert analytics_jobs.timeline(reader, scope, 1)["event"].tolist() == [
        "queued", "started", "succeeded"]  # fmt: skip
    assert analytics_jobs.timeline(reader, scope, 7).empty  # another's project


def test_a_filter_value_is_a_parameter_never_sql(world: World) -> None:
    db, reader, owner, _ = world
    sneaky = Filters(models=("x') OR 1=1 --",))
    assert analytics_spend.spend(reader, scope_for(db, owner, sneaky), "model").empty


def test_queries_give_the_same_answers_after_compaction(world: World, tmp_path: Path) -> None:
    db, reader, owner, _ = world
    scope = scope_for(db, owner)
    before = analytics_spend.spend(reader, scope, "model")
    compact(tmp_path / "metrics", 30, min_segments=1, min_age_s=0)
    assert analytics_spend.spend(reader, scope, "model").equals(before)


def test_cost_per_approved_second_and_takes_per_approved_scene(world: World) -> None:
    db, reader, owner, ids = world
    pid = ids["Harbour"]
    first, second = (s.id for s in scenes.add_scenes(
        db, owner, pid, [{"prompt": "dawn", "duration": 8}, {"prompt": "dusk", "duration": 4}]))  # fmt: skip
    takes = [made_take(db, owner, pid, first, 8.0) for _ in range(3)]
    made_take(db, owner, pid, second, 4.0)
    decisions.decide(db, owner, takes[0].id, None, "rejected", "too dark")
    decisions.decide(db, owner, takes[1].id, None, "approved")
    film = film_costs(db, reader, scope_for(db, owner)).set_index("project")
    assert film.loc["Harbour", ["approved_scenes", "approved_seconds", "takes"]].tolist() == [
        1,
        8,
        3,
    ]
    assert film.loc["Harbour", "usd_per_approved_second"] == pytest.approx(6.0 / 8)
    assert film.loc["Harbour", "takes_per_approved_scene"] == 3
    today = scope_for(db, owner, Filters(start=NOW.date(), end=NOW.date(), models=(LITE,)))
    lifelong = film_costs(db, reader, today).set_index("project")  # the filters leave it be
    assert lifelong.loc["Harbour", "usd_per_approved_second"] == pytest.approx(6.0 / 8)
    scenes.select_take(db, owner, first, takes[1].id)  # the approved take, trimmed in the cut
    edit_timeline(db, owner, pid, {first: {"trim_in": 1.5, "trim_out": 0.5}})
    cut = film_costs(db, reader, scope_for(db, owner)).set_index("project")
    assert cut.loc["Harbour", "approved_seconds"] == 6  # what plays: 8 s less 2 s of trims
    assert cut.loc["Harbour", "usd_per_approved_second"] == pytest.approx(6.0 / 6)


def test_a_bar_of_no_one_and_a_failure_reasons_bar_list_their_own_jobs(
    sqlite_db: Database, tmp_path: Path
) -> None:
    owner = get_or_create_user(sqlite_db, "owner@example.com", "Ana")
    pid = projects.create_project(sqlite_db, owner, {"name": "Harbour"}, MODEL).id
    writer = MetricsWriter(tmp_path / "metrics", "t")
    ended(writer, 1, pid, owner.id)
    ended(writer, 2, pid, None)  # type: ignore[arg-type]  # queued before users were recorded
    ended(writer, 3, pid, owner.id, "failed", error="stitch: the disk is full")
    writer.flush()
    reader, scope = MetricsReader(tmp_path / "metrics"), scope_for(sqlite_db, owner)
    assert jobs_behind(reader, scope, spend_bar("user", pd.NA))["job_id"].tolist() == [2]
    assert jobs_behind(reader, scope, spend_bar("user", owner.id))["job_id"].tolist() == [1]
    assert jobs_behind(reader, scope, reason_bar("Other"))["job_id"].tolist() == [3]


def test_an_hours_outcome_a_models_outcome_and_a_percentile_list_their_own_jobs(
    world: World,
) -> None:
    db, reader, owner, _ = world
    scope = scope_for(db, owner)
    hour = pd.Timestamp(NOW).floor("h")
    this_hour = jobs_behind(reader, scope, hour_bar(hour, "failed"))
    assert sorted(this_hour["job_id"]) == [4, 6]  # the secret project's are not listed
    lite = jobs_behind(reader, scope, outcome_bar(LITE, "succeeded"))
    assert lite["job_id"].tolist() == [2]
    # the jobs that waited 5 s or more (each job waited its number in seconds), slowest first
    slow = jobs_behind(reader, scope, timing_bar("Queue wait", MODEL, 5.0))
    assert slow["job_id"].tolist() == [6, 5]
    assert slow["queue_wait_s"].tolist() == [6.0, 5.0]


def test_a_scope_is_only_made_for_an_actor_and_every_query_keeps_to_it(world: World) -> None:
    db, reader, _, ids = world
    with pytest.raises(TypeError, match="scope_for"):
        Scope({ids["Secret"]: "Secret"})  # a scope of one's own choosing
    ben = get_or_create_user(db, "other@example.com", "Ben")
    scope = scope_for(db, ben)
    assert list(scope.projects) == [ids["Secret"]]
    queries = [
        analytics_spend.spend(reader, scope, "project"),
        analytics_generation.throughput(reader, scope),
        analytics_generation.outcomes(reader, scope),
        jobs_behind(reader, scope, Bar(("succeeded",), ())),
    ]
    assert [q["jobs"].sum() if "jobs" in q else len(q) for q in queries] == [1, 1, 1, 1]
    assert jobs_behind(reader, scope, Bar(("succeeded",), ()))["job_id"].tolist() == [7]
    assert analytics_generation.failure_reasons(reader, scope).empty  # the owner's failures
    assert analytics_jobs.timeline(reader, scope, 4).empty
