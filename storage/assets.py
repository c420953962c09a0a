"""Uploads: scene frames, the project's ingredient library, and music beds.

An upload is trusted only once it has been decoded (images by Pillow, whole; sounds by
PyAV): its name and extension are ignored, an image must be a JPEG or PNG within Veo's size
limit, a sound MP3, WAV, AAC or FLAC, and it is stored under a name the project generates.
A file that fails any check is refused and nothing is kept.

A deleted upload is only marked so: it leaves the library, and scenes and the cut stop
using it, but its file and its links to scenes wait for an undo for ``UNDO_WINDOW``; the
next delete in the project then removes it for good.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import av
from PIL import Image, UnidentifiedImageError
from sqlalchemy import CursorResult, Select, delete, select, update
from sqlalchemy.orm import Session

from storage import audit
from storage.catalog import MAX_REFERENCE_IMAGES, MAX_TITLE_CHARS, Catalog
from storage.db import Database
from storage.errors import Conflict, FieldError, InvalidInput, NotFound
from storage.media import MediaStore, asset_key
from storage.models import (
    INGREDIENTS,
    Asset,
    AssetKind,
    Role,
    Scene,
    SceneReference,
    User,
    utcnow,
)
from storage.permissions import require
from storage.validation import Checker

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # Veo's limit for an input image
UNDO_WINDOW = timedelta(days=1)  # how long a deleted scene or upload waits for an undo
UNDO_NOTE = f"a delete can be undone for {UNDO_WINDOW.days} day(s)"
MAX_PIXELS = 50_000_000
MIN_SIDE = 64
# MPO is how Pillow names the JPEGs phones write (a JPEG with extra pictures appended).
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
}


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    mime_type: str
    extension: str
    width: int
    height: int


def check_image(data: bytes, field: str = "file") -> CheckedImage:
    """The image's facts, or ``InvalidInput`` naming ``field`` and the limit it broke."""

    def refuse(message: str) -> InvalidInput:
        return InvalidInput([FieldError(field, message)])

    if not data:
        raise refuse("is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise refuse(
            f"is {len(data) / 2**20:.1f} MB; at most {MAX_UPLOAD_BYTES // 2**20} MB allowed"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, size = image.format, image.size
                if size[0] * size[1] > MAX_PIXELS:
                    raise refuse(f"is {size[0]}x{size[1]} pixels; at most {MAX_PIXELS:,} allowed")
                image.load()  # decodes every pixel: a truncated or forged file fails here
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refuse("is not an image that can be decoded; allowed: JPEG, PNG") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise refuse(f"is a damaged image ({exc}); allowed: JPEG, PNG") from None
    if kind not in FORMATS:
        raise refuse(f"is a {kind} image; allowed: JPEG, PNG")
    if min(size) < MIN_SIDE:
        raise refuse(f"is {size[0]}x{size[1]} pixels; each side must be at least {MIN_SIDE}")
    mime, extension = FORMATS[kind]
    return CheckedImage(data, mime, extension, size[0], size[1])


MAX_SOUND_BYTES = 200 * 1024 * 1024
# PyAV's container names for the sounds a music bed may come in, and the names we store.
SOUND_FORMATS = {
    "mp3": ("audio/mpeg", "mp3"),
    "wav": ("audio/wav", "wav"),
    "aac": ("audio/aac", "aac"),
    "flac": ("audio/flac", "flac"),
    "mov,mp4,m4a,3gp,3g2,mj2": ("audio/mp4", "m4a"),
}
SOUND_NAMES = "MP3, WAV, AAC, FLAC, M4A"


@dataclass(frozen=True)
class CheckedSound:
    data: bytes
    mime_type: str
    extension: str
    seconds: float


def check_sound(data: bytes, field: str = "file") -> CheckedSound:
    """A music bed's facts, decoded for real (MP3, WAV, AAC, FLAC, M4A), or a refusal."""

    def refuse(message: str) -> InvalidInput:
        return InvalidInput([FieldError(field, message)])

    if not data:
        raise refuse("is empty")
    if len(data) > MAX_SOUND_BYTES:
        raise refuse(f"is {len(data) / 2**20:.0f} MB; at most {MAX_SOUND_BYTES // 2**20} MB")
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            name = container.format.name
            if name not in SOUND_FORMATS or not container.streams.audio:
                raise refuse(f"is not a sound file; allowed: {SOUND_NAMES} (found {name})")
            decoded = 0.0
            for frame in container.decode(audio=0):
                decoded = max(decoded, (frame.time or 0.0) + frame.samples / frame.sample_rate)
    except av.error.FFmpegError as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise refuse(f"cannot be decoded as sound ({reason}); allowed: {SOUND_NAMES}") from None
    if decoded < 1.0:
        raise refuse(f"lasts {decoded:.1f} s; a music bed must last at least 1 s")
    mime, extension = SOUND_FORMATS[name]
    return CheckedSound(data, mime, extension, round(decoded, 3))


def add_asset(
    db: Database,
    media: MediaStore,
    actor: User,
    project_id: int,
    kind: AssetKind | str,
    name: str,
    data: bytes,
    description: str = "",
) -> Asset:
    """Check and store an upload; the file is written only after every check has passed."""
    kind = _kind(kind)
    name, description = name.strip(), description.strip()
    errors = []
    if not name:
        errors.append(FieldError("name", "is required"))
    elif len(name) > MAX_TITLE_CHARS:
        errors.append(FieldError("name", f"is {len(name)} characters; at most {MAX_TITLE_CHARS}"))
    check = Checker({})
    check.plain("name", name)
    check.plain("description", description)
    errors += check.errors
    if errors:
        raise InvalidInput(errors)
    doing = "uploading to the library"
    with db.session() as s:  # who may upload, before any decoding
        require(s, actor, project_id, Role.editor, doing)
    checked: CheckedImage | CheckedSound = (
        check_sound(data) if kind == AssetKind.music else check_image(data)
    )
    with db.session() as s:
        require(s, actor, project_id, Role.editor, doing)  # again: a role may go meanwhile
        if kind.ingredient and _ingredient_named(s, project_id, name) is not None:
            raise InvalidInput([FieldError("name", f"the library already has '{name}'")])
        key = asset_key(project_id, checked.extension)
        asset = Asset(
            project_id=project_id,
            kind=kind,
            name=name,
            description=description,
            media_key=key,
            mime_type=checked.mime_type,
            width=getattr(checked, "width", 0),
            height=getattr(checked, "height", 0),
            seconds=getattr(checked, "seconds", None),
            bytes=len(checked.data),
            created_by=actor.id,
        )
        s.add(asset)
        s.flush()  # the row is sound before the file lands; a failed write rolls it back
        media.write(key, checked.data)
        audit.record(s, actor, "asset.added", project_id, asset=asset.id, kind=kind.value)
    return asset


def _kind(kind: AssetKind | str) -> AssetKind:
    try:
        return AssetKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in AssetKind)
        raise InvalidInput(
            [FieldError("kind", f"{kind!r} is not allowed; allowed: {allowed}")]
        ) from None


