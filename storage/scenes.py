"""Scenes of a project's storyboard: add, edit, duplicate, delete, reorder, pick a take."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import audit
from storage.assets import attach_references, check_scene_assets
from storage.catalog import Catalog
from storage.db import Database
from storage.errors import FieldError, InvalidInput, NotFound
from storage.models import Project, Role, Scene, SceneReference, Take, User
from storage.permissions import require
from storage.validation import LINK_FIELDS, SCENE_FIELDS, clean_scene


def project_defaults(project: Project) -> dict[str, Any]:
    return {
        "model": project.model,
        "aspect_ratio": project.aspect_ratio,
        "resolution": project.resolution,
        "style": project.style,
    }


def scene_estimate(scene: Scene, catalog: Catalog, takes: int | None = None) -> float:
    """The scene's cost at its model's price for its resolution, with or without sound."""
    count = scene.takes if takes is None else takes
    return catalog.estimate(
        scene.model, scene.resolution, scene.duration, count, scene.generate_audio
    )


def scene_values(scene: Scene) -> dict[str, Any]:
    """The scene's fields under the names ``clean_scene`` takes."""
    values = {name: getattr(scene, name) for name in SCENE_FIELDS + LINK_FIELDS}
    values["transition"] = (
        {"kind": scene.transition, "duration": scene.transition_seconds}
        if scene.transition != "cut"
        else "cut"
    )
    values["captions"] = list(scene.captions or [])
    return values


def _check_links(s: Session, catalog: Catalog, project_id: int, fields: dict[str, Any]) -> None:
    """Frames must be images of the project; a take to extend, a take of the project made
    by the scene's model's own provider."""
    check_scene_assets(s, project_id, {k: fields[k] for k in ("first_frame_id", "last_frame_id")})
    take_id = fields["extend_take_id"]
    if take_id is None:
        return
    take = s.get(Take, take_id)
    owner = s.get(Scene, take.scene_id) if take else None
    if take is None or owner is None or owner.project_id != project_id:
        raise InvalidInput([FieldError("extend_take_id", f"take {take_id} is not in this project")])
    spec = catalog.model(fields["model"])
    if take.is_draft or take.backend != spec.provider:
        made_by = "an animatic draft" if take.is_draft else f"made by {take.backend}"
        raise InvalidInput(
            [
                FieldError(
                    "extend_take_id",
                    f"take {take_id} is {made_by}; {spec.label} extends only its own takes",
                )
            ]
        )


def _scene_for(s: Session, actor: User, scene_id: int, minimum: Role, doing: str) -> Scene:
    scene = s.get(Scene, scene_id)
    if scene is None:
        raise NotFound(f"scene {scene_id}: no such scene")
    require(s, actor, scene.project_id, minimum, doing)
    return scene


def _ordered(s: Session, project_id: int) -> list[Scene]:
    return list(
        s.scalars(
            select(Scene).where(Scene.project_id == project_id).order_by(Scene.position, Scene.id)
        )
    )


def list_scenes(db: Database, actor: User, project_id: int) -> list[Scene]:
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "viewing scenes")
        return _ordered(s, project_id)


def get_scene(db: Database, actor: User, scene_id: int) -> Scene:
    with db.session() as s:
        return _scene_for(s, actor, scene_id, Role.viewer, "viewing a scene")


def add_scenes(
    db: Database, actor: User, project_id: int, rows: list[dict[str, Any]]
) -> list[Scene]:
    """Append scenes in one transaction: all are saved, or none (errors name the scene).

    A row may carry ``references``: the ingredient ids attached to it by hand.
    """
    with db.session() as s:
        project = require(s, actor, project_id, Role.editor, "adding scenes")
        start = s.scalar(select(func.count()).where(Scene.project_id == project_id)) or 0
        cleaned, attached, errors = [], [], []
        for offset, raw in enumerate(rows):
            defaults = {**project_defaults(project), "title": f"Scene {start + offset + 1}"}
            fields = dict(raw)
            attached.append(fields.pop("references", None))
            try:
                cleaned.append(clean_scene(fields, defaults, db.catalog))
            except InvalidInput as exc:
                prefix = f"scene {start + offset + 1}" if len(rows) > 1 else ""
                errors += [FieldError(f"{prefix} {e.field}".strip(), e.message) for e in exc.errors]
        if errors:
            raise InvalidInput(errors)
        for fields in cleaned:
            _check_links(s, db.catalog, project_id, fields)
        scenes = [
            Scene(project_id=project_id, position=start + i, **fields)
            for i, fields in enumerate(cleaned)
        ]
        s.add_all(scenes)
        s.flush()
        for scene, references in zip(scenes, attached, strict=True):
            if references is not None:
                attach_references(s, db.catalog, scene, references)
        audit.record(s, actor, "scenes.added", project_id, count=len(scenes))
    return scenes


