"""Takes: play every take, see its parameters, choose each scene's selected take."""

from __future__ import annotations

import streamlit as st

from storage import scenes as store
from studio.ui import DRAFT_NOTE, attempt, open_project, plain, services, user


def render() -> None:
    st.title("Takes")
    project = open_project()
    if project is None:
        return
    scenes = store.list_scenes(services().db, user(), project.id)
    takes = store.list_takes(services().db, user(), project.id)
    if not takes:
        st.info("No takes yet; queue scenes on the Generate page.")
    for number, scene in enumerate(scenes, 1):
        own = [t for t in takes if t.scene_id == scene.id]
        st.subheader(f"{number}\\. {plain(scene.title)}")
        if not own:
            st.caption("No takes yet.")
            continue
        cols = st.columns(min(3, len(own)))
        # numbered within the scene, oldest first, as a creator counts takes
        numbers = {take.id: n for n, take in enumerate(reversed(own), 1)}
        for index, take in enumerate(own):
            with cols[index % len(cols)], st.container(border=True):
                media = services().media
                if media.exists(take.media_key):
                    st.video(media.playback(take.media_key))
                else:
                    st.error(
                        f"take {take.id}: its file {take.media_key} is missing from the media store"
                    )
                chosen = take.id == scene.selected_take_id
                mark = " · :material/check_circle: selected" if chosen else ""
                st.markdown(f"**Take {numbers[take.id]} of scene {number}**{mark}")
                if take.is_draft:
                    st.caption(DRAFT_NOTE)
                st.caption(
                    f"{take.width}×{take.height} · {take.duration:.1f}s · {take.fps:g} fps · {take.codec} · "
                    f"seed {take.seed} · {take.bytes / 1e6:.2f} MB · ${take.cost_usd:.2f}"
                )
                with st.expander("Parameters"):
                    st.json(take.params)
                if not chosen and st.button("Select this take", key=f"select-{take.id}"):
                    select = lambda t=take.id, sc=scene.id: store.select_take(  # noqa: E731
                        services().db, user(), sc, t
                    )
                    if attempt(select):
                        st.rerun()
