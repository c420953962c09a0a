"""Storyboard files: a project and its scenes as YAML, imported and exported.

Import validates every scene against the model catalog before anything is saved, and names
the line and field of each problem; export writes a file that imports back the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from storage import projects as project_store
from storage import scenes as scene_store
from storage.db import Database
from storage.errors import InvalidInput, StudioError
from storage.models import Project, User
from storage.validation import LINK_FIELDS, clean_project, clean_scene

TOP_LEVEL = ("project", "scenes")


class StoryboardError(StudioError):
    """The file cannot be read as a storyboard; the message names file, line and field."""


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


def parse(text: str, name: str = "storyboard") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Validated project fields and scene rows, or one error listing every problem."""
    try:
        data = yaml.safe_load(text)
        nodes = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise StoryboardError(
            f"{name}{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if not isinstance(data, dict):
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
    project: dict[str, Any] = {}
    try:
        project = clean_project(
            project_raw, project_raw.get("model") or "veo-3.1-fast-generate-001"
        )
    except InvalidInput as exc:
        problems += [
            f"{name}:{lines.of('project', e.field)}: project.{e.field}: {e.message}"
            for e in exc.errors
        ]
    defaults = {k: project.get(k) for k in ("model", "aspect_ratio", "resolution", "style")}
    defaults = {k: v for k, v in defaults.items() if v} or {"model": "veo-3.1-fast-generate-001"}
    rows = []
    for index, raw in enumerate(scenes_raw):
        if not isinstance(raw, dict):
            problems.append(
                f"{name}:{lines.of('scenes', index)}: scenes[{index + 1}]: must be a mapping of scene fields"
            )
            continue
        try:
            clean_scene(raw, {**defaults, "title": f"Scene {index + 1}"})
            rows.append({k: v for k, v in raw.items() if v is not None})
        except InvalidInput as exc:
            problems += [
                f"{name}:{lines.of('scenes', index, e.field)}: scenes[{index + 1}].{e.field}: {e.message}"
                for e in exc.errors
            ]
    if problems:
        raise StoryboardError("\n".join(problems))
    project["budget"] = project.pop("budget_usd")
    return project, rows


def import_storyboard(db: Database, actor: User, path: Path, default_model: str) -> Project:
    """Create a project with its scenes from a file: all of it is saved, or nothing."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise StoryboardError(f"{path}: cannot read ({exc.strerror})") from None
    fields, rows = parse(text, str(path))
    project = project_store.create_project(db, actor, fields, default_model)
    try:
        scene_store.add_scenes(db, actor, project.id, rows)
    except InvalidInput as exc:  # already checked above; kept so a partial project never stays
        project_store.delete_project(db, actor, project.id)
        raise StoryboardError(str(exc)) from None
    return project


def export_storyboard(db: Database, actor: User, project_id: int) -> str:
    project = project_store.get_project(db, actor, project_id)
    scenes = scene_store.list_scenes(db, actor, project_id)
    document = {
        "project": project_store.project_values(project),
        "scenes": [
            {
                k: v
                for k, v in scene_store.scene_values(s).items()
                if v not in (None, "") and k not in LINK_FIELDS
            }
            for s in scenes
        ],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