def add_scene(db: Database, actor: User, project_id: int, fields: dict[str, Any]) -> Scene:
    return add_scenes(db, actor, project_id, [fields])[0]


def update_scene(db: Database, actor: User, scene_id: int, changes: dict[str, Any]) -> Scene:
    """Change the fields given (and, with ``references``, the ingredients attached by
    hand) in one transaction: a refusal of any part saves none of it."""
    with db.session() as s:
        scene = _scene_for(s, actor, scene_id, Role.editor, "editing a scene")
        fields = dict(changes)
        references = fields.pop("references", None)
        cleaned = clean_scene(fields, scene_values(scene), db.catalog)
        _check_links(s, db.catalog, scene.project_id, cleaned)
        for key, value in cleaned.items():
            setattr(scene, key, value)
        if references is not None:
            attach_references(s, db.catalog, scene, references)
        audit.record(
            s, actor, "scene.updated", scene.project_id, scene=scene.id, fields=sorted(changes)
        )
    return scene


def duplicate_scene(db: Database, actor: User, scene_id: int) -> Scene:
    """A copy placed right after the original, with its ingredients but not its takes."""
    with db.session() as s:
        scene = _scene_for(s, actor, scene_id, Role.editor, "duplicating a scene")
        ordered = _ordered(s, scene.project_id)
        values = clean_scene(scene_values(scene), scene_values(scene), db.catalog)
        values["title"] = f"{scene.title} (copy)"[:120]
        copy = Scene(project_id=scene.project_id, position=0, **values)
        s.add(copy)
        s.flush()
        s.add_all(
            SceneReference(scene_id=copy.id, asset_id=ref.asset_id, position=ref.position)
            for ref in s.scalars(select(SceneReference).where(SceneReference.scene_id == scene.id))
        )
        ordered.insert(ordered.index(scene) + 1, copy)
        _renumber(ordered)
        audit.record(s, actor, "scene.duplicated", scene.project_id, scene=scene.id)
    return copy


def delete_scene(db: Database, actor: User, scene_id: int) -> None:
    with db.session() as s:
        scene = _scene_for(s, actor, scene_id, Role.editor, "deleting a scene")
        project_id = scene.project_id
        scene.selected_take_id = None
        s.flush()
        s.delete(scene)
        s.flush()
        _renumber(_ordered(s, project_id))
        audit.record(s, actor, "scene.deleted", project_id, scene=scene_id, title=scene.title)


def move_scene(db: Database, actor: User, scene_id: int, new_index: int) -> None:
    """Move a scene to ``new_index`` (0-based) in the storyboard; others shift along."""
    with db.session() as s:
        scene = _scene_for(s, actor, scene_id, Role.editor, "reordering scenes")
        ordered = _ordered(s, scene.project_id)
        if not 0 <= new_index < len(ordered):
            raise InvalidInput(
                [
                    FieldError(
                        "position", f"{new_index + 1} is out of range; allowed: 1 to {len(ordered)}"
                    )
                ]
            )
        ordered.remove(scene)
        ordered.insert(new_index, scene)
        _renumber(ordered)
        audit.record(s, actor, "scene.moved", scene.project_id, scene=scene.id, to=new_index)


def _renumber(ordered: list[Scene]) -> None:
    for index, scene in enumerate(ordered):
        scene.position = index


def select_take(db: Database, actor: User, scene_id: int, take_id: int | None) -> Scene:
    with db.session() as s:
        scene = _scene_for(s, actor, scene_id, Role.editor, "choosing a take")
        if take_id is not None:
            take = s.get(Take, take_id)
            if take is None or take.scene_id != scene.id:
                raise NotFound(f"take {take_id}: not a take of scene '{scene.title}'")
        if take_id != scene.selected_take_id:  # trims were set on the take it had
            scene.trim_in = scene.trim_out = 0.0
        scene.selected_take_id = take_id
        audit.record(s, actor, "take.selected", scene.project_id, scene=scene.id, take=take_id)
    return scene


def list_takes(db: Database, actor: User, project_id: int) -> list[Take]:
    """Every take of the project, in scene order, newest take first within a scene."""
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "viewing takes")
        return list(
            s.scalars(
                select(Take)
                .join(Scene, Scene.id == Take.scene_id)
                .where(Scene.project_id == project_id)
                .order_by(Scene.position, Take.created_at.desc(), Take.id.desc())
            )
        )
