"""Scenes of a project's storyboard: add, edit, duplicate, delete, reorder, pick a take.

A deleted scene is only marked so: it leaves the storyboard, the cut and generation, and
waits with its takes, its ingredients and its place for an undo for ``UNDO_WINDOW``; the
next delete in the project then removes it for good.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from storage import audit
from storage.assets import (
    UNDO_NOTE,
    UNDO_WINDOW,
    attach_references,
    check_scene_assets,
    mark_deleted,
    too_late,
)
from storage.catalog import Catalog
from storage.db import Database
from storage.errors import Conflict, FieldError, InvalidInput, NotFound
from storage.media import MediaStore
from storage.models import (
    ACTIVE,
    Job,
    Project,
    Role,
    Scene,
    SceneReference,
    Take,
    User,
    utcnow,
)
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


def _check_links(
    s: Session,
    catalog: Catalog,
    project_id: int,
    fields: dict[str, Any],
    kept: dict[str, Any] | None = None,
) -> None:
    """Frames must be images of the project; a take to extend, a take of the project made
    by the scene's model's own provider. A link the scene already had (``kept``) may point
    at what was deleted since, for an undo to bring back; a new one may not."""
    kept = kept or {}
    frames = {k: fields[k] for k in ("first_frame_id", "last_frame_id")}
    check_scene_assets(s, project_id, frames, kept)
    take_id = fields["extend_take_id"]
    if take_id is None:
        return
    take = s.get(Take, take_id) if take_id == kept.get("extend_take_id") else live_take(s, take_id)
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


def live_take(s: Session, take_id: int) -> Take | None:
    """The take, unless its scene is deleted (or it is gone)."""
    take = s.get(Take, take_id)
    scene = s.get(Scene, take.scene_id) if take else None
    return take if scene is not None and scene.deleted_at is None else None


def scene_for(
    s: Session, actor: User, scene_id: int, minimum: Role, doing: str, deleted: bool = False
) -> Scene:
    """The scene, if the actor may do this to it; a deleted one only when ``deleted``."""
    scene = s.get(Scene, scene_id)
    if scene is None:
        purged = f" ({UNDO_NOTE})" if deleted else ""
        raise NotFound(f"scene {scene_id}: no such scene{purged}")
    require(s, actor, scene.project_id, minimum, doing, f"scene {scene_id}: no such scene")
    if scene.deleted_at is not None and not deleted:
        raise NotFound(f"scene '{scene.title}' is deleted; undo the delete to use it again")
    return scene


def ordered_scenes(s: Session, project_id: int) -> list[Scene]:
    """The project's scenes in storyboard order, the deleted ones left out."""
    return list(
        s.scalars(
            select(Scene)
            .where(Scene.project_id == project_id, Scene.deleted_at.is_(None))
            .order_by(Scene.position, Scene.id)
        )
    )


def list_scenes(db: Database, actor: User, project_id: int) -> list[Scene]:
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "viewing scenes")
        return ordered_scenes(s, project_id)


def get_scene(db: Database, actor: User, scene_id: int) -> Scene:
    with db.session() as s:
        return scene_for(s, actor, scene_id, Role.viewer, "viewing a scene")


def add_scenes(
    db: Database, actor: User, project_id: int, rows: list[dict[str, Any]]
) -> list[Scene]:
    """Append scenes in one transaction: all are saved, or none (errors name the scene).

    A row may carry ``references``: the ingredient ids attached to it by hand.
    """
    with db.session() as s:
        project = require(s, actor, project_id, Role.editor, "adding scenes")
        live = (Scene.project_id == project_id, Scene.deleted_at.is_(None))
        start = s.scalar(select(func.count()).where(*live)) or 0
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
        scene = scene_for(s, actor, scene_id, Role.editor, "editing a scene")
        change_scene(s, db.catalog, actor, scene, changes)
    return scene


def change_scene(
    s: Session, catalog: Catalog, actor: User, scene: Scene, changes: dict[str, Any]
) -> None:
    """``update_scene`` inside a transaction the caller holds (and has checked the actor's
    role in), so a change can be saved together with the work it is made for."""
    fields = dict(changes)
    references = fields.pop("references", None)
    before = scene_values(scene)
    cleaned = clean_scene(fields, before, catalog)
    _check_links(s, catalog, scene.project_id, cleaned, before)
    for key, value in cleaned.items():
        setattr(scene, key, value)
    if references is not None:
        attach_references(s, catalog, scene, references)
    audit.record(
        s, actor, "scene.updated", scene.project_id, scene=scene.id, fields=sorted(changes)
    )


