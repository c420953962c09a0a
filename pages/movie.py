"""Movie: the cut of the selected takes (transitions, captions, cards, music), rendered as
versions to play, compare and download."""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from storage import assets, cut
from storage import jobs as job_store
from storage import scenes as scene_store
from storage.captions import caption_lines, draft_captions
from storage.models import AssetKind, JobKind, JobStatus, Movie, Project, Role, Scene, Take
from studio.components.media import media_url
from studio.components.player import Source, player
from studio.components.timeline import saved_edit, timeline, timeline_clips
from studio.ui import act, attempt, may, messages, needs, open_project, plain, services, user

MOVIE_FPS = 24.0  # every preset renders at 24 fps
PRESET_LABELS = {"720p": "720p", "1080p": "1080p (Full HD)", "4k": "4K (UHD)"}


def _update_scene(scene_id: int, changes: dict[str, Any]) -> bool:
    return (
        attempt(lambda: scene_store.update_scene(services().db, user(), scene_id, changes))
        is not None
    )


def _timeline(project: Project, scenes: list[Scene], takes: dict[int, Take]) -> None:
    st.subheader("Timeline")
    edit = timeline(
        timeline_clips(scenes, takes),
        key=f"timeline-{project.id}",
        editable=may(Role.editor),
        trims=True,
        cards=(project.title_card, project.end_card),
        hint="Drag a clip to move it (or Alt+← →), drag its edges to trim it, click a "
        "transition to change it; click a clip (or press Enter on it) for exact figures."
        if may(Role.editor)
        else "The chosen takes in order, with the transitions between them.",
    )
    if edit:
        edits, order = saved_edit(edit)
        act(
            partial(cut.edit_timeline, services().db, user(), project.id, edits, order),
            "Timeline saved",
        )
    if not may(Role.editor):
        return
    with st.expander("Captions"):
        for number, scene in enumerate(scenes, 1):
            seconds = cut.played_seconds(scene, takes.get(scene.selected_take_id or 0))
            st.markdown(f"**{number}\\. {plain(scene.title)}** · plays {seconds:g} s")
            table = st.data_editor(
                pd.DataFrame(scene.captions or [], columns=["text", "start", "end"]),
                key=f"captions-{scene.id}",
                num_rows="dynamic",
                width="stretch",
            )
            _draft_captions(scene, seconds)
            if st.button("Save captions", key=f"save-captions-{scene.id}"):
                captions = [
                    {k: v for k, v in row.items() if pd.notna(v)}
                    for row in table.to_dict("records")
                    if str(row.get("text") or "").strip()
                ]
                if _update_scene(scene.id, {"captions": captions}):
                    st.rerun()


def _draft_captions(scene: Scene, seconds: float) -> None:
    """One click to captions from the scene's quoted dialogue, or else its notes."""
    source, lines = caption_lines(scene.prompt, scene.notes or "")
    if not lines:
        return
    if st.button(
        f"Draft from the {source}",
        key=f"draft-captions-{scene.id}",
        help=f"Replaces this scene's captions with its {source}, timed by length",
    ) and _update_scene(scene.id, {"captions": draft_captions(lines, seconds)}):
        st.rerun()


def _card(label: str, key: str, card: dict[str, Any] | None) -> dict[str, Any] | None:
    cols = st.columns([3, 1, 1])
    text = cols[0].text_input(
        f"{label} text (blank: none)", value=(card or {}).get("text", ""), key=key
    )
    seconds = cols[1].number_input(
        "Seconds", 1.0, 10.0, float((card or {}).get("duration", 3)), key=f"{key}-s"
    )
    background = cols[2].color_picker(
        "Background", (card or {}).get("background", "#000000"), key=f"{key}-bg"
    )
    return {"text": text, "duration": seconds, "background": background} if text.strip() else None


def _cards_and_music(project: Project) -> None:
    st.subheader("Cards and music")
    library = assets.list_assets(services().db, user(), project.id)
    sounds = {a.id: a.name for a in library if a.kind == AssetKind.music}
    with st.form(f"cut-{project.id}"):
        title = _card("Title card", "title-card", project.title_card)
        end = _card("End card", "end-card", project.end_card)
        options: list[int | None] = [None, *sounds]
        cols = st.columns([3, 1, 1])
        music = cols[0].selectbox(
            "Music bed (upload sounds on the Library page)",
            options,
            index=options.index(project.music_id) if project.music_id in options else 0,
            format_func=lambda i: "none" if i is None else sounds[i],
        )
        fade_in = cols[1].number_input("Fade in (s)", 0.0, 10.0, float(project.music_fade_in))
        fade_out = cols[2].number_input("Fade out (s)", 0.0, 10.0, float(project.music_fade_out))
        if st.form_submit_button("Save cards and music"):
            changes = {
                "title_card": title,
                "end_card": end,
                "music_id": music,
                "music_fade_in": fade_in,
                "music_fade_out": fade_out,
            }
            if attempt(lambda: cut.update_cut(services().db, user(), project.id, changes)):
                st.success("Saved")


