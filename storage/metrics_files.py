"""Where metric events lie in the metrics folder, and which files a reader reads.

- ``events-<ms>-<engine>-<seq>.parquet`` at the top: segments as engines flush them (the
  tail), possibly holding an event twice, or an event also compacted already.
- ``day=YYYY-MM-DD/part-<stamp>.parquet``: the tail merged by compaction, one event once
  across all of them. ``merged-<stamp>.parquet`` is a day's files merged into one: it holds
  every file of that day stamped up to its own stamp, so a reader takes the newest merge
  and the parts stamped after it, and never counts a file being merged away twice.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

PART, MERGED = "part", "merged"
# Beside a file compacted a batch at a time (``compacted-*``): how many of its events are done.
PROGRESS = ".progress"


def segments(directory: Path) -> list[Path]:
    """The tail: segments not compacted yet, oldest first (with the whole-history files
    ``compacted-*`` of earlier versions, merged by day like any segment)."""
    return sorted([*directory.glob("events-*.parquet"), *directory.glob("compacted-*.parquet")])


def day_folders(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("day=*") if p.is_dir())


def day_of(folder: Path) -> date:
    return date.fromisoformat(folder.name.removeprefix("day="))


def day_folder(directory: Path, day: date) -> Path:
    return directory / f"day={day.isoformat()}"


def stamp_of(path: Path) -> int:
    return int(path.stem.split("-")[1])


def current_files(folder: Path) -> list[Path]:
    """A day's files a reader reads: the newest merge and the parts stamped after it."""
    files = list(folder.glob("*.parquet"))
    merges = [f for f in files if f.name.startswith(MERGED)]
    upto = max((stamp_of(f) for f in merges), default=-1)
    return sorted(
        (f for f in files if stamp_of(f) > upto or f.name == f"{MERGED}-{upto}.parquet"),
        key=stamp_of,
    )


def compacted(directory: Path) -> list[Path]:
    """Every day's current files, oldest day first."""
    return [f for folder in day_folders(directory) for f in current_files(folder)]


def next_stamp(folder: Path, now_ms: int) -> int:
    """A stamp after every file of the day's: a new part is never taken for merged."""
    return max([now_ms, *(stamp_of(f) + 1 for f in folder.glob("*.parquet"))])
