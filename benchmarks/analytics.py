"""The analytics' queries over millions of metric events, before and after compaction,
against the same computation in pandas over the same data, in one run.

Method: ``--events`` synthetic events (`benchmarks/metric_events.py`: jobs queued, started,
progressing and ending, one ending in a hundred recorded twice, engine samples) are written
as engines write them, in ``--segments`` segments over ``--days`` days, for 40 projects
seen by one user. Each query (`storage.analytics_*`, over the last 30 days, one project
left out by the filters) is timed over the raw segments, then compaction runs (its own
process, as the engine runs it: time and peak memory), then each query is timed again
(median of ``--rounds``), and against pandas: (a) reading the columns it needs from the same
compacted files and computing the same figures, what the studio would do without DuckDB,
and (b) the computation alone over a frame already in memory. Then the live tail, as busy
engines leave it between two compactions (`metric_events.live_tail`: ``--tail-s`` seconds of
4 engines ending ``--tail-jobs`` jobs a second, each flushing every 2 s and at each job's end,
with ``--tail-again`` endings compacted already recorded again): each query timed again
with a second of the engines' segments arriving before each run, as they arrive between a
page's queries, and the first query of a fresh reader (which reads the whole tail). Last,
the Analytics page's server time (AppTest, one rerun as a click makes) and the studio
process's peak memory, in a fresh process, without the tail and with it.

Run: `python benchmarks/analytics.py` (10,000,000 events in 2,000 segments; `--events
100000 --segments 40 --days 10 --rounds 1` for a smoke run). Targets: each query <= 200 ms
after compaction (with the live tail too) and >= 10x pandas; the page <= 1 s; the studio
<= 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from benchmarks.metric_events import Segment, live_tail, write_events  # noqa: E402
from storage import projects  # noqa: E402
from storage.analytics import Filters, Scope, scope_for  # noqa: E402
from storage.analytics_fleet import fleet  # noqa: E402
from storage.analytics_generation import (  # noqa: E402  # noqa: E402
    failure_reasons,
    hour_bar,
    outcomes,
    throughput,
    timing_bar,
    timings,
)
from storage.analytics_jobs import MOST, jobs_behind  # noqa: E402
from storage.analytics_spend import spend  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.metrics_files import compacted, segments  # noqa: E402
from storage.metrics_reader import MetricsReader  # noqa: E402
from storage.settings import load_settings  # noqa: E402
from storage.users import local_user  # noqa: E402

PROJECTS, DAYS_SHOWN = 40, 30
ENDINGS = ["succeeded", "failed", "blocked", "cancelled"]
Query = Callable[[MetricsReader, Scope], pd.DataFrame]
Baseline = Callable[[pd.DataFrame, Scope], pd.DataFrame]


def _scoped(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    f = scope.filters
    day = frame["ts"].dt.date
    return frame[frame["project_id"].isin(scope.projects) & (day >= f.start) & (day <= f.end)]


def _pd_spend(by: str) -> Baseline:
    def run(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
        done = _scoped(frame[frame["event"] == "succeeded"], scope)
        key = done["ts"].dt.date if by == "day" else done[by]
        return done.groupby(key).agg(
            billed=("billed_usd", "sum"), estimated=("estimated_cost_usd", "sum"),
            jobs=("job_id", "size"),
        )  # fmt: skip

    return run


def _pd_throughput(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    ended = _scoped(frame[frame["event"].isin(ENDINGS)], scope)
    return ended.groupby([ended["ts"].dt.floor("h"), ended["event"]]).size().reset_index()


def _pd_outcomes(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    ended = _scoped(frame[frame["event"].isin(ENDINGS)], scope)
    counts = ended.groupby(["model", "event"]).size()
    return (counts / counts.groupby(level=0).transform("sum")).reset_index()


def _pd_reasons(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    bad = _scoped(frame[frame["event"].isin(["failed", "blocked"])], scope)
    error = bad["error"].fillna("")
    reason = pd.Series("Other", index=bad.index)
    for words, test in [
        ("Invalid request", error.str.startswith("request:")),
        ("Timeout", error.str.startswith("timeout:")),
        ("Quota", error.str.contains("RESOURCE_EXHAUSTED")),
        ("Safety filter", (bad["event"] == "blocked") | error.str.startswith("safety:")),
    ]:
        reason[test] = words
    return reason.value_counts().head(5).reset_index()


def _pd_timings(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    scoped = _scoped(frame[frame["event"].isin(["started", "succeeded"])], scope)
    waits = scoped[scoped["event"] == "started"].groupby("model")["queue_wait_s"]
    renders = scoped[scoped["event"] == "succeeded"].groupby("model")["render_s"]
    at = [0.5, 0.9, 0.95, 0.99]
    return pd.concat([waits.quantile(at), renders.quantile(at)], axis=1).reset_index()


def _pd_fleet(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    f = scope.filters
    samples = frame[frame["event"] == "sample"]
    day = samples["ts"].dt.date
    samples = samples[(day >= f.start) & (day <= f.end)]
    per_engine = samples.groupby([samples["ts"].dt.floor("6h"), "engine"]).agg(
        queue=("queue_depth", "max"), flight=("in_flight", "mean"), slots=("slots", "mean")
    )
    return per_engine.groupby(level=0).sum()


# Drill-down: the jobs behind the last day's noon hour, and the slowest renders of a model
# (a percentile's bar at its lowest: every job of the model ranked).
SLOW_MODEL = "veo-3.1-fast-generate-001"


def _noon(scope: Scope) -> pd.Timestamp:
    return pd.Timestamp(f"{scope.filters.end}T12:00:00", tz="UTC")


def _hour_bar(reader: MetricsReader, scope: Scope) -> pd.DataFrame:
    return jobs_behind(reader, scope, hour_bar(_noon(scope), "succeeded"))


def _pd_hour_bar(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    done = _scoped(frame[frame["event"] == "succeeded"], scope)
    hour = done[done["ts"].dt.floor("h") == _noon(scope)]
    return hour.sort_values("ts", ascending=False).head(MOST)


def _slowest(reader: MetricsReader, scope: Scope) -> pd.DataFrame:
    return jobs_behind(reader, scope, timing_bar("Generation time", SLOW_MODEL, 0.0))


def _pd_slowest(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    done = _scoped(frame[frame["event"] == "succeeded"], scope)
    return done[done["model"] == SLOW_MODEL].nlargest(MOST, "render_s")


# name: (the studio's query, the same in pandas, the columns pandas reads)
QUERIES: dict[str, tuple[Query, Baseline, list[str]]] = {
    "spend by day": (lambda r, s: spend(r, s, "day"), _pd_spend("day"),
                     ["event", "ts", "project_id", "billed_usd", "estimated_cost_usd", "job_id"]),
    "spend by model": (lambda r, s: spend(r, s, "model"), _pd_spend("model"),
                       ["event", "ts", "project_id", "model", "billed_usd", "estimated_cost_usd",
                        "job_id"]),
    "spend by project": (lambda r, s: spend(r, s, "project"), _pd_spend("project_id"),
                         ["event", "ts", "project_id", "billed_usd", "estimated_cost_usd",
                          "job_id"]),
    "jobs per hour": (throughput, _pd_throughput, ["event", "ts", "project_id"]),
    "outcomes per model": (outcomes, _pd_outcomes, ["event", "ts", "project_id", "model"]),
    "failure reasons": (failure_reasons, _pd_reasons, ["event", "ts", "project_id", "error"]),
    "timing percentiles": (timings, _pd_timings, ["event", "ts", "project_id", "model",
                                                  "queue_wait_s", "render_s"]),
    "fleet": (fleet, _pd_fleet, ["event", "ts", "engine", "queue_depth", "in_flight", "slots"]),
    "jobs behind an hour": (_hour_bar, _pd_hour_bar, ["event", "ts", "project_id", "job_id"]),
    "slowest jobs of a model": (_slowest, _pd_slowest, ["event", "ts", "project_id", "model",
                                                        "render_s", "job_id"]),
}  # fmt: skip


def timed(call: Callable[[], Any], rounds: int) -> float:
    seen = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        seen.append(time.perf_counter() - start)
    return statistics.median(seen)


def compact_all(folder: Path) -> dict[str, float]:
    """Compaction as the engine runs it, a child process at a time, until the tail is empty."""
    start, runs, peak = time.perf_counter(), 0, 0.0
    while segments(folder):
        done = subprocess.run(
            [sys.executable, "-m", "storage.metrics_compaction", str(folder),
             "--retention-days", "400", "--budget-s", "600"],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        runs += 1
        peak = max(peak, json.loads(done.stdout)["peak_mb"])
    return {"seconds": time.perf_counter() - start, "runs": runs, "peak_mb": peak}


PAGE = """
import json, os, sys, time
sys.path.insert(0, {root!r})
from streamlit.testing.v1 import AppTest
from storage.db import Database
from storage.users import local_user
from storage.settings import load_settings
user = local_user(Database(load_settings().db_url))
app = AppTest.from_string("from pages import analytics\\nanalytics.render()\\n", default_timeout=600)
app.session_state["user"] = user
app.run()
times = []
for _ in range({rounds}):
    start = time.perf_counter(); app.run(); times.append(time.perf_counter() - start)
