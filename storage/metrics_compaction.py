"""Compaction: the tail's segments merged by day, each event kept once, in bounded memory.

A run takes the segments old enough to be complete, a batch of about ``BATCH_ROWS`` events
at a time: it drops events past the retention, keeps one row per ``event_id`` (within the
batch, and against what the same day and the day before already hold: an ending recorded
again after a crash comes minutes after the first), writes one part per day, then removes
the batch's segments. A day with many parts, or one that is over, is merged into one file
an event at a time, a row group at a time. Every file holds each event in row groups of its
own, which a query of other events skips. Nothing ever reads the whole history, so the
engine's memory stays flat however much history the folder holds, the whole-history
``compacted-*`` file of earlier versions included (read a batch at a time). One process at
a time (the engine takes a Redis lock first); a run stopped half-way leaves nothing a reader
counts twice (``metrics_files``), and the next run finishes its work and sweeps what it
left.

The engine runs it as a child process (``python -m storage.metrics_compaction``): Parquet's
readers and buffers, 60-70 MB at a batch's peak, go back to the system when it exits
instead of staying in the engine next to a thousand generations in flight.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from storage.metrics import SCHEMA
from storage.metrics_files import (
    MERGED,
    PART,
    PROGRESS,
    current_files,
    day_folder,
    day_folders,
    day_of,
    next_stamp,
    segments,
    stamp_of,
)

BATCH_ROWS = 50_000  # about 12 MB of events in memory at once
MAX_PARTS = 8  # today's parts past this are merged into one
# Parts are sorted by event, then time, in row groups of one event each and at most this
# many rows: a query of some kinds of event (every chart's) skips the others' row groups
# by their min/max statistics, and reads few (16,384: 5-10 % slower over 10 million).
ROW_GROUP = 65_536


# Temp files untouched this long belong to a run that is gone (the engine stops its run
# after 90 s, and a run writes its files continuously).
STALE_S = 600.0


@dataclass(frozen=True)
class Compacted:
    segments: int  # merged and removed
    events: int  # written to the days' parts
    duplicates: int  # dropped: already kept once
    expired_days: int  # removed past the retention
    swept: int  # files left by a run stopped half-way, removed


def compact(
    directory: Path,
    retention_days: int,
    min_segments: int = 16,
    min_age_s: float = 30.0,
    budget_s: float = 20.0,
    batch_rows: int = BATCH_ROWS,
    today: date | None = None,
) -> Compacted:
    """Merge the segments older than ``min_age_s`` by day, when there are ``min_segments``
    of them, for about ``budget_s`` seconds (the next run goes on from there)."""
    today = today or datetime.now(UTC).date()
    oldest = today - timedelta(days=retention_days - 1)
    expired = drop_expired(directory, oldest)
    swept = sweep(directory)
    deadline = time.monotonic() + budget_s
    cutoff = time.time() - min_age_s
    ready = [p for p in segments(directory) if p.stat().st_mtime < cutoff]
    done = written = duplicates = 0
    if len(ready) >= min_segments:
        ids = _KeptIds(directory)
        for batch, rows in _batches(ready, batch_rows):
            if time.monotonic() > deadline:
                break
            if len(batch) == 1 and rows > batch_rows:
                kept, dropped, finished = _compact_large(
                    directory, batch[0], oldest, ids, batch_rows, deadline
                )
            else:
                kept, dropped = _compact_batch(directory, batch, oldest, ids)
                finished = True
            done = done + len(batch) if finished else done
            written, duplicates = written + kept, duplicates + dropped
    for folder in day_folders(directory):
        if time.monotonic() > deadline:
            break
        files = current_files(folder)
        if len(files) > MAX_PARTS or (len(files) > 1 and day_of(folder) < today):
            _merge(folder, files)
    return Compacted(done, written, duplicates, expired, swept)


def drop_expired(directory: Path, oldest: date) -> int:
    """Remove the days before ``oldest``; returns how many."""
    old = [folder for folder in day_folders(directory) if day_of(folder) < oldest]
    for folder in old:
        shutil.rmtree(folder, ignore_errors=True)
    return len(old)


def sweep(directory: Path) -> int:
    """Remove what runs stopped half-way left, never a file a reader counts or a live run
    writes: in each day the files a merge stands for (written, they were not yet removed;
    readers skip them, ``current_files``) and temp files untouched for ``STALE_S``; beside
    the tail, the progress notes of files compacted away. Returns how many."""
    cutoff = time.time() - STALE_S
    left = [
        path
        for folder in day_folders(directory)
        for path in _superseded(folder) + _stale_temps(folder, cutoff)
    ]
    left += [
        note
        for note in directory.glob(f"*{PROGRESS}")
        if not note.with_name(note.name.removesuffix(PROGRESS)).exists()
    ]
    for path in left:
        path.unlink(missing_ok=True)
    return len(left)


def _superseded(folder: Path) -> list[Path]:
    current = set(current_files(folder))
    return [path for path in folder.glob("*.parquet") if path not in current]


def _stale_temps(folder: Path, cutoff: float) -> list[Path]:
    stale = []
    for path in folder.glob("*.tmp"):
        try:
            if path.stat().st_mtime < cutoff:
                stale.append(path)
        except FileNotFoundError:  # renamed or removed by the run writing it
            pass
    return stale


def _batches(paths: list[Path], rows: int) -> list[tuple[list[Path], int]]:
    """Consecutive segments of about ``rows`` events each, and their events (a footer read
    per segment); a file of more than ``rows`` is a batch of its own."""
    batches: list[tuple[list[Path], int]] = []
    for path in paths:
        size = pq.ParquetFile(path).metadata.num_rows
        if not batches or batches[-1][1] >= rows or size > rows:
            batches.append(([], 0))
        batch, count = batches[-1]
        batches[-1] = ([*batch, path], count + size)
    return batches


def _compact_batch(
    directory: Path, batch: list[Path], oldest: date, ids: _KeptIds
) -> tuple[int, int]:
    table = pa.concat_tables([_conformed(pq.read_table(p)) for p in batch])
    read = table.num_rows
    kept = _compact_rows(directory, table, oldest, ids)
    for path in batch:  # only now: until here a reader still counts the batch from these
        path.unlink(missing_ok=True)
    del table
    pa.default_memory_pool().release_unused()  # back to the system, not kept for the next
    return kept, read - kept


def _compact_large(
    directory: Path, path: Path, oldest: date, ids: _KeptIds, rows: int, deadline: float
) -> tuple[int, int, bool]:
    """A file of more than a batch (the whole-history ``compacted-*`` of earlier versions,
    row groups of a million events), ``rows`` of its events at a time: never all of it in
    memory. The events done are noted beside it, so that a run stopped half-way (by its
    budget, or killed) goes on from there; the file is removed once all are. Until then a
    reader counts its events once: in the tail, less what compaction has kept. Returns the
    events kept, those dropped, and whether the file is done."""
    note = path.with_name(f"{path.name}{PROGRESS}")
    done = _events_done(note)
    # pages read as they are decoded, not a row group's column chunks all at once
    source = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
    passed = read = kept = 0
    for group in range(source.num_row_groups):
        size = source.metadata.row_group(group).num_rows
        if passed + size <= done:
            passed += size
            continue
        for batch in source.iter_batches(batch_size=rows, row_groups=[group], use_threads=False):
            if passed + batch.num_rows <= done:
                passed += batch.num_rows
                continue
            if time.monotonic() > deadline:
                return kept, read - kept, False
            fresh = pa.Table.from_batches([batch]).slice(max(0, done - passed))
            read += fresh.num_rows
            kept += _compact_rows(directory, _conformed(fresh), oldest, ids)
            passed += batch.num_rows
            note.write_text(str(passed))
            pa.default_memory_pool().release_unused()
    path.unlink(missing_ok=True)
    note.unlink(missing_ok=True)
    return kept, read - kept, True


def _events_done(note: Path) -> int:
    try:
        return int(note.read_text())
    except (FileNotFoundError, ValueError):  # none yet, or cut short: redo (kept is dropped)
        return 0


def _compact_rows(directory: Path, table: pa.Table, oldest: date, ids: _KeptIds) -> int:
    """Write the events of ``table`` by day, each once, less those past the retention and
    those the days hold already; returns how many were written."""
    start = datetime.combine(oldest, datetime.min.time(), UTC)
    table = _unique(table.filter(pc.field("ts") >= pa.scalar(start, SCHEMA.field("ts").type)))
    days = pc.cast(table["ts"], pa.date32())
    batch_days = pc.unique(days).to_pylist()
    ids.hold_only({day - timedelta(days=n) for day in batch_days for n in (0, 1)})
    kept = 0
    for day in batch_days:
        rows = table.filter(pc.equal(days, pa.scalar(day, pa.date32())))
        seen = ids.of([day - timedelta(days=1), day])
        if len(seen):
            rows = rows.filter(pc.invert(pc.is_in(rows["event_id"], value_set=seen)))
        if rows.num_rows:
            _write_part(day_folder(directory, day), rows)
            ids.add(day, rows["event_id"])
            kept += rows.num_rows
    return kept


def _conformed(table: pa.Table) -> pa.Table:
    """A segment with the columns of today's schema, in its order; older segments lack
    the newer columns (nulls)."""
    columns = [
        table[f.name].cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type)
        for f in SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def _unique(table: pa.Table) -> pa.Table:
    """One row per ``event_id``, its earliest, in time order. (numpy rather than Arrow's
    group_by: that loads Arrow's query engine, 45 MB more in the engine for good.)"""
    table = table.sort_by("ts")
    codes = pc.dictionary_encode(table["event_id"]).combine_chunks().indices.to_numpy()
    _, first = np.unique(codes, return_index=True)
    return table.take(np.sort(first))


class _KeptIds:
    """The ids each day's files hold, read once a run and extended as its parts are
    written; a batch is checked against its days and the day before each, and the days it
    does not check are let go. Batches come mostly in time order, so few days are held at
    once (a day let go is read again if an event recorded late needs it)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._days: dict[date, list[pa.ChunkedArray]] = {}

    def hold_only(self, days: set[date]) -> None:
        self._days = {day: ids for day, ids in self._days.items() if day in days}

    def of(self, days: list[date]) -> pa.Array:
        for day in days:
            if day not in self._days:
                files = current_files(day_folder(self.directory, day))
                self._days[day] = [
                    pq.read_table(f, columns=["event_id"])["event_id"] for f in files
                ]
        chunks = [chunk for day in days for ids in self._days[day] for chunk in ids.chunks]
        return pa.chunked_array(chunks, pa.string()).combine_chunks()

    def add(self, day: date, ids: pa.ChunkedArray) -> None:
        if day in self._days:  # otherwise read with the day's files, this part among them
            self._days[day].append(ids)


def _write_part(folder: Path, rows: pa.Table) -> None:
    rows = rows.sort_by([("event", "ascending"), ("ts", "ascending")])
    stamp = next_stamp(folder, int(time.time() * 1000))
    with _published(folder / f"{PART}-{stamp}.parquet") as writer:
        grouped = _ByEvent(writer)
        for event in _in_order(pc.unique(rows["event"]).to_pylist()):
            grouped.add(event, _of_event(rows, event))
        grouped.flush()


def _merge(folder: Path, files: list[Path]) -> None:
    """Merge a day's current files into one, an event at a time, a row group at a time:
    no dedup needed (the parts hold each event once between them), so memory holds a row
    group or two, and each event of the day lies in row groups of its own."""
    sources = [pq.ParquetFile(path) for path in files]
    # which events each row group holds (its event column alone): read for those only
    holds = [
        [set(pc.unique(s.read_row_group(g, columns=["event"])["event"]).to_pylist())
         for g in range(s.num_row_groups)]
        for s in sources
    ]  # fmt: skip
    name = f"{MERGED}-{max(stamp_of(f) for f in files)}.parquet"
    with _published(folder / name) as writer:
        grouped = _ByEvent(writer)
        for event in _in_order(set().union(*(e for groups in holds for e in groups))):
            for source, groups in zip(sources, holds, strict=True):
                for group, events in enumerate(groups):
                    if event in events:
                        grouped.add(event, _of_event(source.read_row_group(group), event))
        grouped.flush()
    for path in files:  # the merge now stands for them: a reader skips them from here
        if path.name != name:
            path.unlink(missing_ok=True)
    pa.default_memory_pool().release_unused()


class _ByEvent:
    """Writes rows given an event at a time in row groups of ``ROW_GROUP`` rows at most,
    each of one event."""

    def __init__(self, writer: pq.ParquetWriter) -> None:
        self.writer = writer
        self.event: str | None = None
        self.pending: list[pa.Table] = []
        self.count = 0

    def add(self, event: str | None, rows: pa.Table) -> None:
        if event != self.event:
            self.flush()
            self.event = event
        self.pending.append(rows)
        self.count += rows.num_rows
        if self.count >= ROW_GROUP:
            table = pa.concat_tables(self.pending)
            whole = self.count - self.count % ROW_GROUP
            self.writer.write_table(table.slice(0, whole), row_group_size=ROW_GROUP)
            self.pending, self.count = [table.slice(whole)], self.count - whole

    def flush(self) -> None:
        if self.count:
            self.writer.write_table(pa.concat_tables(self.pending))
        self.pending, self.count = [], 0


def _in_order(events: set[str | None] | list[str | None]) -> list[str | None]:
    """Events in the order parts sort them: by name, none last."""
    return sorted(events, key=lambda e: (e is None, e or ""))


def _of_event(rows: pa.Table, event: str | None) -> pa.Table:
    column = rows["event"]
    return rows.filter(pc.is_null(column) if event is None else pc.equal(column, event))


@contextmanager
def _published(path: Path) -> Iterator[pq.ParquetWriter]:
    """A writer of ``path`` that a reader sees only once it is whole (a temp file, renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.tmp")
    with pq.ParquetWriter(temp, SCHEMA, compression="zstd") as writer:
        yield writer
    temp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description="Merge the metric segments by day.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--retention-days", type=int, required=True)
    parser.add_argument("--budget-s", type=float, default=20.0)
    args = parser.parse_args()
    # One thread, the system's allocator: each of Arrow's threads keeps freed memory in its
    # own heap for reuse, and a background merge needs no more than one core (measured on
    # 2 million events: 267 MB at the peak against 357 MB).
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    pa.set_memory_pool(pa.system_memory_pool())
    done = compact(args.directory, args.retention_days, budget_s=args.budget_s)
    print(json.dumps({**asdict(done), "peak_mb": _peak_mb()}))


def _peak_mb() -> float:
    """This process's peak memory (its own: a fork's inherited pages are not counted)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()
