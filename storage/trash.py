"""Emptying the trash: scenes and uploads deleted longer ago than the undo window are
removed for good, with their files, in every project. The engines run it in their
housekeeping, so a project that never deletes again still lets go of what it deleted."""

from __future__ import annotations

from sqlalchemy import select

from storage import assets, scenes
from storage.assets import UNDO_WINDOW
from storage.db import Database
from storage.media import MediaStore
from storage.models import Asset, Scene, utcnow


def empty_trash(db: Database, media: MediaStore) -> int:
    """Remove what waited out its undo window; how many files went with it."""
    cutoff = utcnow() - UNDO_WINDOW
    with db.session() as s:
        projects = set(s.scalars(select(Scene.project_id).where(Scene.deleted_at < cutoff)))
        projects |= set(s.scalars(select(Asset.project_id).where(Asset.deleted_at < cutoff)))
        keys = []
        for project_id in sorted(projects):
            keys += scenes.purge_expired(s, project_id) + assets.purge_expired(s, project_id)
    for key in keys:  # once the rows are gone for good: an undo can no longer want them
        media.delete(key)
    return len(keys)