def _live_ingredients(project_id: int) -> Select[Any]:
    """The project's characters, objects and styles that are not deleted, oldest first."""
    return (
        select(Asset)
        .where(
            Asset.project_id == project_id,
            Asset.kind.in_(INGREDIENTS),
            Asset.deleted_at.is_(None),
        )
        .order_by(Asset.id)
    )


def _ingredient_named(s: Session, project_id: int, name: str) -> Asset | None:
    found: Asset | None = s.scalar(_live_ingredients(project_id).where(Asset.name == name))
    return found


def _used(attached: list[Asset], library: list[Asset], prompt: str) -> list[Asset]:
    """The ingredients a scene uses: those attached by hand, then those its prompt names."""
    return attached + [a for a in library if a not in attached and _names(prompt, a.name)]


def live_asset(s: Session, asset_id: int) -> Asset | None:
    """The upload, unless it is deleted (or gone)."""
    asset = s.get(Asset, asset_id)
    return asset if asset is not None and asset.deleted_at is None else None


def list_assets(db: Database, actor: User, project_id: int) -> list[Asset]:
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "viewing the library")
        return list(
            s.scalars(
                select(Asset)
                .where(Asset.project_id == project_id, Asset.deleted_at.is_(None))
                .order_by(Asset.name)
            )
        )


