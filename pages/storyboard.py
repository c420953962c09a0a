"""Storyboard: the project's scenes as a grid; add, edit, duplicate, delete, reorder."""

from __future__ import annotations

from typing import Any

import streamlit as st

from storage import catalog
from storage import scenes as store
from storage.models import Project, Scene, Take
from studio.ui import attempt, open_project, services, user


def scene_form(key: str, values: dict[str, Any]) -> dict[str, Any] | None:
    """The scene fields; offers only what the chosen model allows. None until submitted."""
    model = st.selectbox(
        "Model",
        list(catalog.MODELS),
        index=list(catalog.MODELS).index(values["model"]),
        key=f"{key}-model",
    )
    spec = catalog.MODELS[model]
    with st.form(key):
        title = st.text_input(
            "Title", value=values.get("title", ""), max_chars=catalog.MAX_TITLE_CHARS
        )
        prompt = st.text_area(
            "Prompt", value=values.get("prompt", ""), max_chars=spec.max_prompt_chars
        )
        negative = st.text_input("Negative prompt", value=values.get("negative_prompt", ""))
        cols = st.columns(4)
        duration = cols[0].selectbox(
            "Duration (s)", spec.durations, index=_index(spec.durations, values.get("duration"))
        )
        aspect = cols[1].selectbox(
            "Aspect ratio",
            spec.aspect_ratios,
            index=_index(spec.aspect_ratios, values.get("aspect_ratio")),
        )
        resolution = cols[2].selectbox(
            "Resolution", spec.resolutions, index=_index(spec.resolutions, values.get("resolution"))
        )
        takes = cols[3].number_input("Takes", 1, spec.max_samples, int(values.get("takes") or 1))
        cols = st.columns(4)
        style = cols[0].selectbox(
            "Style", catalog.STYLES, index=_index(catalog.STYLES, values.get("style"))
        )
        camera = cols[1].selectbox(
            "Camera", catalog.CAMERA_MOVES, index=_index(catalog.CAMERA_MOVES, values.get("camera"))
        )
        seed = cols[2].text_input(
            "Seed (blank: random)", value="" if values.get("seed") is None else str(values["seed"])
        )
        continuity = cols[3].selectbox(
            "Continuity",
            catalog.CONTINUITY_MODES,
            index=_index(catalog.CONTINUITY_MODES, values.get("continuity")),
            format_func=lambda m: "continue from previous scene" if m == "previous" else "none",
        )
        notes = st.text_area("Notes", value=values.get("notes", ""))
        if not st.form_submit_button("Save scene", type="primary"):
            return None
    return {
        "title": title,
        "prompt": prompt,
        "negative_prompt": negative,
        "duration": duration,
        "aspect_ratio": aspect,
        "resolution": resolution,
        "takes": takes,
        "style": style,
        "camera": camera,
        "seed": seed.strip() or None,
        "continuity": continuity,
        "notes": notes,
        "model": model,
    }


def _index(options: tuple, value: Any) -> int:  # type: ignore[type-arg]
    return options.index(value) if value in options else 0


def _poster(scene: Scene, takes: list[Take]) -> None:
    chosen = next((t for t in takes if t.id == scene.selected_take_id), None)
    if chosen and chosen.poster_key and services().media.exists(chosen.poster_key):
        st.image(str(services().media.path(chosen.poster_key)), width="stretch")
        if chosen.is_draft:
            st.caption("Draft preview (animatic)")
    else:
        st.caption("No take yet")


def _scene_card(project: Project, scene: Scene, number: int, count: int, takes: list[Take]) -> None:
    with st.container(border=True):
        st.markdown(f"**{number}. {scene.title}** · {scene.duration}s · {scene.camera}")
        _poster(scene, takes)
        st.caption(scene.prompt[:140])
        cols = st.columns(4)
        db, me = services().db, user()
        if cols[0].button("↑", key=f"up-{scene.id}", disabled=number == 1, help="Move earlier"):
            attempt(lambda: store.move_scene(db, me, scene.id, number - 2))
            st.rerun()
        if cols[1].button("↓", key=f"down-{scene.id}", disabled=number == count, help="Move later"):
            attempt(lambda: store.move_scene(db, me, scene.id, number))
            st.rerun()
        if cols[2].button(
            "", icon=":material/content_copy:", key=f"dup-{scene.id}", help="Duplicate"
        ):
            attempt(lambda: store.duplicate_scene(db, me, scene.id))
            st.rerun()
        if cols[3].button("", icon=":material/delete:", key=f"del-{scene.id}", help="Delete"):
            attempt(lambda: store.delete_scene(db, me, scene.id))
            st.rerun()
        with st.expander("Edit"):
            changes = scene_form(f"edit-{scene.id}", store.scene_values(scene))
            if changes is not None and attempt(
                lambda: store.update_scene(db, me, scene.id, changes)
            ):
                st.rerun()


def render() -> None:
    st.title("Storyboard")
    project = open_project()
    if project is None:
        return
    scenes = store.list_scenes(services().db, user(), project.id)
    takes = store.list_takes(services().db, user(), project.id)
    with st.expander("Add a scene", expanded=not scenes):
        fields = scene_form(
            "add-scene", {**store.project_defaults(project), "title": f"Scene {len(scenes) + 1}"}
        )
        if fields is not None and attempt(
            lambda: store.add_scene(services().db, user(), project.id, fields)
        ):
            st.rerun()
    per_row = 3
    for start in range(0, len(scenes), per_row):
        cols = st.columns(per_row)
        for col, offset in zip(cols, range(start, min(start + per_row, len(scenes))), strict=False):
            with col:
                scene = scenes[offset]
                _scene_card(
                    project,
                    scene,
                    offset + 1,
                    len(scenes),
                    [t for t in takes if t.scene_id == scene.id],
                )
