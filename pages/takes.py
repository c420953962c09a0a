"""Takes: compare a scene's takes side by side in sync, rate and note them, choose the one
that goes into the movie."""

from __future__ import annotations

from functools import partial

import streamlit as st

from storage import scenes as store
from storage.models import Role, Scene, Take
from storage.take_notes import rate_take
from studio.components.media import media_url, poster_uri
from studio.components.player import Source, player, timecode
from studio.ui import DRAFT_NOTE, act, may, open_project, plain, services, user

COMPARED = 2  # takes side by side when a scene is opened: the chosen one and the newest


def _label(number: int, take: Take, scene: Scene) -> str:
    chosen = " · in the movie" if take.id == scene.selected_take_id else ""
    stars = f" · {'★' * take.rating}" if take.rating else ""
    draft = " · draft" if take.is_draft else ""
    return f"Take {number} · {take.duration:.1f} s{draft}{stars}{chosen}"


def _scene_picker(project_id: int, scenes: list[Scene], counts: dict[int, int]) -> Scene:
    """Keyed by scene id, so a take arriving (which changes the counts) keeps the choice."""
    numbers = {scene.id: n for n, scene in enumerate(scenes, 1)}
    by_id = {scene.id: scene for scene in scenes}
    first = next((sc.id for sc in scenes if counts.get(sc.id)), scenes[0].id)
    key = f"takes-scene-{project_id}"
    if st.session_state.get(key) not in by_id:
        st.session_state[key] = first
    chosen = st.selectbox(
        "Scene",
        list(by_id),
        key=key,
        format_func=lambda i: f"{numbers[i]}. {by_id[i].title} ({counts.get(i, 0)} takes)",
    )
    return by_id[chosen]


def _review(take: Take, number: int, scene: Scene) -> None:
    """Rate and note one compared take, or choose it for the movie."""
    with st.container(border=True):
        st.markdown(f"**{plain(_label(number, take, scene))}**")
        st.caption(
            f"{take.width}×{take.height} · {take.fps:g} fps · seed {take.seed} · "
            f"{take.bytes / 1e6:.2f} MB · ${take.cost_usd:.2f}"
            + (f" · {DRAFT_NOTE}" if take.is_draft else "")
        )
        if not may(Role.reviewer):
            return
        with st.form(f"rate-{take.id}", border=False):
            stars = st.feedback(
                "stars",
                key=f"stars-{take.id}",
                default=take.rating - 1 if take.rating else None,
            )
            note = st.text_input("Note", value=take.note, key=f"note-{take.id}")
            if st.form_submit_button("Save rating and note"):
                rating = stars + 1 if stars is not None else None
                act(partial(rate_take, services().db, user(), take.id, rating, note), "Saved")
        if (
            take.id != scene.selected_take_id
            and may(Role.editor)
            and st.button("Use this take in the movie", key=f"select-{take.id}", type="primary")
        ):
            act(
                partial(store.select_take, services().db, user(), scene.id, take.id),
                f"Take {number} is scene '{scene.title}' in the movie",
            )


def render() -> None:
    st.title("Takes")
    project = open_project()
    if project is None:
        return
    scenes = store.list_scenes(services().db, user(), project.id)
    takes = store.list_takes(services().db, user(), project.id)
    if not takes:
        st.info("No takes yet: generate scenes on the Storyboard or Generate page.")
        return
    counts: dict[int, int] = {}
    for take in takes:
        counts[take.scene_id] = counts.get(take.scene_id, 0) + 1
    scene = _scene_picker(project.id, scenes, counts)
    own = [t for t in takes if t.scene_id == scene.id]  # newest first
    if not own:
        st.caption("This scene has no takes yet.")
        return
    # numbered within the scene, oldest first, as a creator counts takes
    numbers = {take.id: n for n, take in enumerate(reversed(own), 1)}
    by_id = {take.id: take for take in own}
    key = f"compare-{scene.id}"
    if key not in st.session_state:  # first look: the chosen take beside the newest other
        chosen = [i for i in by_id if i == scene.selected_take_id]
        st.session_state[key] = (chosen + [i for i in by_id if i not in chosen])[:COMPARED]
    st.session_state[key] = [i for i in st.session_state[key] if i in by_id]
    # take ids, not takes: a label that changes (a take chosen, rated) keeps the choice
    picked = st.multiselect(
        "Compare",
        list(by_id),
        format_func=lambda i: _label(numbers[i], by_id[i], scene),
        key=key,
        help="Pick two or more takes to play side by side, in sync",
    )
    compared = [by_id[i] for i in picked if i in by_id]
    if not compared:
        st.caption("Pick a take above to play it.")
    else:
        _compare(compared, numbers, scene)
    _overview(own, numbers, scene)


def _compare(compared: list[Take], numbers: dict[int, int], scene: Scene) -> None:
    media = services().media
    present = [t for t in compared if media.exists(t.media_key)]
    missing = [numbers[t.id] for t in compared if t not in present]
    if missing:
        st.error(f"Take {', '.join(map(str, missing))}: the file is missing from the media store")
    compared = present
    if compared:
        sources = [Source(media_url(t.media_key), f"Take {numbers[t.id]}") for t in compared]
        at = player(sources, key=f"player-{scene.id}", fps=compared[0].fps)
        fps = compared[0].fps
        st.caption(
            f"Paused at {timecode(at, fps)} (frame {round(at * fps) + 1}). Click the player, "
            "then space plays and pauses, ← → step a frame (with Shift, a second); "
            "the takes play in sync."
        )
    cols = st.columns(len(compared) or 1)
    for col, take in zip(cols, compared, strict=False):
        with col:
            _review(take, numbers[take.id], scene)


def _overview(own: list[Take], numbers: dict[int, int], scene: Scene) -> None:
    st.subheader("Every take of this scene")
    cols = st.columns(6)
    for index, take in enumerate(own):
        with cols[index % len(cols)]:
            poster = poster_uri(take.poster_key) if take.poster_key else None
            if poster:
                st.image(poster)
            st.caption(plain(_label(numbers[take.id], take, scene)))
            if take.note:
                st.caption(plain(take.note))
