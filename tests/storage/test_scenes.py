from __future__ import annotations

import pytest

from storage import projects, scenes
from storage.db import Database
from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.models import Role, User

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


def test_duplicate_move_delete_keep_positions_dense(db: Database, owner: User) -> None:
    pid = make_project(db, owner)
    a, b, c = scenes.add_scenes(db, owner, pid, [{"prompt": p, "title": p} for p in "abc"])
    copy = scenes.duplicate_scene(db, owner, a.id)
    assert [s.title for s in scenes.list_scenes(db, owner, pid)] == ["a", "a (copy)", "b", "c"]
    scenes.move_scene(db, owner, c.id, 0)
    assert [s.title for s in scenes.list_scenes(db, owner, pid)] == ["c", "a", "a (copy)", "b"]
    scenes.delete_scene(db, owner, copy.id)
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
    projects.add_member(db, owner, pid, stranger, Role.viewer)
    assert len(scenes.list_scenes(db, stranger, pid)) == 1
    with pytest.raises(
        PermissionDenied, match="Stranger is a viewer on 'Film'; editing a scene needs editor"
    ):
        scenes.update_scene(db, stranger, scene.id, {"title": "x"})
    with pytest.raises(PermissionDenied, match="needs owner"):
        projects.update_project(db, stranger, pid, {"name": "Mine"})
    projects.add_member(db, owner, pid, stranger, Role.editor)
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
