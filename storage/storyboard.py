"""Storyboard files: a project and its scenes as YAML, imported and exported.

Import validates every scene against the model catalog before anything is saved, and names
the line and field of each problem; export writes a file that imports back the same.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from storage import assets, cut, yaml_text
from storage import projects as project_store
from storage import scenes as scene_store
from storage.catalog import MAX_TITLE_CHARS, Catalog
from storage.db import Database
from storage.errors import InvalidInput, StoryboardError, StudioError
from storage.media import MediaStore, save_as
from storage.models import Project, User
from storage.validation import (
    LINK_FIELDS,
    Checker,
    clean_card,
    clean_fade,
    clean_project,
    clean_scene,
)

TOP_LEVEL = ("project", "scenes")
CUT_KEYS = ("title_card", "end_card", "music")


@dataclass(frozen=True)
class _Lines:
    """Line numbers of the YAML nodes, to point at the field that is wrong."""

    nodes: yaml.Node

    def of(self, *path: str | int) -> int:
        node = self.nodes
        for step in path:
            found = None
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == step:
                        found = key if step == path[-1] else value
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(step, int)
                and step < len(node.value)
            ):
                found = node.value[step]
            if found is None:
                break
            node = found
        return node.start_mark.line + 1


def parse(
    text: str,
    catalog: Catalog,
    name: str = "storyboard",
    default_model: str = "veo-3.1-fast-generate-001",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Validated project fields and scene rows, or one error listing every problem."""
    try:
        data, nodes = yaml_text.load(text)
    except yaml_text.YamlRefused as exc:
        raise StoryboardError(f"{name}:{exc.line}: {exc.message}") from None
    if not isinstance(data, dict) or nodes is None:
        raise StoryboardError(f"{name}:1: a storyboard is a mapping with 'project' and 'scenes'")
    lines = _Lines(nodes)
    problems = [
        f"{name}:{lines.of(k)}: {k}: is not a known key; allowed: project, scenes"
        for k in data
        if k not in TOP_LEVEL
    ]
    project_raw = data.get("project") or {}
    scenes_raw = data.get("scenes") or []
    if not isinstance(project_raw, dict):
        problems.append(f"{name}:{lines.of('project')}: project: must be a mapping")
        project_raw = {}
    if not isinstance(scenes_raw, list):
        problems.append(f"{name}:{lines.of('scenes')}: scenes: must be a list")
        scenes_raw = []
    cut_raw = {k: project_raw.pop(k) for k in CUT_KEYS if k in project_raw}
    project: dict[str, Any] = {}
    check = Checker(cut_raw)
    project_cut = {
        "title_card": clean_card(check, "title_card", cut_raw.get("title_card")),
        "end_card": clean_card(check, "end_card", cut_raw.get("end_card")),
        "music": _music(check, cut_raw.get("music")),
    }
    problems += [
        f"{name}:{lines.of('project', e.field.split('.')[0])}: project.{e.field}: {e.message}"
        for e in check.errors
    ]
    try:
        project = clean_project(project_raw, default_model, catalog)
    except InvalidInput as exc:
        problems += [
            f"{name}:{lines.of('project', e.field)}: project.{e.field}: {e.message}"
            for e in exc.errors
        ]
    defaults = {k: project.get(k) for k in ("model", "aspect_ratio", "resolution", "style")}
    defaults = {k: v for k, v in defaults.items() if v} or {"model": default_model}
    rows = []
    for index, raw in enumerate(scenes_raw):
        if not isinstance(raw, dict):
            problems.append(
                f"{name}:{lines.of('scenes', index)}: scenes[{index + 1}]: must be a mapping of scene fields"
            )
            continue
        try:
            clean_scene(raw, {**defaults, "title": f"Scene {index + 1}"}, catalog)
            rows.append({k: v for k, v in raw.items() if v is not None})
        except InvalidInput as exc:
            problems += [
                f"{name}:{lines.of('scenes', index, e.field)}: scenes[{index + 1}].{e.field}: {e.message}"
                for e in exc.errors
            ]
    if problems:
        raise StoryboardError("\n".join(problems))
    project["budget"] = project.pop("budget_usd")
    project["cut"] = project_cut
    return project, rows


