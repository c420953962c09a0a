"""Scene options checked against the model catalog, uploads checked by content, ingredients."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import update

from storage import assets, cut, jobs, members, projects, scenes
from storage.catalog import Catalog
from storage.contract import CutSnapshot, ImageRef, SceneSnapshot
from storage.db import Database
from storage.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from storage.media import LocalMediaStore
from storage.models import Asset, AssetKind, Role, User, utcnow
from tests.clips import png, sound
from tests.storage.made_takes import made_take

MODEL = "veo-3.1-generate-001"


def project(db: Database, owner: User, model: str = MODEL) -> int:
    return projects.create_project(db, owner, {"name": "Film", "model": model}, model).id


def test_each_model_is_refused_what_it_cannot_do_with_the_limit_named(
    db: Database, owner: User
) -> None:
    pid = project(db, owner, "veo-2.0-generate-001")
    silent = scenes.add_scene(db, owner, pid, {"prompt": "a fox"})
    assert silent.generate_audio is False  # inherited sound drops quietly on a silent model
    with pytest.raises(InvalidInput) as err:
        scenes.add_scene(
            db, owner, pid, {"prompt": "a fox", "generate_audio": True, "person_generation": "x"}
        )
    assert "generate_audio: Veo 2 makes no sound; it offers: first frame, last frame" in str(
        err.value
    )
    assert "person_generation: 'x' is not allowed; allowed: allow_adult, dont_allow" in str(
        err.value
    )
    veo3 = project(db, owner, "veo-3.0-generate-001")
    with pytest.raises(InvalidInput, match="continuity: Veo 3 cannot extend a take"):
        scenes.add_scene(db, owner, veo3, {"prompt": "a fox", "continuity": "extend"})
    with pytest.raises(InvalidInput, match="last_frame_id: a last frame needs a first frame"):
        scenes.add_scene(db, owner, pid, {"prompt": "a fox", "last_frame_id": 1})
    assert len(scenes.list_scenes(db, owner, pid)) == 1


def test_the_estimate_follows_the_models_price_for_its_resolution_and_sound(
    db: Database, owner: User
) -> None:
    pid = project(db, owner)
    loud = scenes.add_scene(db, owner, pid, {"prompt": "rain", "duration": 8, "takes": 2})
    quiet = scenes.update_scene(db, owner, loud.id, {"generate_audio": "false"})
    uhd = scenes.update_scene(db, owner, loud.id, {"generate_audio": True, "resolution": "4k"})
    listed = db.catalog
    assert scenes.scene_estimate(loud, listed) == pytest.approx(0.40 * 8 * 2)
    assert scenes.scene_estimate(quiet, listed) == pytest.approx(0.20 * 8 * 2)
    assert scenes.scene_estimate(uhd, listed) == pytest.approx(0.60 * 8 * 2)
    overridden = Catalog(prices={MODEL: {"video": 0.5, "audio": 1.0, "4k": {"audio": 1.5}}})
    assert scenes.scene_estimate(loud, overridden) == pytest.approx(1.0 * 8 * 2)
    assert scenes.scene_estimate(quiet, overridden) == pytest.approx(0.5 * 8 * 2)
    assert scenes.scene_estimate(uhd, overridden) == pytest.approx(1.5 * 8 * 2)
    assert listed.model(MODEL).price_per_second("4k", True) == 0.60  # the list is untouched


def test_uploads_are_checked_by_decoding_and_stored_under_generated_names(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path / "media")
    pid = project(db, owner)
    frame = assets.add_asset(db, media, owner, pid, AssetKind.frame, "../../etc/passwd", png())
    assert frame.media_key.startswith(f"projects/{pid}/assets/") and ".." not in frame.media_key
    assert (frame.mime_type, frame.width, frame.height) == ("image/png", 320, 180)
    assert media.read(frame.media_key) == png()
    phone = io.BytesIO()  # phones write JPEGs that Pillow reads as MPO
    Image.new("RGB", (320, 180), "teal").save(phone, "MPO")
    assert assets.check_image(phone.getvalue()).mime_type == "image/jpeg"

    forged = b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10
    cut = png()[:200]
    gif = png(kind="GIF")
    for data, message in [
        (b"#!/bin/sh\nrm -rf /\n", "file: is not an image that can be decoded; allowed: JPEG, PNG"),
        (forged, "file: is a damaged image"),
        (cut, "file: is a damaged image"),
        (gif, "file: is a GIF image; allowed: JPEG, PNG"),
        (png(32, 32), "each side must be at least 64"),
        (b"x" * (assets.MAX_UPLOAD_BYTES + 1), "at most 20 MB allowed"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            assets.add_asset(db, media, owner, pid, AssetKind.frame, "bad", data)
    assert len(assets.list_assets(db, owner, pid)) == 1
    assert len(list((media.root / f"projects/{pid}/assets").iterdir())) == 1


def test_a_viewer_cannot_upload(db: Database, owner: User, stranger: User, tmp_path: Path) -> None:
    pid = project(db, owner)
    members.add_member(db, owner, pid, stranger, Role.viewer)
    with pytest.raises(PermissionDenied, match="uploading to the library needs editor"):
        assets.add_asset(
            db, LocalMediaStore(tmp_path), stranger, pid, AssetKind.character, "Mara", png()
        )


def test_named_ingredients_attach_themselves_and_frames_reach_the_job(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path / "media")
    pid = project(db, owner)
    mara = assets.add_asset(db, media, owner, pid, "character", "Mara", png(color="red"))
    noir = assets.add_asset(db, media, owner, pid, "style", "Noir look", png(color="black"))
    lamp = assets.add_asset(db, media, owner, pid, "object", "lamp", png(color="yellow"))
    first = assets.add_asset(db, media, owner, pid, "frame", "opening", png())
    with pytest.raises(InvalidInput, match="name: the library already has 'Mara'"):
        assets.add_asset(db, media, owner, pid, "character", "Mara", png())
    scene = scenes.add_scene(
        db,
        owner,
        pid,
        {"prompt": "MARA walks in; a lamplight flickers", "first_frame_id": first.id},
    )
    scenes.update_scene(db, owner, scene.id, {"references": [noir.id]})
    (job,) = jobs.create_generation_jobs(db, owner, pid, False)  # Veo takes the references
    refs = job.params["references"]
    # "lamplight" does not name "lamp": names match whole words only
    assert [(r["name"], r["reference_type"]) for r in refs] == [
        ("Noir look", "style"),
        ("Mara", "asset"),
    ]
    snapshot = SceneSnapshot.from_params(job.params)
    assert snapshot.first_frame == ImageRef(first.media_key, "image/png", "opening")
    hat = assets.add_asset(db, media, owner, pid, "object", "hat", png())
    with pytest.raises(InvalidInput, match=r"4 reference images; Veo 3.1 takes at most 3"):
        scenes.update_scene(
            db, owner, scene.id, {"references": [noir.id, mara.id, lamp.id, hat.id]}
        )
    with pytest.raises(InvalidInput, match=f"references: image {first.id} is not an ingredient"):
        scenes.update_scene(db, owner, scene.id, {"references": [first.id]})
    fast = project(db, owner, "veo-3.1-fast-generate-001")
    other = assets.add_asset(db, media, owner, fast, "character", "Mara", png())
    with pytest.raises(InvalidInput, match=r"Veo 3.1 Fast takes no reference images"):
        scenes.add_scene(db, owner, fast, {"prompt": "x", "references": [other.id]})
    with pytest.raises(InvalidInput, match=r"first_frame_id: image .* is not in this project"):
        scenes.add_scene(db, owner, fast, {"prompt": "x", "first_frame_id": first.id})


def test_a_scene_and_its_ingredients_are_saved_together_or_not_at_all(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path / "media")
    pid = project(db, owner, "veo-3.1-fast-generate-001")  # takes no reference images
    mara = assets.add_asset(db, media, owner, pid, "character", "Mara", png(color="red"))
    with pytest.raises(
        InvalidInput, match=r"references: 1 reference images; Veo 3\.1 Fast takes no"
    ):
        scenes.add_scene(db, owner, pid, {"prompt": "a quay", "references": [mara.id]})
    assert scenes.list_scenes(db, owner, pid) == []  # not saved half-way, so no duplicate later
    scene = scenes.add_scene(db, owner, pid, {"prompt": "a quay"})
    with pytest.raises(InvalidInput, match="references: 1 reference images"):
        scenes.update_scene(db, owner, scene.id, {"title": "Quay", "references": [mara.id]})
    assert scenes.get_scene(db, owner, scene.id).title == "Scene 1"
    wide = scenes.update_scene(
        db, owner, scene.id, {"model": MODEL, "title": "Quay", "references": [mara.id]}
    )
    assert wide.title == "Quay" and assets.attached_references(db, owner, scene.id) == [mara.id]


def test_an_ingredient_a_model_cannot_take_is_refused_naming_the_scene_but_drafts_go_on(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path / "media")
    pid = project(db, owner, "veo-3.1-fast-generate-001")  # takes no reference images
    scenes.add_scene(db, owner, pid, {"title": "Quay", "prompt": "the harbour at dawn"})
    assets.add_asset(db, media, owner, pid, "character", "Mara", png())
    scenes.add_scene(db, owner, pid, {"title": "Mara waits", "prompt": "Mara waits on the quay"})
    with pytest.raises(InvalidInput) as refused:
        jobs.create_generation_jobs(db, owner, pid, False)
    assert str(refused.value).startswith(
        "scene 2 'Mara waits' references: 1 reference images; Veo 3.1 Fast takes no reference "
        "images: choose a model that takes reference images (Veo 3.1) for this scene"
    )
    assert jobs.list_jobs(db, owner, pid) == []
    drafted = jobs.create_generation_jobs(db, owner, pid, True)  # drafts use no references
    assert [list(j.params["references"]) for j in drafted] == [[], []]


def _generated(db: Database, owner: User, pid: int) -> list[SceneSnapshot]:
    """What Veo would be sent for each scene, were the project queued now."""
    return [
        SceneSnapshot.from_params(job.params)
        for job in jobs.create_generation_jobs(db, owner, pid, False)
    ]


def test_a_deleted_upload_comes_back_with_its_file_and_where_it_was_used(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path)
    pid = project(db, owner)
    mara = assets.add_asset(db, media, owner, pid, "character", "Mara", png(color="red"))
    opening = assets.add_asset(db, media, owner, pid, "frame", "opening", png())
    theme = assets.add_asset(db, media, owner, pid, "music", "theme", sound(2))
    window = scenes.add_scene(
        db, owner, pid, {"prompt": "at the window", "first_frame_id": opening.id}
    )
    scenes.update_scene(db, owner, window.id, {"references": [mara.id]})
    asleep = scenes.add_scene(db, owner, pid, {"prompt": "Mara sleeps"})  # names her
    for scene in (window, asleep):
        made_take(db, owner, pid, scene.id, 4.0)
    cut.update_cut(db, owner, pid, {"music_id": theme.id})
    for gone in (mara, opening, theme):
        assets.delete_asset(db, media, owner, gone.id)
    assert assets.list_assets(db, owner, pid) == []
    assert all(media.exists(gone.media_key) for gone in (mara, opening, theme))
    assert assets.attached_references(db, owner, window.id) == []
    # work that needs a deleted frame or music bed is refused, never made without it
    with pytest.raises(InvalidInput, match="scene 1 'Scene 1' first frame: 'opening' is deleted"):
        _generated(db, owner, pid)
    with pytest.raises(InvalidInput, match="music bed: 'theme' is deleted"):
        cut.create_render_job(db, owner, pid, {"use_music": True})
    render = cut.create_render_job(db, owner, pid, {"use_music": False})
    assert CutSnapshot.from_params(render.params).music is None
    # edits that do not touch the links keep them, for the undo
    scenes.update_scene(db, owner, window.id, {"title": "Window"})
    cut.update_cut(db, owner, pid, {"music_fade_in": 1.0})
    with pytest.raises(InvalidInput, match=f"first_frame_id: image {opening.id} is not in"):
        scenes.add_scene(db, owner, pid, {"prompt": "x", "first_frame_id": opening.id})
    with pytest.raises(InvalidInput, match=f"references: image {mara.id} is not an ingredient"):
        scenes.update_scene(db, owner, asleep.id, {"references": [mara.id]})
    for gone in (mara, opening, theme):
        assets.restore_asset(db, owner, gone.id)
    assert [a.name for a in assets.list_assets(db, owner, pid)] == ["Mara", "opening", "theme"]
    assert assets.attached_references(db, owner, window.id) == [mara.id]
    snapshots = _generated(db, owner, pid)
    assert [[r.name for r in g.references] for g in snapshots] == [["Mara"], ["Mara"]]
    assert snapshots[0].first_frame == ImageRef(opening.media_key, "image/png", "opening")
    render = cut.create_render_job(db, owner, pid, {"use_music": True})
    music = CutSnapshot.from_params(render.params).music
    assert music is not None and music.media_key == theme.media_key


def test_an_undo_never_makes_two_ingredients_of_one_name(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path)
    pid = project(db, owner)
    mara = assets.add_asset(db, media, owner, pid, "character", "Mara", png(color="red"))
    assets.delete_asset(db, media, owner, mara.id)
    again = assets.add_asset(db, media, owner, pid, "character", "Mara", png(color="blue"))
    with pytest.raises(Conflict, match="the library has another 'Mara' now; rename it"):
        assets.restore_asset(db, owner, mara.id)
    assets.delete_asset(db, media, owner, again.id)
    assert assets.restore_asset(db, owner, mara.id).name == "Mara"
    with pytest.raises(Conflict, match="'Mara' is not deleted; there is nothing to undo"):
        assets.restore_asset(db, owner, mara.id)


def test_only_an_editor_deletes_or_restores_an_upload(
    db: Database, owner: User, stranger: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path)
    pid = project(db, owner)
    mara = assets.add_asset(db, media, owner, pid, "character", "Mara", png())
    members.add_member(db, owner, pid, stranger, Role.viewer)
    with pytest.raises(PermissionDenied, match="deleting from the library needs editor"):
        assets.delete_asset(db, media, stranger, mara.id)
    assets.delete_asset(db, media, owner, mara.id)
    with pytest.raises(PermissionDenied, match="restoring to the library needs editor"):
        assets.restore_asset(db, stranger, mara.id)
    assert assets.list_assets(db, owner, pid) == []


def test_an_upload_deleted_longer_than_the_undo_window_is_purged_with_its_file(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path)
    pid = project(db, owner)
    mara, opening, lamp = (
        assets.add_asset(db, media, owner, pid, kind, name, png())
        for kind, name in [("character", "Mara"), ("frame", "opening"), ("object", "lamp")]
    )
    scene = scenes.add_scene(
        db, owner, pid, {"prompt": "Mara", "first_frame_id": opening.id, "references": [mara.id]}
    )
    for gone in (mara, opening):
        assets.delete_asset(db, media, owner, gone.id)
    with db.session() as s:
        expired = utcnow() - assets.UNDO_WINDOW - timedelta(minutes=1)
        s.execute(update(Asset).where(Asset.id == mara.id).values(deleted_at=expired))
    assets.delete_asset(db, media, owner, lamp.id)  # a delete empties what has expired
    with pytest.raises(NotFound, match=f"upload {mara.id}: no such upload"):
        assets.restore_asset(db, owner, mara.id)
    assert not media.exists(mara.media_key) and media.exists(opening.media_key)
    assets.restore_asset(db, owner, opening.id)
    assert scenes.get_scene(db, owner, scene.id).first_frame_id == opening.id
    assert assets.attached_references(db, owner, scene.id) == []


def test_each_scene_lists_the_ingredients_a_job_would_take(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path)
    pid = project(db, owner)
    mara = assets.add_asset(db, media, owner, pid, "character", "Mara", png(color="red"))
    lamp = assets.add_asset(db, media, owner, pid, "object", "lamp", png())
    window, sea = scenes.add_scenes(
        db, owner, pid, [{"prompt": "Mara at the window"}, {"prompt": "the sea"}]
    )
    scenes.update_scene(db, owner, sea.id, {"references": [lamp.id]})
    assert assets.ingredients_by_scene(db, owner, pid) == {window.id: ["Mara"], sea.id: ["lamp"]}
    assets.delete_asset(db, media, owner, mara.id)
    assert assets.ingredients_by_scene(db, owner, pid)[window.id] == []
