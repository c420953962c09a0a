from __future__ import annotations

from pathlib import Path

import pytest

from storage import scenes
from storage.db import Database
from storage.models import User
from storage.projects import list_projects
from storage.storyboard import StoryboardError, export_storyboard, import_storyboard, parse

GOOD = """\
project:
  name: Lighthouse
  aspect_ratio: "9:16"
  style: noir
  budget: 12.5
scenes:
  - title: Storm
    prompt: A lighthouse in a storm
    duration: 4
    camera: zoom-in
    seed: 7
  - prompt: Dawn over the sea
    continuity: previous
    aspect_ratio: "16:9"
"""


def test_import_then_export_round_trips(db: Database, owner: User, tmp_path: Path) -> None:
    path = tmp_path / "board.yaml"
    path.write_text(GOOD)
    project = import_storyboard(db, owner, path, "veo-3.1-fast-generate-001")
    rows = scenes.list_scenes(db, owner, project.id)
    assert [(s.title, s.aspect_ratio, s.style, s.duration) for s in rows] == [
        ("Storm", "9:16", "noir", 4),
        ("Scene 2", "16:9", "noir", 8),
    ]
    assert project.budget_usd == 12.5
    again = tmp_path / "again.yaml"
    again.write_text(export_storyboard(db, owner, project.id))
    copy = import_storyboard(db, owner, again, "veo-3.1-fast-generate-001")
    assert [scenes.scene_values(s) for s in scenes.list_scenes(db, owner, copy.id)] == [
        scenes.scene_values(s) for s in rows
    ]


def test_errors_name_line_field_and_allowed_values_and_save_nothing(
    db: Database, owner: User, tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "project:\n  name: X\n  resolution: 8k\nscenes:\n  - prompt: a\n    duration: 9\n  - foo: 1\n"
    )
    with pytest.raises(StoryboardError) as err:
        import_storyboard(db, owner, path, "veo-3.1-fast-generate-001")
    lines = str(err.value).splitlines()
    assert (
        f"{path}:3: project.resolution: '8k' is not allowed for Veo 3.1 Fast; allowed: 720p, 1080p"
        in lines
    )
    assert (
        f"{path}:6: scenes[1].duration: 9 is not allowed for Veo 3.1 Fast; allowed: 4, 6, 8"
        in lines
    )
    assert any(line.startswith(f"{path}:7: scenes[2].foo: is not a known field") for line in lines)
    assert f"{path}:7: scenes[2].prompt: is required" in lines
    assert list_projects(db, owner) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("project: [\n", "not valid YAML"),
        ("- a\n", "a storyboard is a mapping"),
        ("scenes: 3\n", "scenes: must be a list"),
    ],
)
def test_malformed_files_give_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(StoryboardError, match=message):
        parse(text, "f.yaml")