def _music(check: Checker, value: Any) -> dict[str, Any] | None:
    """``{file, name, fade_in, fade_out}``: the file is read (and checked) when the board
    imports; the name defaults to the file's."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"file": value}
    if not isinstance(value, dict) or not value.get("file"):
        check.fail("music", "must be {file, name, fade_in, fade_out} with the sound file's path")
        return None
    name = str(value.get("name") or Path(str(value["file"])).stem).strip()
    if len(name) > MAX_TITLE_CHARS:
        check.fail("music.name", f"is {len(name)} characters; at most {MAX_TITLE_CHARS}")
    return {
        "file": str(value["file"]),
        "name": name,
        "fade_in": clean_fade(check, "music.fade_in", value.get("fade_in"), 2.0),
        "fade_out": clean_fade(check, "music.fade_out", value.get("fade_out"), 3.0),
    }


def import_storyboard(
    db: Database, actor: User, path: Path, default_model: str, media: MediaStore
) -> Project:
    """Create a project with its scenes (and its cut) from a file: all of it, or nothing."""
    try:
        text = yaml_text.decode(_read(path, yaml_text.MAX_BYTES, "a storyboard"))
    except yaml_text.YamlRefused as exc:
        raise StoryboardError(f"{path}:{exc.line}: the file {exc.message}") from None
    fields, rows = parse(text, db.catalog, str(path), default_model)
    board_cut = fields.pop("cut")
    music = board_cut.pop("music")
    sound = None
    if music:
        try:
            music_file = _beside(path, music["file"])
            sound = _read(music_file, assets.MAX_SOUND_BYTES, "a sound", "project.music.file: ")
            assets.check_sound(sound, field="project.music.file")  # before anything is made
        except InvalidInput as exc:
            raise StoryboardError(f"{path}: {exc}") from None
    project = project_store.create_project(db, actor, fields, default_model)
    try:
        scene_store.add_scenes(db, actor, project.id, rows)
        if sound is not None:
            bed = assets.add_asset(db, media, actor, project.id, "music", music["name"], sound)
            board_cut |= {
                "music_id": bed.id,
                "music_fade_in": music["fade_in"],
                "music_fade_out": music["fade_out"],
            }
        cut.update_cut(db, actor, project.id, board_cut)
    except StudioError as exc:  # a partial project never stays (bad input, a full disk)
        project_store.delete_project(db, media, actor, project.id)
        raise StoryboardError(f"{path}: {exc}") from None
    return project


def _beside(board: Path, name: str) -> Path:
    """A file the storyboard names, which must sit in the storyboard's folder or below."""
    folder = board.parent.resolve()
    file = (folder / name).resolve()
    if not file.is_relative_to(folder):
        raise StoryboardError(
            f"{board}: project.music.file: {name} is outside the storyboard's folder; put the "
            "sound beside the storyboard"
        )
    return file


def _read(file: Path, limit: int, what: str, field: str = "") -> bytes:
    """A regular file's bytes, its size checked before anything is read; refusals name
    ``field`` (the storyboard's key that named the file)."""
    try:
        facts = file.stat()
        if not stat.S_ISREG(facts.st_mode):
            raise StoryboardError(f"{file}: {field}is not a regular file")
        if facts.st_size > limit:
            raise StoryboardError(
                f"{file}: {field}is {facts.st_size / 2**20:.1f} MB; {what} is at most "
                f"{limit / 2**20:.0f} MB"
            )
        return file.read_bytes()
    except OSError as exc:
        raise StoryboardError(f"{file}: {field}cannot read ({exc.strerror})") from None


@dataclass(frozen=True)
class Exported:
    """A storyboard's text, and the media files it names, to write beside it: file names
    relative to the storyboard, each with the media key it is read from."""

    text: str
    files: dict[str, str]


def export_storyboard(db: Database, actor: User, project_id: int) -> Exported:
    project = project_store.get_project(db, actor, project_id)
    files = {}
    scenes = scene_store.list_scenes(db, actor, project_id)
    values = project_store.project_values(project)
    for key in ("title_card", "end_card"):
        if getattr(project, key):
            values[key] = getattr(project, key)
    # the library lists no deleted sound: a music bed deleted from it is not exported
    library = assets.list_assets(db, actor, project_id) if project.music_id else []
    bed = next((a for a in library if a.id == project.music_id), None)
    if bed is not None:
        file = f"music-{project_id}.{bed.media_key.rsplit('.', 1)[-1]}"
        files[file] = bed.media_key
        values["music"] = {
            "file": file,
            "name": bed.name,
            "fade_in": project.music_fade_in,
            "fade_out": project.music_fade_out,
        }
    document = {
        "project": values,
        "scenes": [
            {
                k: v
                for k, v in scene_store.scene_values(s).items()
                if v not in (None, "", [])
                and k not in LINK_FIELDS
                and not (k == "transition" and v == "cut")
            }
            for s in scenes
        ],
    }
    return Exported(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), files)


def write_export(exported: Exported, path: Path, media: MediaStore) -> None:
    """The storyboard at ``path`` and the files it names beside it."""
    path.write_text(exported.text)
    for name, key in exported.files.items():
        save_as(media, key, path.parent / name)