assert not app.exception, app.exception
peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({{"seconds": sorted(times)[len(times) // 2], "peak_mb": int(peak) / 1024}}))
"""


def page_time(folder: Path, rounds: int) -> dict[str, float]:
    """The Analytics page's server time (a rerun) and the process's peak memory."""
    env = {**os.environ, "VEOGEN_DATA_DIR": str(folder)}
    done = subprocess.run(
        [sys.executable, "-c", PAGE.format(root=str(ROOT), rounds=rounds)],
        env=env, capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def tail_times(
    metrics: Path, scope: Scope, tail: list[Segment], rounds: int
) -> tuple[dict[str, float], float]:
    """Each query with the tail (median of ``rounds``), a second of segments arriving before
    each run; and the first query of a fresh reader, which reads the whole tail."""
    last = tail[-1].flushed_ms
    steps = len(QUERIES) * rounds
    arriving = [[s for s in tail if last - (n + 1) * 1000 < s.flushed_ms <= last - n * 1000]
                for n in reversed(range(steps))]  # fmt: skip
    for segment in tail:
        if segment.flushed_ms <= last - steps * 1000:
            segment.write(metrics)
    reader = MetricsReader(metrics)
    first = timed(lambda: QUERIES["spend by day"][0](reader, scope), 1)
    seen: dict[str, list[float]] = {name: [] for name in QUERIES}
    for _ in range(rounds):
        for name, (query, _, _) in QUERIES.items():
            for segment in arriving.pop(0):
                segment.write(metrics)
            seen[name].append(timed(lambda q=query: q(reader, scope), 1))
    return {name: statistics.median(times) for name, times in seen.items()}, first


def in_memory_times(frame: pd.DataFrame, scope: Scope) -> dict[str, float]:
    """Each pandas computation over a frame already in memory (the reading left out)."""
    return {name: timed(lambda b=b: b(frame, scope), 1) for name, (_, b, _) in QUERIES.items()}


def run(
    events: int, segment_count: int, days: int, rounds: int, tail_s: int, tail_jobs: float,
    tail_again: int,
) -> dict[str, Any]:  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["VEOGEN_DATA_DIR"] = str(folder)
        os.environ.pop("VEOGEN_DATABASE_URL", None)
        settings = load_settings()
        db = Database(settings.db_url)
        db.migrate()
        owner = local_user(db)
        model = "veo-3.1-fast-generate-001"
        ids = [projects.create_project(db, owner, {"name": f"Film {n:02d}"}, model).id
               for n in range(PROJECTS)]  # fmt: skip
        metrics = settings.metrics_dir
        start = time.perf_counter()
        written = write_events(metrics, events, segment_count, days, ids, [owner.id])
        seeded_s = time.perf_counter() - start
        today = datetime.now(UTC).date()
        filters = Filters(today - timedelta(days=DAYS_SHOWN - 1), today, tuple(ids[1:]))
        scope = scope_for(db, owner, filters)
        reader = MetricsReader(metrics)
        before = {
            name: timed(lambda q=q: q(reader, scope), 1) for name, (q, _, _) in QUERIES.items()
        }
        print(f"before compaction: {before}", file=sys.stderr)
        compaction = compact_all(metrics)
        files = compacted(metrics)
        after = {
            name: timed(lambda q=q: q(reader, scope), rounds) for name, (q, _, _) in QUERIES.items()
        }
        reading = {
            name: timed(lambda b=b, c=c: b(pd.read_parquet(files, columns=c), scope), 1)
            for name, (_, b, c) in QUERIES.items()
        }
        in_memory = in_memory_times(pd.read_parquet(files), scope)
        page = page_time(folder, max(1, rounds))
        counted = reader.query("SELECT count(*) AS n FROM events")["n"][0]
        tail, new = live_tail(metrics, tail_s, tail_jobs, ids, [owner.id], tail_again)
        with_tail, first = tail_times(metrics, scope, tail, rounds)
        # every event once: the tail's own, less those recorded twice or compacted already
        seen = reader.query("SELECT count(*) AS n FROM events")["n"][0]
        assert seen == counted + new, (seen, counted, new)
        page_with_tail = page_time(folder, max(1, rounds))
    return {
        "events": written, "segments": segment_count, "days": days, "seeded_s": seeded_s,
        "compaction": compaction, "compacted_files": len(files), "before": before,
        "after": after, "pandas_reading": reading, "pandas_in_memory": in_memory, "page": page,
        "tail": {"seconds": tail_s, "segments": len(tail),
                 "events": sum(s.rows.num_rows for s in tail), "new": new},
        "with_tail": with_tail, "first_with_tail": first, "page_with_tail": page_with_tail,
    }  # fmt: skip


def report(s: dict[str, Any]) -> None:
    c, t = s["compaction"], s["tail"]
    print(f"{s['events']:,} events in {s['segments']:,} segments over {s['days']} days")
    print(f"compaction: {c['seconds']:.1f} s in {c['runs']} run(s), peak {c['peak_mb']:.0f} MB, "
          f"{s['compacted_files']} files after")  # fmt: skip
    print(f"live tail: {t['segments']:,} segments of the last {t['seconds']} s, "
          f"{t['events']:,} events ({t['new']:,} not compacted yet)")  # fmt: skip
    print(f"{'query':<20} {'before':>9} {'after':>8} {'pandas (read+compute)':>22} "
          f"{'x':>6} {'pandas in memory':>17} {'x':>6} {'with tail':>10}")  # fmt: skip
    for name in s["after"]:
        b, a, w = s["before"][name], s["after"][name], s["with_tail"][name]
        r, m = s["pandas_reading"][name], s["pandas_in_memory"][name]
        print(f"{name:<20} {b * 1000:>7,.0f}ms {a * 1000:>6,.0f}ms {r * 1000:>20,.0f}ms "
              f"{r / a:>5.1f}x {m * 1000:>15,.0f}ms {m / a:>5.1f}x {w * 1000:>8,.0f}ms")  # fmt: skip
    worst, tailed = max(s["after"].values()), max(s["with_tail"].values())
    print(f"slowest query after compaction: {worst * 1000:.0f} ms, with the live tail "
          f"{tailed * 1000:.0f} ms (target <= 200 ms); a fresh reader's first query "
          f"{s['first_with_tail'] * 1000:.0f} ms")  # fmt: skip
    for label, page in (("page", s["page"]), ("page with the tail", s["page_with_tail"])):
        print(f"{label} server time: {page['seconds'] * 1000:.0f} ms (target <= 1 s), "
              f"studio peak memory {page['peak_mb']:.0f} MB (target <= 500 MB)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--segments", type=int, default=2000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tail-s", type=int, default=120)
    parser.add_argument("--tail-jobs", type=float, default=4.0)
    parser.add_argument("--tail-again", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    summary = run(args.events, args.segments, args.days, args.rounds, args.tail_s,
                  args.tail_jobs, args.tail_again)  # fmt: skip
    report(summary)
    if args.json:
        print(json.dumps(summary, default=str))


if __name__ == "__main__":
    main()
