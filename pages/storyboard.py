"""Storyboard: the project's scenes as a grid; plan from a script, add, edit, improve a
prompt, duplicate, delete, reorder."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from storage import assets, cut
from storage import scenes as store
from storage.jobs import PlannedJob
from storage.models import Asset, Project, Role, Scene, Take
from studio.components.timeline import saved_edit, timeline, timeline_clips
from studio.planning_ui import improve_panel, plan_panel
from studio.scene_actions import generate_actions
from studio.scene_form import scene_form
from studio.ui import (
    act,
    attempt,
    may,
    needs,
    offer_undo,
    open_project,
    plain,
    remember_deleted,
    services,
    user,
)


def _save(scene_id: int | None, project_id: int, fields: dict[str, Any]) -> bool:
    """Add or update the scene with its ingredients, in one step; False if refused."""
    db, me = services().db, user()
    if scene_id is None:
        saved = attempt(lambda: store.add_scene(db, me, project_id, fields))
    else:
        saved = attempt(lambda: store.update_scene(db, me, scene_id, fields))
    return saved is not None


def _poster(scene: Scene, takes: list[Take]) -> None:
    chosen = next((t for t in takes if t.id == scene.selected_take_id), None)
    media = services().media
    if chosen and chosen.poster_key and media.exists(chosen.poster_key):
        st.image(media.playback(chosen.poster_key), width="stretch")
        if chosen.is_draft:
            st.caption("Draft preview (animatic)")
    else:
        st.caption("No take yet")


def _scene_card(
    project: Project,
    scenes: list[Scene],
    number: int,
    takes: list[Take],
    plans: dict[int, PlannedJob],
    ingredients: dict[int, list[str]],
) -> None:
    scene, count = scenes[number - 1], len(scenes)
    with st.container(border=True):
        st.markdown(f"**{number}\\. {plain(scene.title)}** · {scene.duration}s · {scene.camera}")
        _poster(scene, takes)
        st.caption(plain(scene.prompt[:140]))
        _ingredients(scene, ingredients.get(scene.id, []))
        after = scenes[number] if number < count else None
        generate_actions(project, scene, number, after, takes, plans)
        if not may(Role.editor):
            return
        cols = st.columns(4)
        db, me = services().db, user()
        if cols[0].button("↑", key=f"up-{scene.id}", disabled=number == 1, help="Move earlier"):
            act(lambda: store.move_scene(db, me, scene.id, number - 2))
        if cols[1].button("↓", key=f"down-{scene.id}", disabled=number == count, help="Move later"):
            act(lambda: store.move_scene(db, me, scene.id, number))
        if cols[2].button(
            "", icon=":material/content_copy:", key=f"dup-{scene.id}", help="Duplicate"
        ):
            act(lambda: store.duplicate_scene(db, me, scene.id))
        if cols[3].button("", icon=":material/delete:", key=f"del-{scene.id}", help="Delete"):
            act(lambda: _delete(scene.id))
        if st.button("Edit", icon=":material/edit:", key=f"edit-{scene.id}", width="stretch"):
            st.session_state["editing"] = scene.id
            st.rerun()


def _ingredients(scene: Scene, names: list[str]) -> None:
    """The ingredients the scene's takes are made with, and whether its model uses them."""
    if not names:
        return
    listed = ", ".join(names)
    spec = services().catalog.model(scene.model)
    if services().settings.drafts:
        st.caption(plain(f"Ingredients: {listed} (drafts are made without them)"))
    elif not spec.reference_images:
        st.warning(
            plain(
                f"Ingredients: {listed}. {spec.label} takes none: choose a model that does "
                "(Veo 3.1) for this scene, or remove them from it (or their names from the "
                "prompt)"
            ),
            icon=":material/warning:",
        )
    else:
        st.caption(plain(f"Ingredients: {listed}"))


def _delete(scene_id: int) -> None:
    deleted = store.delete_scene(services().db, services().media, user(), scene_id)
    remember_deleted("scene", deleted.project_id, deleted.id, deleted.title)


