from __future__ import annotations

import os
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from storage import metrics_compaction, metrics_tail
from storage.metrics import SCHEMA, MetricsWriter
from storage.metrics_compaction import MAX_PARTS, compact
from storage.metrics_files import compacted, current_files, day_folder, day_folders, segments
from storage.metrics_reader import MetricsReader


def test_reader_sees_all_events_while_writers_write(tmp_path: Path) -> None:
    writers = [MetricsWriter(tmp_path, f"engine{i}") for i in range(3)]
    reader = MetricsReader(tmp_path)
    stop = threading.Event()
    errors: list[Exception] = []

    def write(writer: MetricsWriter) -> None:
        for n in range(40):
            writer.record("succeeded", job_id=n, project_id=1, takes=1)
            if n % 4 == 3:
                writer.flush()
        writer.flush()

    def read() -> None:
        while not stop.is_set():
            try:
                reader.query("SELECT count(*) FROM events")
            except Exception as exc:  # any error here is the failure under test
                errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    watcher = threading.Thread(target=read)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watcher.join()
    assert errors == []
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 120


def test_compaction_merges_segments_by_day_without_losing_or_doubling(tmp_path: Path) -> None:
    writer = MetricsWriter(tmp_path, "e")
    now = datetime.now(UTC)
    for n in range(20):
        writer.record("started", job_id=n, ts=now - timedelta(days=n % 3))
        writer.record("succeeded", event_id=f"job-{n}-succeeded-1", job_id=n, ts=now)
        writer.record("succeeded", event_id=f"job-{n}-succeeded-1", job_id=n, ts=now)  # again
        writer.flush()
    assert len(segments(tmp_path)) == 20
    done = compact(tmp_path, retention_days=30, min_segments=5, min_age_s=0)
    assert (done.segments, done.events, done.duplicates) == (20, 40, 20)
    assert segments(tmp_path) == []
    days = sorted({p.parent.name for p in compacted(tmp_path)})
    assert days == [f"day={(now - timedelta(days=d)).date()}" for d in (2, 1, 0)]
    reader = MetricsReader(tmp_path)
    counted = reader.query("SELECT count(DISTINCT job_id) AS n, count(*) AS m FROM events")
    assert counted.iloc[0].tolist() == [20, 40]


def test_an_event_recorded_again_after_compaction_is_counted_once(tmp_path: Path) -> None:
    writer = MetricsWriter(tmp_path, "e")
    writer.record("succeeded", event_id="job-1-succeeded-1", job_id=1)
    writer.flush()
    compact(tmp_path, retention_days=30, min_segments=1, min_age_s=0)
    writer.record("succeeded", event_id="job-1-succeeded-1", job_id=1)  # an engine's restart
    writer.flush()
    reader = MetricsReader(tmp_path)
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 1  # the tail knows
    assert compact(tmp_path, 30, min_segments=1, min_age_s=0).duplicates == 1
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 1


def test_a_run_reads_a_days_ids_once_and_checks_each_batch_against_the_ones_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = MetricsWriter(tmp_path, "e")
    writer.record("started", job_id=0)
    writer.flush()
    compact(tmp_path, 30, min_segments=1, min_age_s=0)  # today holds a part
    for n in range(1, 6):
        writer.record("succeeded", event_id=f"job-{n}-succeeded-1", job_id=n)
        writer.record("succeeded", event_id=f"job-{n - 1}-succeeded-1", job_id=n - 1)  # again
        writer.flush()
    reads: list[object] = []
    read_table = pq.read_table

    def counted(source: object, *args: object, **kwargs: object) -> pa.Table:
        if kwargs.get("columns") == ["event_id"]:
            reads.append(source)
        return read_table(source, *args, **kwargs)

    monkeypatch.setattr(metrics_compaction.pq, "read_table", counted)
    done = compact(tmp_path, 30, min_segments=1, min_age_s=0, batch_rows=1)  # a batch each
    assert (done.segments, done.events, done.duplicates) == (5, 6, 4)
    assert len(reads) == 1  # the part of today there was when the run began
    assert MetricsReader(tmp_path).query("SELECT count(*) AS n FROM events")["n"][0] == 7


