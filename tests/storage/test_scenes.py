from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from storage import assets, cut, jobs, members, projects, scenes
from storage.assets import UNDO_WINDOW
from storage.db import Database
from storage.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from storage.media import LocalMediaStore
from storage.models import Role, Scene, User, utcnow
from tests.clips import png
from tests.storage.made_takes import made_take

MODEL = "veo-3.1-fast-generate-001"


def make_project(db: Database, owner: User, **fields: object) -> int:
    return projects.create_project(db, owner, {"name": "Film", **fields}, MODEL).id


def test_scene_takes_project_defaults_and_validates_against_its_model(
    db: Database, owner: User
) -> None:
    pid = make_project(db, owner, aspect_ratio="9:16", style="noir")
    scene = scenes.add_scene(db, owner, pid, {"prompt": "a cat", "duration": 6})
    assert (scene.aspect_ratio, scene.style, scene.title, scene.model) == (
        "9:16",
        "noir",
        "Scene 1",
        MODEL,
    )
    with pytest.raises(InvalidInput) as err:
        scenes.add_scene(db, owner, pid, {"prompt": "", "duration": 9, "camera": "spin"})
    text = str(err.value)
    assert "prompt: is required" in text
    assert "duration: 9 is not allowed for Veo 3.1 Fast; allowed: 4, 6, 8" in text
    assert "camera: 'spin' is not allowed" in text
    assert len(scenes.list_scenes(db, owner, pid)) == 1


def test_a_bad_scene_in_a_batch_saves_none_of_it(db: Database, owner: User) -> None:
    pid = make_project(db, owner)
    with pytest.raises(InvalidInput, match="scene 2 duration"):
        scenes.add_scenes(db, owner, pid, [{"prompt": "ok"}, {"prompt": "bad", "duration": 30}])
    assert scenes.list_scenes(db, owner, pid) == []


def test_prompt_longer_than_the_model_allows_is_refused_with_the_limit(
    db: Database, owner: User
) -> None:
    pid = make_project(db, owner)
    with pytest.raises(InvalidInput, match="prompt: is 4001 characters; at most 4000 allowed"):
        scenes.add_scene(db, owner, pid, {"prompt": "x" * 4001})


def test_duplicate_move_delete_keep_positions_dense(
    db: Database, owner: User, tmp_path: Path
) -> None:
    pid = make_project(db, owner)
    a, b, c = scenes.add_scenes(db, owner, pid, [{"prompt": p, "title": p} for p in "abc"])
    copy = scenes.duplicate_scene(db, owner, a.id)
    assert [s.title for s in scenes.list_scenes(db, owner, pid)] == ["a", "a (copy)", "b", "c"]
    scenes.move_scene(db, owner, c.id, 0)
    assert [s.title for s in scenes.list_scenes(db, owner, pid)] == ["c", "a", "a (copy)", "b"]
    scenes.delete_scene(db, LocalMediaStore(tmp_path), owner, copy.id)
    ordered = scenes.list_scenes(db, owner, pid)
    assert [(s.title, s.position) for s in ordered] == [("c", 0), ("a", 1), ("b", 2)]
    with pytest.raises(InvalidInput, match="position: 5 is out of range; allowed: 1 to 3"):
        scenes.move_scene(db, owner, b.id, 4)


def test_edit_keeps_fields_not_given(db: Database, owner: User) -> None:
    pid = make_project(db, owner)
    scene = scenes.add_scene(db, owner, pid, {"prompt": "sea", "seed": 5, "camera": "orbit"})
    updated = scenes.update_scene(db, owner, scene.id, {"title": "Sea"})
    assert (updated.title, updated.seed, updated.camera, updated.prompt) == (
        "Sea",
        5,
        "orbit",
        "sea",
    )


