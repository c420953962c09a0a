"""The movie's cut: cards and music of a project, render jobs, and the versions they make.

A render job snapshots everything the assembler needs (each scene's selected take, its
transition and captions, the cards, the music) when it is queued, so later edits never
change a render in flight, and each finished render is kept as a numbered version.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import audit
from storage.assets import live_asset
from storage.contract import CaptionLine, CardSpec, CutClip, CutSnapshot, MusicBed, NewMovie
from storage.db import Database
from storage.decisions import unapproved
from storage.errors import FieldError, InvalidInput, NotFound
from storage.jobs import move_job
from storage.limits import check_limits
from storage.models import (
    Asset,
    AssetKind,
    Job,
    JobKind,
    JobStatus,
    Movie,
    Project,
    Role,
    Scene,
    Take,
    User,
    utcnow,
)
from storage.permissions import require
from storage.render_outcomes import told_ready
from storage.scenes import ordered_scenes, renumber
from storage.spending import lock_project
from storage.validation import Checker, clean_card, clean_fade, clean_transition, clean_trims

ASSEMBLER = "assembler"  # a render job's backend: the engine's movie assembler
PRESETS = ("720p", "1080p", "4k")
ASPECTS = ("16:9", "9:16", "1:1")
FITS = ("pad", "crop")
CUT_FIELDS = ("title_card", "end_card", "music_id", "music_fade_in", "music_fade_out")


def cut_values(project: Project) -> dict[str, Any]:
    return {name: getattr(project, name) for name in CUT_FIELDS}


def update_cut(db: Database, actor: User, project_id: int, changes: dict[str, Any]) -> Project:
    """Set the cards, the music bed and its fades; the fields not given keep their values."""
    with db.session() as s:
        project = require(s, actor, project_id, Role.editor, "editing the cut")
        raw = {**cut_values(project), **changes}
        check = Checker(raw)
        for key in changes:
            if key not in CUT_FIELDS:
                check.fail(key, f"is not a field of the cut; known: {', '.join(CUT_FIELDS)}")
        cleaned = {
            "title_card": clean_card(check, "title_card", raw.get("title_card")),
            "end_card": clean_card(check, "end_card", raw.get("end_card")),
            "music_fade_in": clean_fade(check, "music_fade_in", raw.get("music_fade_in"), 2.0),
            "music_fade_out": clean_fade(check, "music_fade_out", raw.get("music_fade_out"), 3.0),
            "music_id": raw.get("music_id"),
        }
        if cleaned["music_id"] is not None and (
            isinstance(cleaned["music_id"], bool) or not isinstance(cleaned["music_id"], int)
        ):
            check.fail("music_id", f"{cleaned['music_id']!r} is not an asset id (a whole number)")
            cleaned["music_id"] = None
        music = _music_bed(s, project, cleaned["music_id"])
        if cleaned["music_id"] and (
            music is None or music.project_id != project_id or music.kind != AssetKind.music
        ):
            check.fail(
                "music_id", f"{cleaned['music_id']} is not a sound in this project's library"
            )
        check.done()
        for key, value in cleaned.items():
            setattr(project, key, value)
        audit.record(s, actor, "cut.updated", project_id, fields=sorted(changes))
    return project


def _music_bed(s: Session, project: Project, asset_id: Any) -> Asset | None:
    """The sound chosen for the cut: its own, even if deleted since (an undo brings it
    back), or another that is not deleted."""
    if not asset_id:
        return None
    return s.get(Asset, asset_id) if asset_id == project.music_id else live_asset(s, asset_id)


def clean_render_settings(raw: dict[str, Any]) -> dict[str, Any]:
    check = Checker(raw)
    settings = {
        "preset": check.choice("preset", PRESETS, "1080p"),
        "aspect_ratio": check.choice("aspect_ratio", ASPECTS, "16:9"),
        "fit": check.choice("fit", FITS, "pad"),
        "burn_captions": check.flag("burn_captions", False),
        "keep_clip_audio": check.flag("keep_clip_audio", True),
        "use_music": check.flag("use_music", True),
        "final": check.flag("final", False),  # the job's, not the assembler's: see below
    }
    for key in raw:
        if key not in settings:
            check.fail(key, f"is not a render setting; known: {', '.join(settings)}")
    check.done()
    return settings


def _snapshot(s: Session, project: Project, settings: dict[str, Any]) -> CutSnapshot:
    """The cut as the assembler renders it; refuses a scene without a usable take."""
    scenes = ordered_scenes(s, project.id)
    if not scenes:
        raise InvalidInput([FieldError("scenes", "the project has no scenes to assemble")])
    errors = []
    missing = [f"{n}. {sc.title}" for n, sc in enumerate(scenes, 1) if sc.selected_take_id is None]
    if missing:
        errors.append(
            FieldError("takes", f"these scenes have no selected take yet: {', '.join(missing)}")
        )
    card, first = project.title_card, scenes[0]
    if card and first.transition != "cut" and first.transition_seconds > card["duration"]:
        errors.append(FieldError(
            "title_card.duration",
            f"{card['duration']:g} s is shorter than the {first.transition_seconds:g} s "
            f"{first.transition} out of it into scene 1 '{first.title}'",
        ))  # fmt: skip
    if errors:
        raise InvalidInput(errors)
    clips = []
    for scene in scenes:
        take = s.get(Take, scene.selected_take_id)
        assert take is not None
        clips.append(
            CutClip(
                scene_id=scene.id,
                title=scene.title,
                take_id=take.id,
                media_key=take.media_key,
                duration=played_seconds(scene, take),
                transition=scene.transition,
                transition_seconds=scene.transition_seconds,
                captions=tuple(CaptionLine(**c) for c in scene.captions or []),
                trim_in=scene.trim_in,
            )
        )
    music = live_asset(s, project.music_id) if project.music_id and settings["use_music"] else None
    if project.music_id and settings["use_music"] and music is None:
        bed = s.get(Asset, project.music_id)
        raise InvalidInput([FieldError(
            "music bed",
            f"'{bed.name if bed else project.music_id}' is deleted; undo the delete on the "
            "Library page, choose another, or render without music",
        )])  # fmt: skip
    return CutSnapshot(
        **settings,
        name=project.name,
        clips=tuple(clips),
        title_card=CardSpec(**project.title_card) if project.title_card else None,
        end_card=CardSpec(**project.end_card) if project.end_card else None,
        music=MusicBed(music.media_key, music.name, project.music_fade_in, project.music_fade_out)
        if music
        else None,
    )


def create_render_job(db: Database, actor: User, project_id: int, settings: dict[str, Any]) -> Job:
    with db.session() as s:
        project = require(s, actor, project_id, Role.editor, "rendering the movie")
        cleaned = clean_render_settings(settings)
        final = cleaned.pop("final")
        if final and project.final_needs_approval:
            lock_project(s, project_id)  # approvals and the cut read as one
            waiting = unapproved(s, project_id, actor)
            if waiting:
                raise InvalidInput([FieldError("final", (
                    "a final render needs every scene's take approved by someone other than "
                    f"you; not yet: {', '.join(waiting)}. Ask a reviewer on the Review page, "
                    "or render a draft"
                ))])  # fmt: skip
        check_limits(s, actor, 1, 0.0)
        job = Job(
            project_id=project_id,
            scene_id=None,
            kind=JobKind.render,
            backend=ASSEMBLER,
            model=ASSEMBLER,
            takes=1,
            params={**_snapshot(s, project, cleaned).to_params(), "final": final},
            created_by=actor.id,
        )
        s.add(job)
        s.flush()
        audit.record(s, actor, "render.queued", project_id, job=job.id, final=final, **cleaned)
    return job


def complete_render(db: Database, job_id: int, movie: NewMovie) -> Movie | None:
    """Record the render as the project's next version; None if the job was cancelled."""
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            raise NotFound(f"job {job_id}: no such job")
        lock_project(s, job.project_id)  # versions are numbered one render at a time
        if not move_job(
            s, job_id, (JobStatus.running,), status=JobStatus.succeeded, finished_at=utcnow()
        ):
            return None
        latest = s.scalar(select(func.max(Movie.version)).where(Movie.project_id == job.project_id))
        settings = {k: job.params[k] for k in CutSnapshot.SETTINGS}
        settings["copied_s"] = movie.copied_s  # picture copied from the takes
        row = Movie(
            project_id=job.project_id,
            job_id=job_id,
            version=(latest or 0) + 1,
            settings=settings,
            created_by=job.created_by,
            media_key=movie.media_key,
            captions_srt_key=movie.captions_srt_key,
            captions_vtt_key=movie.captions_vtt_key,
            otio_key=movie.otio_key,
            duration=movie.duration,
            width=movie.width,
            height=movie.height,
            bytes=movie.bytes,
            render_s=movie.render_s,
            final=bool(job.params.get("final")),
        )
        s.add(row)
        s.flush()
        told_ready(s, job, row)
    return row


