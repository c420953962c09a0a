from __future__ import annotations

from pathlib import Path

import pytest

from storage import assets, cut, scenes
from storage.catalog import Catalog
from storage.db import Database
from storage.errors import StoryboardError
from storage.media import LocalMediaStore
from storage.models import User
from storage.projects import get_project, list_projects
from storage.storyboard import export_storyboard, import_storyboard, parse, write_export
from tests.clips import sound

GOOD = """\
project:
  name: Lighthouse
  aspect_ratio: "9:16"
  style: noir
  budget: 12.5
  title_card: {text: Lighthouse, duration: 2}
  end_card: {text: The end, background: white}
  music: {file: bed.wav, name: Harbour theme, fade_in: 1, fade_out: 2}
scenes:
  - title: cut
    notes: cut
    prompt: A lighthouse in a storm
    duration: 4
    camera: zoom-in
    seed: 7
    captions: [{text: Thunder, start: 0.5, end: 2}]
  - prompt: Dawn over the sea
    continuity: previous
    aspect_ratio: "16:9"
    transition: {kind: crossfade, duration: 1}
"""


def test_import_then_export_round_trips(db: Database, owner: User, tmp_path: Path) -> None:
    media = LocalMediaStore(tmp_path / "media")
    path = tmp_path / "board.yaml"
    path.write_text(GOOD)
    (tmp_path / "bed.wav").write_bytes(sound(3))
    project = import_storyboard(db, owner, path, "veo-3.1-fast-generate-001", media)
    rows = scenes.list_scenes(db, owner, project.id)
    assert [(s.title, s.aspect_ratio, s.style, s.duration) for s in rows] == [
        ("cut", "9:16", "noir", 4),  # a title that reads like a transition kind survives
        ("Scene 2", "16:9", "noir", 8),
    ]
    assert (rows[0].captions, rows[1].transition, rows[1].transition_seconds) == (
        [{"text": "Thunder", "start": 0.5, "end": 2.0}],
        "crossfade",
        1.0,
    )
    assert project.budget_usd == 12.5
    made = get_project(db, owner, project.id)
    assert made.title_card == {"text": "Lighthouse", "duration": 2.0, "background": "#000000"}
    assert (made.music_fade_in, made.music_fade_out) == (1.0, 2.0) and made.music_id
    (tmp_path / "out").mkdir()
    again = tmp_path / "out" / "again.yaml"  # the music bed is written beside it
    exported = export_storyboard(db, owner, project.id)
    write_export(exported, again, media)
    assert [again.parent / name for name in exported.files] == [
        again.parent / f"music-{project.id}.wav"
    ]
    copy = import_storyboard(db, owner, again, "veo-3.1-fast-generate-001", media)
    assert [scenes.scene_values(s) for s in scenes.list_scenes(db, owner, copy.id)] == [
        scenes.scene_values(s) for s in rows
    ]
    twin = get_project(db, owner, copy.id)
    assert (twin.title_card, twin.end_card, twin.music_fade_out) == (
        made.title_card,
        {"text": "The end", "duration": 3.0, "background": "#ffffff"},  # names kept as hex
        2.0,
    )
    [bed] = [a for a in assets.list_assets(db, owner, copy.id) if a.kind == "music"]
    assert bed.name == "Harbour theme"


def test_errors_name_line_field_and_allowed_values_and_save_nothing(
    db: Database, owner: User, tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "project:\n  name: X\n  resolution: 8k\nscenes:\n  - prompt: a\n    duration: 9\n  - foo: 1\n"
    )
    with pytest.raises(StoryboardError) as err:
        import_storyboard(
            db, owner, path, "veo-3.1-fast-generate-001", LocalMediaStore(tmp_path / "media")
        )
    lines = str(err.value).splitlines()
    assert (
        f"{path}:3: project.resolution: '8k' is not allowed for Veo 3.1 Fast; allowed: 720p, 1080p, 4k"
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
        (
            "project: {name: x, title_card: {duration: 99}}\n",
            r"f.yaml:1: project.title_card.text: is required\nf.yaml:1: project.title_card.duration",
        ),
        (
            "project: {name: x}\nscenes: [{prompt: a, transition: {kind: dissolve}}]\n",
            "scenes\\[1\\].transition: 'dissolve' is not allowed; allowed: cut, crossfade",
        ),
    ],
)
def test_malformed_files_give_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(StoryboardError, match=message):
        parse(text, Catalog(), "f.yaml")


def test_a_music_file_that_is_not_sound_names_the_field_and_saves_nothing(
    db: Database, owner: User, tmp_path: Path
) -> None:
    path = tmp_path / "board.yaml"
    path.write_text("project: {name: X, music: {file: bed.wav}}\nscenes: [{prompt: a}]\n")
    (tmp_path / "bed.wav").write_bytes(b"RIFF....not a wav")
    with pytest.raises(StoryboardError, match=r"board.yaml: project.music.file: cannot be decoded"):
        import_storyboard(db, owner, path, "veo-3.1-fast-generate-001", LocalMediaStore(tmp_path))
    assert list_projects(db, owner) == []