def test_roles_are_enforced_in_the_data_layer(db: Database, owner: User, stranger: User) -> None:
    pid = make_project(db, owner)
    scene = scenes.add_scene(db, owner, pid, {"prompt": "sea"})
    with pytest.raises(NotFound):
        scenes.list_scenes(db, stranger, pid)
    members.add_member(db, owner, pid, stranger, Role.viewer)
    assert len(scenes.list_scenes(db, stranger, pid)) == 1
    with pytest.raises(
        PermissionDenied, match="Stranger is a viewer on 'Film'; editing a scene needs editor"
    ):
        scenes.update_scene(db, stranger, scene.id, {"title": "x"})
    with pytest.raises(PermissionDenied, match="needs owner"):
        projects.update_project(db, stranger, pid, {"name": "Mine"})
    members.add_member(db, owner, pid, stranger, Role.editor)
    assert scenes.update_scene(db, stranger, scene.id, {"title": "x"}).title == "x"


def test_projects_list_counts_and_archive(db: Database, owner: User) -> None:
    pid = make_project(db, owner)
    scenes.add_scenes(
        db, owner, pid, [{"prompt": "a", "duration": 8, "takes": 2}, {"prompt": "b", "duration": 4}]
    )
    [summary] = projects.list_projects(db, owner)
    assert (summary.scenes, summary.takes, summary.seconds) == (2, 0, 12)
    assert summary.estimated_cost_usd == pytest.approx(0.10 * (16 + 4))  # 720p, with sound
    projects.update_project(db, owner, pid, {"name": "Renamed"})
    projects.set_archived(db, owner, pid, True)
    assert projects.list_projects(db, owner) == []
    assert projects.list_projects(db, owner, include_archived=True)[0].project.name == "Renamed"
    with pytest.raises(InvalidInput, match="name: is required"):
        projects.update_project(db, owner, pid, {"name": "  "})


def test_control_characters_are_refused_the_same_on_sqlite_and_postgresql(
    db: Database, owner: User
) -> None:
    pid = make_project(db, owner)
    with pytest.raises(
        InvalidInput, match=r"scene 2 prompt: contains a control character \(U\+0000\)"
    ):
        scenes.add_scenes(db, owner, pid, [{"prompt": "fine"}, {"prompt": "a\x00b"}])
    with pytest.raises(InvalidInput, match=r"name: contains a control character \(U\+001B\)"):
        projects.update_project(db, owner, pid, {"name": "red \x1b[31m"})
    assert scenes.list_scenes(db, owner, pid) == []  # nothing saved half-way
    kept = scenes.add_scene(db, owner, pid, {"prompt": "line one\n\tline two"})
    assert kept.prompt == "line one\n\tline two"  # tabs and line breaks are text


def test_a_deleted_scene_comes_back_in_its_place_with_its_takes_and_ingredients(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path)
    pid = make_project(db, owner, model="veo-3.1-generate-001")  # takes ingredients
    dawn, harbour, dusk = scenes.add_scenes(
        db, owner, pid, [{"title": t, "prompt": f"the quay at {t}"} for t in ("a", "b", "c")]
    )
    mara = assets.add_asset(db, media, owner, pid, "character", "Mara", png())
    scenes.update_scene(db, owner, harbour.id, {"references": [mara.id]})
    take = made_take(db, owner, pid, harbour.id, 4.0)
    scenes.delete_scene(db, media, owner, harbour.id)
    listed = scenes.list_scenes(db, owner, pid)
    assert [(sc.title, sc.position) for sc in listed] == [("a", 0), ("c", 1)]
    assert scenes.list_takes(db, owner, pid) == []
    [summary] = projects.list_projects(db, owner)
    assert (summary.scenes, summary.takes) == (2, 0)
    # no new job, render or edit uses it
    assert [j.scene.id for j in jobs.plan_generation(db, owner, pid, True).jobs] == [
        dawn.id,
        dusk.id,
    ]
    with pytest.raises(NotFound, match=f"scene {harbour.id}: not a scene of project"):
        jobs.create_generation_jobs(db, owner, pid, True, [harbour.id])
    with pytest.raises(NotFound, match="scene 'b' is deleted; undo the delete to use it again"):
        scenes.update_scene(db, owner, harbour.id, {"title": "x"})
    with pytest.raises(InvalidInput, match=r"these scenes have no selected take yet: 1\. a, 2\. c"):
        cut.create_render_job(db, owner, pid, {})
    restored = scenes.restore_scene(db, owner, harbour.id)
    listed = scenes.list_scenes(db, owner, pid)
    assert [(sc.title, sc.position) for sc in listed] == [("a", 0), ("b", 1), ("c", 2)]
    assert restored.selected_take_id == take.id
    assert [t.id for t in scenes.list_takes(db, owner, pid)] == [take.id]
    assert assets.attached_references(db, owner, harbour.id) == [mara.id]
    with pytest.raises(Conflict, match="scene 'b' is not deleted; there is nothing to undo"):
        scenes.restore_scene(db, owner, harbour.id)


