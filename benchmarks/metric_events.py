"""Synthetic metric events, written as engines write them: many small segments in time order.

Each job is queued, started, reports progress and ends (mostly succeeded; some failed,
blocked or cancelled, with the engines' own error words); one ending in a hundred is
recorded twice, as after an engine's restart; every engine samples its state each minute.
Used by `benchmarks/analytics.py` and `benchmarks/inflight.py --events`; ``live_tail`` makes
the live tail, segments not compacted yet, as busy engines leave it between compactions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from storage.metrics import SCHEMA, write_segment
from storage.metrics_files import compacted, day_of

MODELS = {  # model: (provider, USD per second, render seconds at the median)
    "veo-3.1-generate-001": ("veo", 0.40, 90.0),
    "veo-3.1-fast-generate-001": ("veo", 0.10, 45.0),
    "veo-3.1-lite-generate-001": ("veo", 0.05, 30.0),
    "veo-3.0-generate-001": ("veo", 0.40, 100.0),
    "veo-2.0-generate-001": ("veo", 0.35, 120.0),
}
ENDINGS = ("succeeded", "failed", "blocked", "cancelled")
ENDING_SHARES = (0.86, 0.07, 0.04, 0.03)
ERRORS = {
    "failed": (
        "submit: Veo refused the request: quota exceeded (429 RESOURCE_EXHAUSTED): try later",
        "timeout: Veo did not finish within 1800 s",
        "request: Veo refused the request (400 INVALID_ARGUMENT): duration must be 4, 6 or 8",
        "engine: ConnectionError: lost",
    ),
    "blocked": ("safety: Veo's safety filters blocked every sample: violence",),
}
ENGINES = 4
EVENTS_PER_JOB = 4  # queued, started, progress, an ending
SAMPLE_EVERY_S = 60
DAY_MS = 86_400_000
FLUSH_S = 2  # an engine flushes its events this often, and at each job's end
TAIL_JOBS = 1_000_000_000  # the tail's job ids, after the history's
LEAD_S = 300  # the tail's jobs are queued from this long before it: its window holds every stage


def write_events(
    directory: Path,
    total: int,
    segments: int,
    days: int,
    projects: list[int],
    users: list[int],
    seed: int = 7,
    end: datetime | None = None,
) -> int:
    """Write about ``total`` events over the ``days`` before ``end`` as ``segments``
    segments, a day at a time (memory holds one day); returns the events written."""
    rng = np.random.default_rng(seed)
    end = end or datetime.now(UTC)
    start = end - timedelta(days=days)
    samples_per_day = ENGINES * 86_400 // SAMPLE_EVERY_S
    jobs_per_day = max(1, (total // days - samples_per_day) // EVENTS_PER_JOB)
    written, job_base = 0, 0
    for day in range(days):
        first = start + timedelta(days=day)
        table = _jobs(rng, first, DAY_MS, jobs_per_day, job_base, projects, users)
        job_base += jobs_per_day
        share = segments // days + (1 if day < segments % days else 0)
        for n, chunk in enumerate(np.array_split(np.arange(table.num_rows), max(1, share))):
            part = table.take(pa.array(chunk))
            stamp = int(part["ts"][-1].value) if part.num_rows else 0
            path = write_segment(
                directory, f"events-{stamp}-bench{n % ENGINES}-{day:04d}{n:04d}.parquet", part
            )
            old = (first + timedelta(days=1)).timestamp() - 3600  # as if written long ago
            os.utime(path, (old, old))
        written += table.num_rows
    return written


@dataclass(frozen=True)
class Segment:
    flushed_ms: int
    name: str
    rows: pa.Table

    def write(self, directory: Path) -> None:
        path = write_segment(directory, self.name, self.rows)
        os.utime(path, (self.flushed_ms / 1000, self.flushed_ms / 1000))


def live_tail(
    directory: Path,
    seconds: int,
    jobs_per_s: float,
    projects: list[int],
    users: list[int],
    again: int,
    seed: int = 11,
    end: datetime | None = None,
) -> tuple[list[Segment], int]:
    """The segments of the last ``seconds`` of engines ending ``jobs_per_s`` jobs (and
    queueing, starting and sampling), each engine's events flushed every ``FLUSH_S`` and
    at each job's end, with ``again`` endings compacted already recorded again (as after
    an engine's restart), in the order they are flushed; and how many events they add to
    what ``directory`` counts (each id once, less the ones compacted)."""
    rng = np.random.default_rng(seed)
    end = end or datetime.now(UTC)
    span = seconds + LEAD_S
    first = end - timedelta(seconds=span)
    table = _jobs(rng, first, span * 1000, int(jobs_per_s * span), TAIL_JOBS, projects, users)
    high = int(end.timestamp() * 1000)
    low = high - seconds * 1000
    ts = np.asarray(table["ts"].cast(pa.int64()))
    table = table.filter(pa.array((ts >= low) & (ts < high)))
    new = len(pc.unique(table["event_id"]))
    table = pa.concat_tables([table, _recorded_again(rng, directory, again, low, high)])
    ts = np.asarray(table["ts"].cast(pa.int64()))
    engines = np.asarray(table["engine"].to_pylist())
    endings = np.isin(np.asarray(table["event"].to_pylist()), ENDINGS)
    flushed = []
    for engine in np.unique(engines):
        mine = engines == engine
        housekeeping = np.arange(low + FLUSH_S * 1000, high, FLUSH_S * 1000)
        flushes = np.unique(np.concatenate([housekeeping, [high], ts[mine & endings] + 1]))
        into = np.searchsorted(flushes, ts, side="left")  # the first flush at or after it
        for seq, flush in enumerate(np.unique(into[mine])):
            at = int(flushes[flush])
            rows = table.filter(pa.array(mine & (into == flush)))
            flushed.append(Segment(at, f"events-{at}-{engine}-{seq:06d}.parquet", rows))
    return sorted(flushed, key=lambda segment: segment.flushed_ms), new


def _recorded_again(
    rng: np.random.Generator, directory: Path, count: int, low: int, high: int
) -> pa.Table:
    """The newest ``count`` endings compacted before ``low``, recorded again between
    ``low`` and ``high`` (ms): as after an engine's restart, never before the first copy
    (the history's last jobs may end after now, and past midnight)."""
    files = compacted(directory)
    today = datetime.fromtimestamp(low / 1000, UTC).date()
    newest = max(day_of(f.parent) for f in files if day_of(f.parent) <= today)
    rows = pa.concat_tables([pq.read_table(f) for f in files if day_of(f.parent) == newest])
    before = pc.less(rows["ts"].cast(pa.int64()), low)
    done = rows.filter(pc.and_(pc.is_in(rows["event"], pa.array(ENDINGS)), before)).sort_by("ts")
    done = done.slice(max(0, done.num_rows - count))
    again = pa.array(np.sort(rng.integers(low, high, done.num_rows)), pa.int64())
    return done.set_column(
        done.schema.get_field_index("ts"), "ts", again.cast(SCHEMA.field("ts").type)
    )


def _jobs(
    rng: np.random.Generator,
    first: datetime,
    span_ms: int,
    jobs: int,
    job_base: int,
    projects: list[int],
    users: list[int],
) -> pa.Table:
    base_ms = int(first.timestamp() * 1000)
    ids = np.arange(job_base, job_base + jobs) + 1
    names = np.array(list(MODELS))
    model = rng.integers(0, len(names), jobs)
    price = np.array([MODELS[m][1] for m in names])[model]
    typical = np.array([MODELS[m][2] for m in names])[model]
    queued = base_ms + np.sort(rng.integers(0, span_ms, jobs))
    wait = rng.exponential(20.0, jobs)
    render = typical * rng.lognormal(0.0, 0.35, jobs)
    started = queued + (wait * 1000).astype(np.int64)
    ended_at = started + (render * 1000).astype(np.int64)
    ending = rng.choice(len(ENDINGS), jobs, p=ENDING_SHARES)
    draft = rng.random(jobs) < 0.3
    seconds = rng.choice([4, 6, 8], jobs).astype(np.float64)
    estimated = seconds * price
    succeeded = ending == 0
    job = {
        "job_id": ids,
        "project_id": np.array(projects)[rng.zipf(1.6, jobs) % len(projects)],
        "scene_id": ids * 10,
        "backend": np.where(draft, "animatic", "veo"),
        "model": names[model],
        "attempt": np.ones(jobs, np.int32),
        "takes": np.ones(jobs, np.int32),
        "user_id": np.array(users)[rng.integers(0, len(users), jobs)],
        "draft": draft,
    }
    error_words = np.array([""] + [e for k in ("failed", "blocked") for e in ERRORS[k]])
    failed_error = rng.integers(1, 1 + len(ERRORS["failed"]), jobs)
    error = np.where(ending == 1, failed_error, np.where(ending == 2, len(error_words) - 1, 0))
    ending_names = np.array(ENDINGS)[ending]
    again = rng.random(jobs) < 0.01  # recorded twice
    frames = [
        _rows(job, "queued", queued, {}, [f"job-{i}-queued" for i in ids]),
        _rows(job, "started", started, {"queue_wait_s": wait}, None),
        _rows(job, "progress", (started + ended_at) // 2, {"progress": np.full(jobs, 0.5)}, None),
    ]
    ending_fields = {
        "render_s": render,
        "video_s": np.where(succeeded, seconds, np.nan),
        "estimated_cost_usd": np.where(succeeded, estimated, np.nan),
        "billed_usd": np.where(succeeded & ~draft, estimated, np.where(succeeded, 0.0, np.nan)),
        "bytes": np.where(succeeded, (seconds * 1_500_000).astype(np.int64), 0),
        "error": np.where(error > 0, error_words[error], None),
    }
    ending_ids = [f"job-{i}-{e}-1" for i, e in zip(ids, ending_names, strict=True)]
    frames.append(_rows(job, ending_names, ended_at, ending_fields, ending_ids))
    frames.append(_rows(job, ending_names, ended_at + 60_000, ending_fields, ending_ids, again))
    frames.append(_samples(rng, base_ms, span_ms, queued, ended_at))
    return pa.concat_tables(frames).sort_by("ts")


def _rows(
    job: dict[str, np.ndarray],
    event: str | np.ndarray,
    ts: np.ndarray,
    fields: dict[str, np.ndarray],
    event_ids: list[str] | None,
    only: np.ndarray | None = None,
) -> pa.Table:
    keep = np.ones(len(ts), bool) if only is None else only
    count = int(keep.sum())
    names = event_ids if event_ids is not None else [os.urandom(16).hex() for _ in range(len(ts))]
    columns = {
        "event_id": np.array(names, dtype=object)[keep],
        "ts": pa.array(ts[keep], pa.timestamp("ms", tz="UTC")),
        "event": np.broadcast_to(np.asarray(event, dtype=object), ts.shape)[keep],
        "engine": np.array([f"bench{n % ENGINES}" for n in range(count)], dtype=object),
        **{k: v[keep] for k, v in job.items()},
        **{k: v[keep] for k, v in fields.items()},
    }
    return _table(columns, count)


def _samples(
    rng: np.random.Generator, base_ms: int, span_ms: int, queued: np.ndarray, ended: np.ndarray
) -> pa.Table:
    """Each engine's minute: its share of the jobs in flight, the queue and quota holds."""
    times = base_ms + np.arange(0, span_ms, SAMPLE_EVERY_S * 1000)
    in_flight = np.searchsorted(np.sort(queued), times) - np.searchsorted(np.sort(ended), times)
    count = len(times) * ENGINES
    ts = np.repeat(times, ENGINES)
    share = np.repeat(np.maximum(in_flight, 0), ENGINES) // ENGINES
    held = rng.random(len(times)) < 0.02
    columns = {
        "event_id": np.array([os.urandom(16).hex() for _ in range(count)], dtype=object),
        "ts": pa.array(ts, pa.timestamp("ms", tz="UTC")),
        "event": np.full(count, "sample", dtype=object),
        "engine": np.array([f"bench{n}" for n in range(ENGINES)] * len(times), dtype=object),
        "in_flight": np.minimum(share, 50).astype(np.int32),
        "slots": np.full(count, 50, np.int32),
        "queue_depth": np.repeat(np.maximum(in_flight - 200, 0), ENGINES),
        "pending": np.minimum(share, 50).astype(np.int64),
        "quota_hold_s": np.repeat(np.where(held, rng.uniform(5, 60, len(times)), 0.0), ENGINES),
    }
    return _table(columns, count)


def _table(columns: dict[str, object], count: int) -> pa.Table:
    arrays = [
        pa.array(columns[f.name], f.type, from_pandas=True)
        if f.name in columns
        else pa.nulls(count, f.type)
        for f in SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)