def delete_asset(db: Database, media: MediaStore, actor: User, asset_id: int) -> Asset:
    """Take the upload out of the library: scenes and the cut stop using it, and it waits,
    with its file and its links to scenes, for ``restore_asset``."""
    with db.session() as s:
        asset = _asset_for(s, actor, asset_id, "deleting from the library", deleted=False)
        if asset.deleted_at is not None or not mark_deleted(s, Asset, asset_id, True):
            raise Conflict(f"'{asset.name}' is already deleted")
        audit.record(s, actor, "asset.deleted", asset.project_id, asset=asset_id)
        purged = purge_expired(s, asset.project_id)
    for key in purged:
        media.delete(key)
    return asset


def restore_asset(db: Database, actor: User, asset_id: int) -> Asset:
    """Undo a delete: the upload is back in the library, in the scenes it was attached to,
    and as the frame or the music bed it was."""
    with db.session() as s:
        asset = _asset_for(s, actor, asset_id, "restoring to the library", deleted=True)
        if asset.deleted_at is None:
            raise Conflict(f"'{asset.name}' {too_late(None)}")
        if AssetKind(asset.kind).ingredient and _ingredient_named(s, asset.project_id, asset.name):
            raise Conflict(
                f"the library has another '{asset.name}' now; rename it, then undo again"
            )
        if not mark_deleted(s, Asset, asset_id, False):
            raise Conflict(f"'{asset.name}' {too_late(asset.deleted_at)}")
        audit.record(s, actor, "asset.restored", asset.project_id, asset=asset_id)
    return asset


def too_late(deleted_at: datetime | None) -> str:
    """Why a restore found nothing to undo: undone meanwhile, or past the undo window."""
    if deleted_at is not None and deleted_at < utcnow() - UNDO_WINDOW:
        return f"was deleted over {UNDO_WINDOW.days} day(s) ago: too late to undo"
    return "is not deleted; there is nothing to undo"


def _asset_for(s: Session, actor: User, asset_id: int, doing: str, deleted: bool) -> Asset:
    """The upload, deleted or not, if the actor may edit its library."""
    asset = s.get(Asset, asset_id)
    if asset is None:
        purged = f" ({UNDO_NOTE})" if deleted else ""
        raise NotFound(f"upload {asset_id}: no such upload{purged}")
    require(s, actor, asset.project_id, Role.editor, doing, f"upload {asset_id}: no such upload")
    return asset


def mark_deleted(s: Session, model: type[Asset] | type[Scene], row_id: int, deleted: bool) -> bool:
    """Delete or restore an upload or a scene in one conditional update: of two at once,
    one changes it."""
    # a restore only within the undo window: past it the trash may be emptying it now
    was = model.deleted_at.is_(None) if deleted else model.deleted_at >= utcnow() - UNDO_WINDOW
    marked = s.execute(
        update(model)
        .where(model.id == row_id, was)
        .values(deleted_at=utcnow() if deleted else None)
    )
    return cast(CursorResult[Any], marked).rowcount == 1


def purge_expired(s: Session, project_id: int | None) -> list[str]:
    """Remove for good the project's (None: every project's) uploads deleted longer ago
    than the undo window (their links to scenes go with them); the media keys of their
    files, to remove once committed."""
    query = select(Asset.id, Asset.media_key).where(Asset.deleted_at < utcnow() - UNDO_WINDOW)
    if project_id is not None:
        query = query.where(Asset.project_id == project_id)
    expired = s.execute(query).all()
    if expired:
        s.execute(delete(Asset).where(Asset.id.in_([asset_id for asset_id, _ in expired])))
    return [key for _, key in expired]


def check_scene_assets(
    s: Session, project_id: int, fields: dict[str, int | None], kept: dict[str, Any]
) -> None:
    """Frame ids a scene points at must be images of its own project. A frame the scene
    already had (``kept``) stays even if deleted since, so an undo brings it back; a new
    one must not be deleted."""
    for name, asset_id in fields.items():
        if asset_id is None:
            continue
        asset = s.get(Asset, asset_id) if asset_id == kept.get(name) else live_asset(s, asset_id)
        if asset is None or asset.project_id != project_id:
            raise InvalidInput([FieldError(name, f"image {asset_id} is not in this project")])
        if not AssetKind(asset.kind).image:
            raise InvalidInput([FieldError(name, f"asset {asset_id} is a sound, not an image")])


