"""The media store: files of takes and posters under keys the project generates.

A key is a relative path built only from ids, never from anything a user typed, and every
lookup is checked to stay inside the store's root.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from pathlib import Path

from storage.errors import NotFound, StudioError


class StorageFull(StudioError):
    pass


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @staticmethod
    def take_key(project_id: int, scene_id: int, job_id: int, sample: int, ext: str) -> str:
        return f"projects/{project_id}/scenes/{scene_id}/job{job_id}-take{sample}.{ext}"

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise NotFound(f"media {key!r}: outside the media store")
        return path

    def temp_path(self, key: str) -> Path:
        """A private file beside ``key`` to write into before ``commit`` makes it visible."""
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        return final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")

    def commit(self, temp: Path, key: str) -> Path:
        final = self.path(key)
        os.replace(temp, final)
        return final

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_project(self, project_id: int) -> None:
        """Every file of a project (all its keys start so): takes, library, movies."""
        shutil.rmtree(self.path(f"projects/{project_id}"), ignore_errors=True)


def explain_os_error(exc: OSError, where: Path) -> StudioError:
    if exc.errno == errno.ENOSPC:
        return StorageFull(f"media store: the disk holding {where} is full")
    return StudioError(f"media store: cannot write {where}: {exc.strerror}")
