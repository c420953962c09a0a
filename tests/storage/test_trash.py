"""The engines empty the trash: what waited out its undo window goes, with its files, in a
project that never deletes anything again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from storage import assets, projects, scenes
from storage.db import Database
from storage.media import LocalMediaStore
from storage.models import Asset, Scene, User, utcnow
from storage.trash import empty_trash
from tests.clips import png
from tests.storage.made_takes import made_take


def test_what_waited_out_its_undo_window_goes_with_its_files(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path)
    pid = projects.create_project(db, owner, {"name": "Trash"}, "veo-3.1-fast-generate-001").id
    old, recent = scenes.add_scenes(db, owner, pid, [{"prompt": "a"}, {"prompt": "b"}])
    take = made_take(db, owner, pid, old.id, 4.0)
    media.write(take.media_key, b"video")
    image = assets.add_asset(db, media, owner, pid, "object", "lamp", png())
    for scene in (old, recent):
        scenes.delete_scene(db, media, owner, scene.id)
    assets.delete_asset(db, media, owner, image.id)
    expired = utcnow() - assets.UNDO_WINDOW - timedelta(minutes=1)
    with db.session() as s:
        s.execute(update(Scene).where(Scene.id == old.id).values(deleted_at=expired))
        s.execute(update(Asset).where(Asset.id == image.id).values(deleted_at=expired))
    assert empty_trash(db, media) == 2
    assert not media.exists(take.media_key) and not media.exists(image.media_key)
    assert scenes.restore_scene(db, owner, recent.id).title == recent.title  # still in time
    assert empty_trash(db, media) == 0
