from __future__ import annotations

import threading
from pathlib import Path

from storage.metrics import MetricsWriter, compact, segments
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


def test_compaction_merges_segments_without_losing_or_doubling(tmp_path: Path) -> None:
    writer = MetricsWriter(tmp_path, "e")
    for n in range(20):
        writer.record("started", job_id=n)
        writer.flush()
    assert len(segments(tmp_path)) == 20
    assert compact(tmp_path, "e", min_segments=5, min_age_s=0) == 20
    assert len(segments(tmp_path)) == 1
    reader = MetricsReader(tmp_path)
    assert reader.query("SELECT count(DISTINCT job_id) AS n, count(*) AS m FROM events").iloc[
        0
    ].tolist() == [20, 20]


def test_empty_store_answers_with_no_rows(tmp_path: Path) -> None:
    assert MetricsReader(tmp_path / "none").query("SELECT * FROM events").empty