def list_movies(db: Database, actor: User, project_id: int) -> list[Movie]:
    """The project's renders, newest version first."""
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "viewing the movie")
        return list(
            s.scalars(
                select(Movie).where(Movie.project_id == project_id).order_by(Movie.version.desc())
            )
        )


def played_seconds(scene: Scene, take: Take | None) -> float:
    """How long the scene lasts in the cut: its take less the trims, or the scene's length
    while it has no take."""
    if take is None:
        return float(scene.duration)
    return take.duration - scene.trim_in - scene.trim_out


def _apply_edit(check: Checker, scene: Scene, take: Take | None, edit: dict[str, Any]) -> None:
    """One scene's trims, then its transition (which may last half of what is left)."""
    if "trim_in" in edit or "trim_out" in edit:
        if take is None:
            check.fail("trim", "has no take to trim yet; choose one on the Takes page")
            return
        trim_in, trim_out = edit.get("trim_in", scene.trim_in), edit.get("trim_out", scene.trim_out)
        trims = clean_trims(check, trim_in, trim_out, take.duration, take.fps)
        if trims:
            scene.trim_in, scene.trim_out = trims
    if "transition" in edit:
        kind, seconds = clean_transition(check, edit["transition"], played_seconds(scene, take))
        scene.transition, scene.transition_seconds = kind, seconds


