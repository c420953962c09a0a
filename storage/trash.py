"""Emptying the trash: scenes and uploads deleted longer ago than the undo window are
removed for good, with their files, in every project. The engines run it in their
housekeeping, so a project that never deletes again still lets go of what it deleted."""

from __future__ import annotations

from storage import assets, review_sessions, scenes
from storage.db import Database
from storage.media import MediaStore


def empty_trash(db: Database, media: MediaStore) -> int:
    """Remove what waited out its undo window; how many files went with it."""
    with db.session() as s:
        review_sessions.keep_reports(s)  # first: a report keeps what the trash takes
        keys = scenes.purge_expired(s, None) + assets.purge_expired(s, None)
    for key in keys:  # once the rows are gone for good: an undo can no longer want them
        media.delete(key)
    return len(keys)