def test_the_reader_counts_a_recorded_again_event_as_compaction_will(tmp_path: Path) -> None:
    """Against the same day and the day before: what compaction drops, the tail's view
    of it drops already, and what compaction keeps twice it counts twice."""
    writer, now = MetricsWriter(tmp_path, "e"), datetime.now(UTC)
    for n, days_ago in enumerate((1, 3)):
        writer.record("succeeded", event_id=f"job-{n}-succeeded-1", ts=now - timedelta(days_ago))
    writer.flush()
    compact(tmp_path, 30, min_segments=1, min_age_s=0)
    reader = MetricsReader(tmp_path)
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 2
    for n in range(2):  # recorded again today, by an engine that restarted
        writer.record("succeeded", event_id=f"job-{n}-succeeded-1", ts=now)
    writer.flush()
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 3
    compact(tmp_path, 30, min_segments=1, min_age_s=0)
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 3


def test_a_reader_counts_each_event_once_while_engines_write_and_compaction_runs(
    tmp_path: Path,
) -> None:
    """What a reader counts only grows: an event is never in neither the tail nor the days,
    nor in both, whichever moment compaction moves it from one to the other."""
    writers = [MetricsWriter(tmp_path, f"engine{i}") for i in range(3)]
    reader = MetricsReader(tmp_path)
    done = threading.Event()
    seen: list[int] = []

    def write(writer: MetricsWriter) -> None:
        for n in range(60):
            ending = f"job-{writer.writer}-{n}-succeeded-1"
            writer.record("succeeded", event_id=ending, job_id=n)
            if n % 10 == 9:  # an engine restarts and records an ending again
                writer.record("succeeded", event_id=f"job-{writer.writer}-{n - 5}-succeeded-1")
            writer.flush()
            time.sleep(0.02)  # as engines flush: readers and compaction run in between

    def keep_compacting() -> None:
        while not done.is_set():
            compact(tmp_path, 30, min_segments=1, min_age_s=0)

    def read() -> None:
        while not done.is_set():
            seen.append(int(reader.query("SELECT count(*) AS n FROM events")["n"][0]))

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    background = [threading.Thread(target=keep_compacting), threading.Thread(target=read)]
    for t in [*background, *threads]:
        t.start()
    for t in threads:
        t.join()
    done.set()
    for t in background:
        t.join()
    assert len(seen) > 10 and seen == sorted(seen) and max(seen) <= 180
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 180
    compact(tmp_path, 30, min_segments=1, min_age_s=0)
    assert segments(tmp_path) == []
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 180


def test_a_reader_counts_a_segment_once_while_its_compaction_is_half_done(tmp_path: Path) -> None:
    """Compaction publishes the day's part before it removes the segments: a reader
    between the two sees both, and counts each event once."""
    writer = MetricsWriter(tmp_path, "e")
    for n in range(3):
        writer.record("started", job_id=n)
    segment = writer.flush()
    assert segment is not None
    kept = segment.read_bytes()
    compact(tmp_path, 30, min_segments=1, min_age_s=0)
    segment.write_bytes(kept)  # as if the reader listed it just before it was removed
    reader = MetricsReader(tmp_path)
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 3