def test_a_failed_import_leaves_no_files(db: Database, owner: User, tmp_path: Path) -> None:
    path = tmp_path / "board.yaml"  # music is stored before the cut, whose music id is forced bad
    path.write_text("project: {name: X, music: {file: bed.wav}}\nscenes: [{prompt: a}]\n")
    (tmp_path / "bed.wav").write_bytes(sound(2))
    media = LocalMediaStore(tmp_path / "media")
    real = cut.update_cut
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cut, "update_cut", lambda db, a, p, c: real(db, a, p, {**c, "music_id": -1}))
        with pytest.raises(StoryboardError, match="music_id: -1 is not a sound"):
            import_storyboard(db, owner, path, "veo-3.1-fast-generate-001", media)
    assert list_projects(db, owner) == [] and not any((tmp_path / "media").rglob("*.wav"))


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BOMB, r"f.yaml:2: uses an alias \(\*name\); write each value out"),
        ("project: " + "[" * 50 + "]" * 50 + "\n", "f.yaml:1: nests deeper than 20 levels"),
        (
            "project: {name: One}\nproject: {name: Two}\n",
            "f.yaml:2: project: is given twice; keep one of them",
        ),
        (
            "project: {name: x, aspect_ratio: 16:9, budget: nan}\nscenes: [{prompt: a}]\n",
            r"project.budget: must be a finite amount",
        ),
        (
            "project: {name: x, model: sora-2}\nscenes: [{prompt: a}]\n",
            r"f.yaml:1: project.model: 'sora-2' is not allowed; allowed: veo-2.0-generate-001",
        ),
        (
            "project: {name: x}\nscenes: [{prompt: a, captions: [{text: hi, start: nan}]}]\n",
            r"scenes\[1\].captions\[1\].start: 'nan' is not a finite number of seconds",
        ),
        (
            'project: {name: "x\\0y"}\nscenes: [{prompt: a}]\n',
            r"project.name: contains a control character \(U\+0000\) at character 2",
        ),
    ],
)
def test_hostile_or_surprising_yaml_gets_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(StoryboardError, match=message):
        parse(text, Catalog(), "f.yaml")


def test_values_stay_text_where_yaml_would_change_their_type() -> None:
    project, rows = parse(
        "project: {name: 2026-12-07, aspect_ratio: 16:9}\nscenes: [{prompt: yes, title: 1e3}]\n",
        Catalog(),
    )
    assert (project["name"], project["aspect_ratio"]) == ("2026-12-07", "16:9")
    assert rows == [{"prompt": "yes", "title": "1e3"}]


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (
            lambda p: p.write_bytes("project: {name: Café}".encode("latin-1")),
            r"board.yaml:1: the file is not UTF-8 text \(byte 20\)",
        ),
        (
            lambda p: p.write_bytes(b"x" * 1_000_001),
            "board.yaml: is 1.0 MB; a storyboard is at most 1 MB",
        ),
    ],
)
def test_a_file_that_is_not_a_storyboard_is_refused_before_it_is_parsed(
    db: Database, owner: User, tmp_path: Path, write: object, message: str
) -> None:
    path = tmp_path / "board.yaml"
    write(path)  # type: ignore[operator]
    with pytest.raises(StoryboardError, match=message):
        import_storyboard(db, owner, path, "veo-3.1-fast-generate-001", LocalMediaStore(tmp_path))


def test_utf16_storyboards_are_read(db: Database, owner: User, tmp_path: Path) -> None:
    path = tmp_path / "board.yaml"
    path.write_bytes("project: {name: Café}\nscenes: [{prompt: a}]\n".encode("utf-16"))
    project = import_storyboard(
        db, owner, path, "veo-3.1-fast-generate-001", LocalMediaStore(tmp_path)
    )
    assert project.name == "Café"


@pytest.mark.parametrize(
    ("music", "message"),
    [
        ("/dev/zero", r"project.music.file: /dev/zero is outside the storyboard's folder"),
        ("../bed.wav", r"project.music.file: ../bed.wav is outside the storyboard's folder"),
        ("big.wav", r"project.music.file: is 201.0 MB; a sound is at most 200 MB"),
        ("folder", r"project.music.file: is not a regular file"),
    ],
)
def test_a_music_path_is_checked_before_it_is_read(
    db: Database, owner: User, tmp_path: Path, music: str, message: str
) -> None:
    board = tmp_path / "board"
    board.mkdir()
    (board / "folder").mkdir()
    with (board / "big.wav").open("wb") as big:
        big.truncate(201 * 2**20)  # sparse: nothing is read to know its size
    path = board / "board.yaml"
    path.write_text(f"project: {{name: X, music: {{file: {music}}}}}\nscenes: [{{prompt: a}}]\n")
    with pytest.raises(StoryboardError, match=message):
        import_storyboard(db, owner, path, "veo-3.1-fast-generate-001", LocalMediaStore(tmp_path))
    assert list_projects(db, owner) == []
