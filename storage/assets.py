"""Uploads: scene frames, the project's ingredient library, and music beds.

An upload is trusted only once it has been decoded (images by Pillow, whole; sounds by
PyAV): its name and extension are ignored, an image must be a JPEG or PNG within Veo's size
limit, a sound MP3, WAV, AAC or FLAC, and it is stored under a name the project generates.
A file that fails any check is refused and nothing is kept.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

import av
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import audit
from storage.catalog import MAX_REFERENCE_IMAGES, MAX_TITLE_CHARS, Catalog
from storage.db import Database
from storage.errors import FieldError, InvalidInput, NotFound
from storage.media import MediaStore, asset_key
from storage.models import INGREDIENTS, Asset, AssetKind, Role, Scene, SceneReference, User
from storage.permissions import require
from storage.validation import Checker

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # Veo's limit for an input image
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
    with db.session() as s:  # who may upload, before any decoding
        require(s, actor, project_id, Role.editor, "uploading to the library")
    checked: CheckedImage | CheckedSound = (
        check_sound(data) if kind == AssetKind.music else check_image(data)
    )
    with db.session() as s:
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


def _ingredient_named(s: Session, project_id: int, name: str) -> Asset | None:
    return s.scalar(
        select(Asset).where(
            Asset.project_id == project_id,
            Asset.kind.in_(INGREDIENTS),
            Asset.name == name,
        )
    )


def list_assets(db: Database, actor: User, project_id: int) -> list[Asset]:
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "viewing the library")
        return list(
            s.scalars(select(Asset).where(Asset.project_id == project_id).order_by(Asset.name))
        )


def delete_asset(db: Database, media: MediaStore, actor: User, asset_id: int) -> None:
    with db.session() as s:
        asset = s.get(Asset, asset_id)
        if asset is None:
            raise NotFound(f"image {asset_id}: no such image")
        require(s, actor, asset.project_id, Role.editor, "deleting images")
        key = asset.media_key
        s.delete(asset)
        audit.record(s, actor, "asset.deleted", asset.project_id, asset=asset_id)
    media.delete(key)


def check_scene_assets(s: Session, project_id: int, fields: dict[str, int | None]) -> None:
    """Frame ids a scene points at must be images of its own project."""
    for name, asset_id in fields.items():
        if asset_id is None:
            continue
        asset = s.get(Asset, asset_id)
        if asset is None or asset.project_id != project_id:
            raise InvalidInput([FieldError(name, f"image {asset_id} is not in this project")])
        if not AssetKind(asset.kind).image:
            raise InvalidInput([FieldError(name, f"asset {asset_id} is a sound, not an image")])


def attach_references(s: Session, catalog: Catalog, scene: Scene, asset_ids: list[int]) -> None:
    """Inside the caller's transaction: replace the scene's hand-attached ingredients."""
    chosen = list(dict.fromkeys(asset_ids))
    assets = {a.id: a for a in s.scalars(select(Asset).where(Asset.id.in_(chosen)))}
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
    for row in s.scalars(select(SceneReference).where(SceneReference.scene_id == scene.id)):
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
        if scene is None:
            raise NotFound(f"scene {scene_id}: no such scene")
        require(s, actor, scene.project_id, Role.viewer, "viewing a scene")
        return list(
            s.scalars(
                select(SceneReference.asset_id)
                .where(SceneReference.scene_id == scene_id)
                .order_by(SceneReference.position)
            )
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
    """The ingredients a scene uses: those attached by hand, then those its prompt names."""
    attached = list(
        s.scalars(
            select(Asset)
            .join(SceneReference, SceneReference.asset_id == Asset.id)
            .where(SceneReference.scene_id == scene.id)
            .order_by(SceneReference.position)
        )
    )
    library = s.scalars(
        select(Asset)
        .where(Asset.project_id == scene.project_id, Asset.kind.in_(INGREDIENTS))
        .order_by(Asset.id)
    )
    named = [a for a in library if a not in attached and _names(scene.prompt, a.name)]
    chosen = attached + named
    _check_reference_count(catalog, scene, len(chosen))
    return chosen


def _names(prompt: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", prompt, re.IGNORECASE) is not None