def test_undone_deletes_come_back_in_order_and_a_short_storyboard_takes_it_last(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path)
    pid = make_project(db, owner)
    a, b, c, d = scenes.add_scenes(db, owner, pid, [{"prompt": p, "title": p} for p in "abcd"])
    scenes.delete_scene(db, media, owner, b.id)
    scenes.delete_scene(db, media, owner, c.id)
    scenes.restore_scene(db, owner, c.id)  # undone last delete first, as Undo does
    scenes.restore_scene(db, owner, b.id)
    assert [sc.title for sc in scenes.list_scenes(db, owner, pid)] == ["a", "b", "c", "d"]
    scenes.delete_scene(db, media, owner, d.id)
    for gone in (a, b):
        scenes.delete_scene(db, media, owner, gone.id)
    scenes.restore_scene(db, owner, d.id)  # its place (3) is past the one scene left
    assert [(sc.title, sc.position) for sc in scenes.list_scenes(db, owner, pid)] == [
        ("c", 0),
        ("d", 1),
    ]
    added = scenes.add_scene(db, owner, pid, {"prompt": "e"})
    assert (added.title, added.position) == ("Scene 3", 2)  # numbered after the live scenes


def test_only_an_editor_deletes_or_restores_a_scene(
    db: Database, owner: User, stranger: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path)
    pid = make_project(db, owner)
    scene = scenes.add_scene(db, owner, pid, {"prompt": "sea", "title": "Sea"})
    with pytest.raises(NotFound):
        scenes.delete_scene(db, media, stranger, scene.id)
    members.add_member(db, owner, pid, stranger, Role.viewer)
    with pytest.raises(PermissionDenied, match="deleting a scene needs editor"):
        scenes.delete_scene(db, media, stranger, scene.id)
    scenes.delete_scene(db, media, owner, scene.id)
    with pytest.raises(PermissionDenied, match="restoring a scene needs editor"):
        scenes.restore_scene(db, stranger, scene.id)
    with pytest.raises(NotFound, match="scene 'Sea' is deleted"):
        scenes.delete_scene(db, media, owner, scene.id)
    members.add_member(db, owner, pid, stranger, Role.editor)
    assert scenes.restore_scene(db, stranger, scene.id).title == "Sea"


def _age(db: Database, scene_id: int, by: timedelta) -> None:
    with db.session() as s:
        s.execute(update(Scene).where(Scene.id == scene_id).values(deleted_at=utcnow() - by))


def test_a_scene_deleted_longer_than_the_undo_window_is_purged_with_its_takes_files(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path)
    pid = make_project(db, owner)
    rows = [{"prompt": p} for p in "abcde"]
    old, recent, busy, kept, last = scenes.add_scenes(db, owner, pid, rows)
    take = made_take(db, owner, pid, old.id, 4.0)
    media.write(take.media_key, b"video")
    jobs.create_generation_jobs(db, owner, pid, True, [busy.id])  # still queued
    for scene, age in [(old, 1), (recent, -1), (busy, 1)]:
        scenes.delete_scene(db, media, owner, scene.id)
        _age(db, scene.id, UNDO_WINDOW + timedelta(minutes=age))
    scenes.delete_scene(db, media, owner, last.id)  # a delete empties what has expired
    with pytest.raises(NotFound, match=f"scene {old.id}: no such scene"):
        scenes.restore_scene(db, owner, old.id)
    assert not media.exists(take.media_key)
    scenes.restore_scene(db, owner, recent.id)  # within the window
    # past it, a scene waiting for its job to end is not purged, nor brought back
    with pytest.raises(Conflict, match=r"was deleted over 1 day\(s\) ago: too late to undo"):
        scenes.restore_scene(db, owner, busy.id)
    listed = scenes.list_scenes(db, owner, pid)
    assert [sc.id for sc in listed] == [recent.id, kept.id]