def _selected(s: Session, scene: Scene) -> Take | None:
    return s.get(Take, scene.selected_take_id) if scene.selected_take_id else None


def _check_fit(check: Checker, ordered: list[Scene], takes: dict[int, Take | None]) -> None:
    """What plays of each scene still holds its transitions in and out, and its captions:
    a trim or a new neighbour can leave too little of it."""
    for number, scene in enumerate(ordered, 1):
        seconds = played_seconds(scene, takes[scene.id])
        after = ordered[number] if number < len(ordered) else None
        into = scene.transition_seconds if scene.transition != "cut" and number > 1 else 0.0
        out = after.transition_seconds if after and after.transition != "cut" else 0.0
        where = f"scene {number} '{scene.title}'"
        if into + out > seconds + 1e-6:
            check.fail(
                where,
                f"plays {seconds:g} s, less than its transitions in ({into:g} s) and out "
                f"({out:g} s); trim less or shorten a transition",
            )
        late = [c for c in scene.captions or [] if c["end"] > seconds + 1e-6]
        if late:
            check.fail(
                where,
                f"plays {seconds:g} s, but its caption '{late[0]['text']}' ends at "
                f"{late[0]['end']:g} s; trim less or move the caption",
            )


def edit_timeline(
    db: Database,
    actor: User,
    project_id: int,
    edits: dict[int, dict[str, Any]],
    order: list[int] | None = None,
) -> list[Scene]:
    """The timeline as the editor left it: the scenes' ``order``, and per scene
    (``{scene_id: {transition, trim_in, trim_out}}``, each key optional) the transition into
    it (``"cut"`` or ``{kind, duration}``) and the trims of its selected take. Saved
    together or not at all (the session rolls back on a refusal); each refusal names its
    scene."""
    with db.session() as s:
        require(s, actor, project_id, Role.editor, "editing the cut")
        ordered = ordered_scenes(s, project_id)
        by_id = {scene.id: scene for scene in ordered}
        unknown = [i for i in [*edits, *(order or [])] if i not in by_id]
        if unknown:
            raise NotFound(f"scene {unknown[0]}: not a scene of project {project_id}")
        check = Checker({})
        if order is not None and sorted(order) != sorted(by_id):
            check.fail("order", "must list every scene of the project once")
        elif order is not None:
            ordered = [by_id[i] for i in order]
        takes = {scene.id: _selected(s, scene) for scene in ordered}
        for number, scene in enumerate(ordered, 1):
            if scene.id in edits:
                one = Checker({})
                _apply_edit(one, scene, takes[scene.id], edits[scene.id])
                for error in one.errors:
                    check.fail(f"scene {number} '{scene.title}' {error.field}", error.message)
        if not check.errors:
            _check_fit(check, ordered, takes)
        check.done()
        renumber(ordered)
        audit.record(
            s, actor, "cut.edited", project_id, scenes=sorted(edits), reordered=order is not None
        )
    return ordered
