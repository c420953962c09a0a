"""The media store: takes, posters, uploads and movies, spoken of by key everywhere above.

A key is a relative path built only from ids, never from anything a user typed. Everything
outside this module (pages, the CLI, storyboard files, backends) reads and writes media
through ``MediaStore``, so object storage can replace the local folder with no change above
the store. ``LocalMediaStore`` is its one implementation today.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

from storage.errors import NotFound, StorageFull, StudioError


def take_key(project_id: int, scene_id: int, job_id: int, sample: int) -> str:
    return f"projects/{project_id}/scenes/{scene_id}/job{job_id}-take{sample}.mp4"


def poster_key(video_key: str) -> str:
    return video_key.rsplit(".", 1)[0] + ".jpg"


def movie_key(project_id: int, job_id: int, extension: str) -> str:
    return f"projects/{project_id}/movies/job{job_id}.{extension}"


def asset_key(project_id: int, extension: str) -> str:
    return f"projects/{project_id}/assets/{uuid.uuid4().hex}.{extension}"


def save_as(media: MediaStore, key: str, path: Path) -> None:
    """Copy ``key`` out of the store to a file of the user's (a download, an export)."""
    with media.open(key) as source, path.open("wb") as target:
        shutil.copyfileobj(source, target)


def project_prefix(project_id: int) -> str:
    """Every key of a project starts so: takes, library, movies."""
    return f"projects/{project_id}/"


class MediaStore(Protocol):
    def exists(self, key: str) -> bool: ...

    def read(self, key: str) -> bytes: ...

    def open(self, key: str) -> BinaryIO:
        """The file for reading, in binary."""
        ...

    def writing(self, key: str) -> AbstractContextManager[Path]:
        """A private local file to write ``key`` into: it becomes ``key`` when the block
        ends, whole, or is removed if the block raises (a full disk names itself)."""
        ...

    def write(self, key: str, data: bytes) -> None: ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> None: ...

    def local_path(self, key: str) -> Path:
        """A file on this machine holding ``key``, for ffmpeg and PyAV."""
        ...

    def playback(self, key: str) -> str:
        """What a browser player is given: a URL, or a local path the studio serves."""
        ...


class LocalMediaStore:
    """Media as files under one folder; writes land by rename, so no reader sees half."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise NotFound(f"media {key!r}: outside the media store")
        return path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def read(self, key: str) -> bytes:
        with self.open(key) as file:
            return file.read()

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise NotFound(f"media {key}: the file is missing from the media store") from None

    @contextmanager
    def writing(self, key: str) -> Iterator[Path]:
        final = self._path(key)
        temp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            yield temp
            os.replace(temp, final)
        except OSError as exc:
            raise _explain(exc, final.parent) from None
        finally:
            temp.unlink(missing_ok=True)

    def write(self, key: str, data: bytes) -> None:
        with self.writing(key) as temp:
            temp.write_bytes(data)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(self._path(prefix), ignore_errors=True)

    def local_path(self, key: str) -> Path:
        return self._path(key)

    def playback(self, key: str) -> str:
        # Streamlit's media widgets serve a local path themselves
        return str(self._path(key))


def _explain(exc: OSError, where: Path) -> StudioError:
    if exc.errno == errno.ENOSPC:
        return StorageFull(f"media store: the disk holding {where} is full")
    return StudioError(f"media store: cannot write {where}: {exc.strerror}")