def duplicate_scene(db: Database, actor: User, scene_id: int) -> Scene:
    """A copy placed right after the original, with its ingredients but not its takes."""
    with db.session() as s:
        scene = scene_for(s, actor, scene_id, Role.editor, "duplicating a scene")
        ordered = ordered_scenes(s, scene.project_id)
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
        renumber(ordered)
        audit.record(s, actor, "scene.duplicated", scene.project_id, scene=scene.id)
    return copy


def delete_scene(db: Database, media: MediaStore, actor: User, scene_id: int) -> Scene:
    """Take the scene out of the storyboard; it waits, keeping its place, takes and
    ingredients, for ``restore_scene``. Its jobs already queued run on (their takes wait
    with it), but no new job or render can use it."""
    with db.session() as s:
        scene = scene_for(s, actor, scene_id, Role.editor, "deleting a scene")
        if not mark_deleted(s, Scene, scene_id, True):
            raise Conflict(f"scene '{scene.title}' is already deleted")
        renumber(ordered_scenes(s, scene.project_id))  # its own position stays: where it goes back
        audit.record(s, actor, "scene.deleted", scene.project_id, scene=scene_id, title=scene.title)
        purged = purge_expired(s, scene.project_id)
    for key in purged:
        media.delete(key)
    return scene


def restore_scene(db: Database, actor: User, scene_id: int) -> Scene:
    """Undo a delete: the scene is back at its place in the storyboard (or last, if fewer
    scenes are left), with its takes, its selected take and its ingredients."""
    with db.session() as s:
        scene = scene_for(s, actor, scene_id, Role.editor, "restoring a scene", deleted=True)
        if not mark_deleted(s, Scene, scene_id, False):
            raise Conflict(f"scene '{scene.title}' {too_late(scene.deleted_at)}")
        others = [other for other in ordered_scenes(s, scene.project_id) if other.id != scene_id]
        others.insert(min(scene.position, len(others)), scene)
        renumber(others)
        audit.record(s, actor, "scene.restored", scene.project_id, scene=scene_id)
    return scene


def purge_expired(s: Session, project_id: int | None) -> list[str]:
    """Remove for good the project's (None: every project's) scenes deleted longer ago
    than the undo window, with their takes (a scene whose job still runs waits for it);
    the media keys of the takes, to remove once committed."""
    running = exists().where(Job.scene_id == Scene.id, Job.status.in_(ACTIVE))
    query = select(Scene.id).where(Scene.deleted_at < utcnow() - UNDO_WINDOW, ~running)
    if project_id is not None:
        query = query.where(Scene.project_id == project_id)
    expired = list(s.scalars(query))
    if not expired:
        return []
    files = s.execute(select(Take.media_key, Take.poster_key).where(Take.scene_id.in_(expired)))
    keys = [key for pair in files for key in pair if key]
    # a scene's selected take is one of the takes removed with it
    s.execute(update(Scene).where(Scene.id.in_(expired)).values(selected_take_id=None))
    s.execute(delete(Scene).where(Scene.id.in_(expired)))
    return keys


def move_scene(db: Database, actor: User, scene_id: int, new_index: int) -> None:
    """Move a scene to ``new_index`` (0-based) in the storyboard; others shift along."""
    with db.session() as s:
        scene = scene_for(s, actor, scene_id, Role.editor, "reordering scenes")
        ordered = ordered_scenes(s, scene.project_id)
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
        renumber(ordered)
        audit.record(s, actor, "scene.moved", scene.project_id, scene=scene.id, to=new_index)


def renumber(ordered: list[Scene]) -> None:
    for index, scene in enumerate(ordered):
        scene.position = index


def select_take(db: Database, actor: User, scene_id: int, take_id: int | None) -> Scene:
    with db.session() as s:
        scene = scene_for(s, actor, scene_id, Role.editor, "choosing a take")
        if take_id is not None:
            take = s.get(Take, take_id)
            if take is None or take.scene_id != scene.id:
                raise NotFound(f"take {take_id}: not a take of scene '{scene.title}'")
        choose_take(scene, take_id)
        audit.record(s, actor, "take.selected", scene.project_id, scene=scene.id, take=take_id)
    return scene


def choose_take(scene: Scene, take_id: int | None) -> None:
    """The scene plays this take in the movie (a take of the scene, checked by the caller)."""
    if take_id != scene.selected_take_id:  # trims were set on the take it had
        scene.trim_in = scene.trim_out = 0.0
    scene.selected_take_id = take_id


def list_takes(db: Database, actor: User, project_id: int) -> list[Take]:
    """Every take of the project, in scene order, newest take first within a scene."""
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "viewing takes")
        return list(
            s.scalars(
                select(Take)
                .join(Scene, Scene.id == Take.scene_id)
                .where(Scene.project_id == project_id, Scene.deleted_at.is_(None))
                .order_by(Scene.position, Take.created_at.desc(), Take.id.desc())
            )
        )