def test_a_catch_up_cut_short_by_compaction_forgets_no_rows_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tail is read a few files at a time: when a later batch finds its file compacted
    away, the rows already read are still known by their files, and leave with them."""
    monkeypatch.setattr(metrics_tail, "AT_ONCE", 2)
    writer = MetricsWriter(tmp_path, "e")
    for n in range(4):
        writer.record("started", job_id=n)
        writer.flush()
    first, second, third, fourth = segments(tmp_path)
    reader = MetricsReader(tmp_path)
    con = reader._con
    listed = metrics_tail.segments
    monkeypatch.setattr(metrics_tail, "segments", lambda d: [first, second, third, fourth])
    fourth.unlink()  # compacted away after the listing: the second batch fails
    with pytest.raises(duckdb.IOException):
        reader._tail.catch_up(con, tmp_path)
    monkeypatch.setattr(metrics_tail, "segments", listed)
    first.unlink()
    second.unlink()
    third.unlink()  # the engines' next run took them all
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 0


def test_compaction_drops_the_days_past_the_retention(tmp_path: Path) -> None:
    writer = MetricsWriter(tmp_path, "e")
    today = datetime.now(UTC)
    for days_ago in (0, 1, 5, 9):
        writer.record("started", job_id=days_ago, ts=today - timedelta(days=days_ago))
    writer.flush()
    compact(tmp_path, retention_days=6, min_segments=1, min_age_s=0)
    reader = MetricsReader(tmp_path)
    assert sorted(reader.query("SELECT job_id FROM events")["job_id"]) == [0, 1, 5]
    later = today.date() + timedelta(days=3)
    assert (
        compact(tmp_path, retention_days=6, min_segments=1, min_age_s=0, today=later).expired_days
        == 1
    )
    assert sorted(reader.query("SELECT job_id FROM events")["job_id"]) == [0, 1]


def test_a_day_of_many_parts_is_merged_into_one_file(tmp_path: Path) -> None:
    writer = MetricsWriter(tmp_path, "e")
    for n in range(MAX_PARTS + 1):
        writer.record("started", job_id=n)
        writer.flush()
        compact(tmp_path, 30, min_segments=1, min_age_s=0)
    files = current_files(day_folder(tmp_path, datetime.now(UTC).date()))
    assert [f.name.split("-")[0] for f in files] == ["merged"]
    assert (
        MetricsReader(tmp_path).query("SELECT count(*) AS n FROM events")["n"][0] == MAX_PARTS + 1
    )


def _row_groups(path: Path) -> list[tuple[str, str, int]]:
    """Each row group's least and greatest event, and its rows."""
    meta = pq.ParquetFile(path).metadata
    column = meta.schema.to_arrow_schema().get_field_index("event")
    groups = [meta.row_group(g) for g in range(meta.num_row_groups)]
    return [(g.column(column).statistics.min, g.column(column).statistics.max, g.num_rows)
            for g in groups]  # fmt: skip


def test_compacted_files_hold_each_event_in_row_groups_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chart's query skips the row groups of the events it does not count."""
    monkeypatch.setattr(metrics_compaction, "ROW_GROUP", 50)
    writer = MetricsWriter(tmp_path, "e")
    noon = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), UTC) + timedelta(
        hours=12
    )
    for day in (noon - timedelta(days=1), noon):
        for n in range(300):
            event = ("queued", "started", "succeeded")[n % 3]
            writer.record(event, job_id=n, ts=day + timedelta(seconds=n))
            if n % 100 == 99:
                writer.flush()
    compact(tmp_path, 30, min_segments=1, min_age_s=0, batch_rows=100)  # three parts a day
    yesterday, today = (current_files(f) for f in day_folders(tmp_path))
    assert [f.name.split("-")[0] for f in yesterday] == ["merged"]  # the day is over
    assert _row_groups(yesterday[0]) == [
        (event, event, 50) for event in ("queued", "started", "succeeded") for _ in range(2)
    ]
    assert len(today) == 3
    assert all(low == high for part in today for low, high, _ in _row_groups(part))
    assert MetricsReader(tmp_path).query("SELECT count(*) AS n FROM events")["n"][0] == 600


def test_segments_of_the_older_schema_are_read_and_compacted(tmp_path: Path) -> None:
    """Segments written before the analytics' columns existed: read as nulls."""
    old = pa.schema([f for f in SCHEMA if f.name not in ("user_id", "draft", "billed_usd")])
    row = {"event_id": "a", "ts": datetime.now(UTC), "event": "started", "job_id": 7}
    pq.write_table(
        pa.Table.from_pylist([row], schema=old), tmp_path / "events-1-old-000001.parquet"
    )
    reader = MetricsReader(tmp_path)
    assert reader.query("SELECT job_id, user_id FROM events").iloc[0].tolist()[0] == 7
    compact(tmp_path, 30, min_segments=1, min_age_s=0)
    assert reader.query("SELECT count(user_id) AS n, count(*) AS m FROM events").iloc[
        0
    ].tolist() == [0, 1]
    assert date.fromisoformat(compacted(tmp_path)[0].parent.name[4:]) == datetime.now(UTC).date()