def attach_references(s: Session, catalog: Catalog, scene: Scene, asset_ids: list[int]) -> None:
    """Inside the caller's transaction: replace the scene's hand-attached ingredients."""
    chosen = list(dict.fromkeys(asset_ids))
    assets = {
        a.id: a
        for a in s.scalars(select(Asset).where(Asset.id.in_(chosen), Asset.deleted_at.is_(None)))
    }
    for asset_id in chosen:
        asset = assets.get(asset_id)
        if (
            asset is None
            or asset.project_id != scene.project_id
            or not AssetKind(asset.kind).ingredient
        ):
            raise InvalidInput(
                [FieldError("references", f"image {asset_id} is not an ingredient here")]
            )
    _check_reference_count(catalog, scene, len(chosen))
    # links to deleted ingredients stay, for an undo to bring back
    for row in s.scalars(_live_links(scene.id, SceneReference)):
        s.delete(row)
    s.flush()
    s.add_all(
        SceneReference(scene_id=scene.id, asset_id=asset_id, position=i)
        for i, asset_id in enumerate(chosen)
    )


def attached_references(db: Database, actor: User, scene_id: int) -> list[int]:
    """The ingredients attached to a scene by hand, in order."""
    with db.session() as s:
        scene = s.get(Scene, scene_id)
        if scene is None or scene.deleted_at is not None:
            raise NotFound(f"scene {scene_id}: no such scene")
        require(
            s,
            actor,
            scene.project_id,
            Role.viewer,
            "viewing a scene",
            f"scene {scene_id}: no such scene",
        )
        return list(s.scalars(_live_links(scene_id, SceneReference.asset_id)))


def ingredients_by_scene(db: Database, actor: User, project_id: int) -> dict[int, list[str]]:
    """Each scene's ingredients by name, as a job would take them: those attached by hand,
    then those its prompt names (one pass for the whole storyboard)."""
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "viewing the storyboard")
        library = list(s.scalars(_live_ingredients(project_id)))
        by_id = {asset.id: asset for asset in library}
        links = s.execute(
            select(SceneReference.scene_id, SceneReference.asset_id)
            .join(Scene, Scene.id == SceneReference.scene_id)
            .where(Scene.project_id == project_id)
            .order_by(SceneReference.position)
        ).all()
        scenes = s.execute(
            select(Scene.id, Scene.prompt).where(
                Scene.project_id == project_id, Scene.deleted_at.is_(None)
            )
        ).all()
    attached: dict[int, list[Asset]] = {scene_id: [] for scene_id, _ in scenes}
    for scene_id, asset_id in links:
        if scene_id in attached and asset_id in by_id:
            attached[scene_id].append(by_id[asset_id])
    return {
        scene_id: [a.name for a in _used(attached[scene_id], library, prompt)]
        for scene_id, prompt in scenes
    }


def _live_links(scene_id: int, what: Any) -> Select[Any]:
    """``what`` of the scene's hand-attached ingredients that are not deleted, in order."""
    return (
        select(what)
        .select_from(SceneReference)
        .join(Asset, Asset.id == SceneReference.asset_id)
        .where(SceneReference.scene_id == scene_id, Asset.deleted_at.is_(None))
        .order_by(SceneReference.position)
    )


def _check_reference_count(catalog: Catalog, scene: Scene, count: int) -> None:
    spec = catalog.model(scene.model)
    allowed = min(spec.reference_images, MAX_REFERENCE_IMAGES)
    if count > allowed:
        takes = f"takes at most {allowed}" if allowed else "takes no reference images"
        raise InvalidInput(
            [FieldError("references", f"{count} reference images; {spec.label} {takes}")]
        )


def references_for(s: Session, scene: Scene, catalog: Catalog) -> list[Asset]:
    """The ingredients a scene uses (``_used``), if its model takes that many."""
    attached = list(s.scalars(_live_links(scene.id, Asset)))
    library = list(s.scalars(_live_ingredients(scene.project_id)))
    chosen = _used(attached, library, scene.prompt)
    _check_reference_count(catalog, scene, len(chosen))
    return chosen


def _names(prompt: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", prompt, re.IGNORECASE) is not None