def _editor(
    project: Project, scene: Scene, number: int, library: list[Asset], others: list[Take]
) -> None:
    """The chosen scene's form at full width, above the grid."""
    db, me = services().db, user()
    with st.container(border=True):
        head = st.columns([6, 1])
        head[0].subheader(f"Editing {number}\\. {plain(scene.title)}")
        if head[1].button("Close", key="close-editor", width="stretch"):
            del st.session_state["editing"]
            st.rerun()
        improve_panel(scene)
        changes = scene_form(
            f"edit-{scene.id}",
            store.scene_values(scene),
            services().catalog,
            library,
            assets.attached_references(db, me, scene.id),
            {t.id: f"take {t.id} of '{t.params.get('title', '')}'" for t in others},
        )
        if changes is not None and _save(scene.id, project.id, changes):
            del st.session_state["editing"]
            st.rerun()


def _plans(project: Project) -> dict[int, PlannedJob]:
    """What generating each scene would cost, figured once for every card."""
    plan = attempt(lambda: services().jobs.plan(user(), project.id))
    return {planned.scene.id: planned for planned in plan.jobs} if plan else {}


def _timeline(project: Project, scenes: list[Scene], takes: list[Take]) -> None:
    """The scenes in order as a strip: drag one to move it (trims are made on the Movie
    page, where the cut is finished)."""
    if len(scenes) < 2:
        return
    edit = timeline(
        timeline_clips(scenes, {t.id: t for t in takes}),
        key=f"storyboard-timeline-{project.id}",
        editable=may(Role.editor),
        trims=False,
        hint="Drag a scene to move it (or Alt+← →); click a transition to change it."
        if may(Role.editor)
        else "The scenes in order.",
    )
    if edit:
        edits, order = saved_edit(edit)
        act(partial(cut.edit_timeline, services().db, user(), project.id, edits, order))


def render() -> None:
    st.title("Storyboard")
    project = open_project()
    if project is None:
        return
    offer_undo("scene", project.id, lambda i: store.restore_scene(services().db, user(), i))
    scenes = store.list_scenes(services().db, user(), project.id)
    takes = store.list_takes(services().db, user(), project.id)
    library = assets.list_assets(services().db, user(), project.id)
    if may(Role.editor):
        _planning(project, scenes, takes, library)
    else:
        needs(Role.editor, "planning, editing and generating scenes")
    _timeline(project, scenes, takes)
    plans = _plans(project) if scenes and may(Role.editor) else {}  # no plan: no spending
    ingredients = assets.ingredients_by_scene(services().db, user(), project.id)
    per_row = 3
    for start in range(0, len(scenes), per_row):
        cols = st.columns(per_row)
        for col, offset in zip(cols, range(start, min(start + per_row, len(scenes))), strict=False):
            with col:
                scene = scenes[offset]
                own = [t for t in takes if t.scene_id == scene.id]
                _scene_card(project, scenes, offset + 1, own, plans, ingredients)


def _planning(
    project: Project, scenes: list[Scene], takes: list[Take], library: list[Asset]
) -> None:
    """Plan from a script, add a scene, and the scene being edited: for editors."""
    with st.expander("Plan from a script", icon=":material/auto_awesome:"):
        plan_panel(project)
    with st.expander("Add a scene", expanded=not scenes):
        fields = scene_form(
            "add-scene",
            {**store.project_defaults(project), "title": f"Scene {len(scenes) + 1}"},
            services().catalog,
            library,
        )
        if fields is not None and _save(None, project.id, fields):
            st.rerun()
    editing = next(
        ((n, sc) for n, sc in enumerate(scenes, 1) if sc.id == st.session_state.get("editing")),
        None,
    )
    if editing is not None:
        number, scene = editing
        others = [t for t in takes if not t.is_draft and t.scene_id != scene.id]
        _editor(project, scene, number, library, others)