class Killed(Exception):
    """A compaction stopped where it stood, as by SIGKILL."""


def test_an_earlier_versions_whole_history_file_is_compacted_a_batch_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``compacted-*`` file earlier versions rewrote whole (row groups of a million
    events there) is never read whole: a batch at a time, a run stopped half-way goes on
    from where it stood, and a reader counts each event once meanwhile."""
    old = pa.schema([f for f in SCHEMA if f.name not in ("user_id", "draft", "billed_usd")])
    now = datetime.now(UTC)
    rows = [{"event_id": f"e{n}", "ts": now - timedelta(minutes=n), "event": "started",
             "job_id": n} for n in range(500)]  # fmt: skip
    rows += [rows[n] for n in range(0, 500, 50)]  # kept twice: that compaction kept both
    legacy = tmp_path / "compacted-1-e.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=old), legacy, row_group_size=200)
    reader = MetricsReader(tmp_path)
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 500
    sizes: list[int] = []
    compact_rows = metrics_compaction._compact_rows

    def killed_at_the_third(directory: Path, table: pa.Table, *rest: Any) -> int:
        sizes.append(table.num_rows)
        if len(sizes) == 3:
            raise Killed
        return compact_rows(directory, table, *rest)

    monkeypatch.setattr(metrics_compaction, "_compact_rows", killed_at_the_third)
    with pytest.raises(Killed):
        compact(tmp_path, 30, min_segments=1, min_age_s=0, batch_rows=100)
    assert legacy.exists() and (tmp_path / "compacted-1-e.parquet.progress").read_text() == "200"
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 500
    done = compact(tmp_path, 30, min_segments=1, min_age_s=0, batch_rows=100)
    assert (done.segments, done.events, done.duplicates) == (1, 300, 10)
    assert sizes == [100, 100, 100, 100, 100, 100, 10]  # never more than a batch
    assert segments(tmp_path) == [] and list(tmp_path.glob("*.progress")) == []
    assert sorted(reader.query("SELECT job_id FROM events")["job_id"]) == list(range(500))


def test_what_a_run_stopped_half_way_left_is_swept_and_nothing_a_reader_counts(
    tmp_path: Path,
) -> None:
    writer = MetricsWriter(tmp_path, "e")
    noon = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), UTC) - timedelta(
        hours=12
    )
    for n in range(3):
        writer.record("started", job_id=n, ts=noon + timedelta(minutes=n))
        writer.flush()
    compact(tmp_path, 30, min_segments=1, min_age_s=0, batch_rows=1, today=noon.date())
    folder = day_folder(tmp_path, noon.date())
    parts = {path: path.read_bytes() for path in current_files(folder)}
    assert len(parts) == 3
    compact(tmp_path, 30, min_segments=1, min_age_s=0)  # the day is over: merged
    [merged] = current_files(folder)
    for path, data in parts.items():  # as if the run was killed before it removed them
        path.write_bytes(data)
    reader = MetricsReader(tmp_path)
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 3  # the merge alone
    stale, live = folder / "merged-7.parquet.tmp", folder / "part-8.parquet.tmp"
    note = tmp_path / "compacted-1-e.parquet.progress"  # its file was compacted away
    for path in (stale, live, note):
        path.write_bytes(b"x")
    long_ago = time.time() - 3600
    os.utime(stale, (long_ago, long_ago))
    assert compact(tmp_path, 30, min_segments=1, min_age_s=0).swept == 5
    assert sorted(folder.iterdir()) == sorted([merged, live])  # a run may be writing it
    assert not note.exists()
    assert reader.query("SELECT count(*) AS n FROM events")["n"][0] == 3


def test_empty_store_answers_with_no_rows(tmp_path: Path) -> None:
    assert MetricsReader(tmp_path / "none").query("SELECT * FROM events").empty