def _render_form(project: Project) -> None:
    st.subheader("Export")
    cols = st.columns(3)
    preset = cols[0].selectbox(
        "Preset", cut.PRESETS, index=1, format_func=lambda p: PRESET_LABELS[p]
    )
    aspect = cols[1].selectbox("Shape", cut.ASPECTS)
    fit = cols[2].selectbox(
        "Other shapes", cut.FITS, format_func=lambda f: f"{f} to fill the frame"
    )
    cols = st.columns(3)
    burn = cols[0].checkbox("Burn in captions")
    keep = cols[1].checkbox("Keep each clip's sound", value=True)
    has_music = project.music_id is not None
    music = cols[2].checkbox(
        "Add the music bed" if has_music else "Add the music bed (none chosen)",
        value=has_music,
        disabled=not has_music,
    )
    final = st.checkbox(
        "Final render",
        help="Labelled final, not a draft cut"
        + (
            "; it needs every scene's take approved on the Review page first"
            if project.final_needs_approval
            else ""
        ),
    )
    st.caption(
        "H.264 + AAC MP4 with fast start, loudness normalised to -14 LUFS; captions also as "
        "SRT and WebVTT, the cut as OpenTimelineIO. Takes already in the preset's size and "
        "shape are copied as they are wherever nothing is drawn on them; only transitions, "
        "cards and burned-in captions are encoded."
    )
    if st.button("Render the movie", type="primary", icon=":material/movie:"):
        settings = {
            "preset": preset,
            "aspect_ratio": aspect,
            "fit": fit,
            "burn_captions": burn,
            "keep_clip_audio": keep,
            "use_music": music and has_music,
            "final": final,
        }
        if attempt(lambda: services().jobs.render(user(), project.id, settings)):
            st.success("Render queued")


@st.fragment(run_every=1.0)
def _renders(project_id: int) -> None:
    messages("renders")
    renders = [
        j
        for j in job_store.list_jobs(services().db, user(), project_id, 20)
        if j.kind == JobKind.render
    ]
    active = [j for j in renders if not JobStatus(j.status).finished]
    # a render that finished since the last look: run the whole page so its version shows
    watched = st.session_state.setdefault(f"renders-running-{project_id}", set())
    if watched - {j.id for j in active}:
        st.session_state[f"renders-running-{project_id}"] = {j.id for j in active}
        st.rerun()
    watched.update(j.id for j in active)
    live = attempt(lambda: services().jobs.progress([j.id for j in active])) or {}
    for job in renders[:5]:
        status = JobStatus(job.status)
        cols = st.columns([4, 1])
        if status == JobStatus.running:
            progress = live.get(job.id)
            cols[0].progress(
                progress.fraction if progress else 0.0,
                text=f"render {job.id}: {progress.stage if progress else 'starting'}",
            )
        elif status == JobStatus.queued:
            cols[0].progress(0.0, text=f"render {job.id}: queued")
        elif status in (JobStatus.failed, JobStatus.cancelled):
            said = plain(job.error or "no reason given")
            cols[0].error(f"render {job.id} {status.value} at {job.error_stage}: {said}")
        if (
            not status.finished
            and may(Role.editor)
            and cols[1].button("Cancel", key=f"cancel-render-{job.id}")
        ):
            act(partial(services().jobs.cancel, user(), job.id), area="renders")


def _version(movie: Movie, newest: bool) -> None:
    media = services().media
    with st.container(border=True):
        screen, about = st.columns([3, 2])
        # an older version's file is served only when asked for: Streamlit reads each
        # player's file into memory again on every rerun of the page
        shown = newest or screen.toggle("Play this version", key=f"play-{movie.id}")
        if shown and media.exists(movie.media_key):
            with screen:
                player(
                    [Source(media_url(movie.media_key), f"Version {movie.version}")],
                    key=f"movie-player-{movie.id}",
                    fps=MOVIE_FPS,
                )
        elif shown:
            screen.error(f"version {movie.version}: its file {movie.media_key} is missing")
        with about:
            _version_facts(movie)
            _downloads(movie)


def _version_facts(movie: Movie) -> None:
    settings = movie.settings
    st.markdown(
        f"**Version {movie.version}** · {'final' if movie.final else 'draft cut'} · "
        f"{movie.duration:.1f} s · {movie.width}×{movie.height}"
    )
    st.caption(
        f"{settings['preset']} {settings['aspect_ratio']} ({settings['fit']}) · "
        f"captions {'burned in' if settings['burn_captions'] else 'as files'} · "
        f"{movie.bytes / 1e6:.1f} MB · rendered in {movie.render_s:.0f} s"
        + (
            f" · {settings['copied_s']:.0f} s of the picture copied from the takes"
            if settings.get("copied_s")
            else ""
        )
    )


def _downloads(movie: Movie) -> None:
    media = services().media
    cols = st.columns(4)
    for col, (label, key, mime) in zip(
        cols,
        [
            ("MP4", movie.media_key, "video/mp4"),
            ("SRT", movie.captions_srt_key, "application/x-subrip"),
            ("WebVTT", movie.captions_vtt_key, "text/vtt"),
            ("OTIO", movie.otio_key, "application/json"),
        ],
        strict=True,
    ):
        if not media.exists(key):
            col.caption(f"{label}: file missing")
            continue
        col.download_button(
            label,
            partial(media.read, key),  # read when clicked, not on every rerun
            file_name=f"v{movie.version}-{key.rsplit('/', 1)[-1]}",
            mime=mime,
            key=f"download-{movie.id}-{label}",
        )


def render() -> None:
    st.title("Movie")
    project = open_project()
    if project is None:
        return
    scenes = scene_store.list_scenes(services().db, user(), project.id)
    if not scenes:
        st.info("This project has no scenes yet; add them on the Storyboard page.")
        return
    takes = {t.id: t for t in scene_store.list_takes(services().db, user(), project.id)}
    _timeline(project, scenes, takes)
    if may(Role.editor):
        _cards_and_music(project)
        _render_form(project)
    else:
        needs(Role.editor, "editing and rendering the movie")
    _renders(project.id)
    st.subheader("Versions")
    movies = cut.list_movies(services().db, user(), project.id)
    if not movies:
        st.caption("No renders yet.")
    for index, movie in enumerate(movies):
        _version(movie, newest=index == 0)
