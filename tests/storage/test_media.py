"""The local media store: whole files by key, nothing half-written, nothing outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.errors import NotFound
from storage.media import LocalMediaStore


def test_a_write_lands_whole_or_not_at_all(tmp_path: Path) -> None:
    media = LocalMediaStore(tmp_path)
    media.write("projects/1/a.bin", b"take")
    assert media.read("projects/1/a.bin") == b"take" and media.exists("projects/1/a.bin")
    with pytest.raises(RuntimeError), media.writing("projects/1/b.bin") as temp:
        temp.write_bytes(b"half")
        raise RuntimeError("the encoder died")
    assert not media.exists("projects/1/b.bin")
    assert sorted(p.name for p in (tmp_path / "projects/1").iterdir()) == ["a.bin"]  # no temp


def test_keys_stay_inside_the_store_and_missing_files_say_so(tmp_path: Path) -> None:
    media = LocalMediaStore(tmp_path / "media")
    with pytest.raises(NotFound, match="outside the media store"):
        media.read("../secrets.txt")
    with pytest.raises(NotFound, match="the file is missing from the media store"):
        media.read("projects/1/gone.mp4")
    media.write("projects/2/x.mp4", b"x")
    media.delete_prefix("projects/2/")
    assert not media.exists("projects/2/x.mp4")
