"""The planner in the studio: plan scenes from a script, and improve one scene's prompt."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from storage import catalog
from storage import scenes as scene_store
from storage.models import Project, Scene
from studio.planner import improve_prompt, plan_script, word_diff
from studio.ui import attempt, plain, services, user

PLAN_COLUMNS = ["title", "prompt", "duration", "camera", "continuity", "notes"]
# how a scene starts, in the plan table's words
STARTS = {"none": "a shot of its own", "previous": "the last frame before it"}


def plan_panel(project: Project) -> None:
    """Paste a script, get scenes to edit in a table, then add them to the storyboard."""
    script = st.text_area(
        "Logline or script",
        key="plan-script",
        height=160,
        placeholder="Paste a logline or a script; each paragraph becomes one or more scenes.",
    )
    key = f"plan-{project.id}"  # a plan belongs to the project (and model) it was made for
    # never disabled: a pasted script counts only once the box loses focus, which the
    # click on this button does; a disabled button would swallow that first click
    if st.button("Plan scenes", icon=":material/auto_awesome:"):
        if not script.strip():
            st.error("script: paste a logline or a script first")
            return
        with st.spinner("Planning scenes…"):
            spec = services().catalog.model(project.model)
            st.session_state[key] = plan_script(services().settings, script, spec)
    plan = st.session_state.get(key)
    if plan is None:
        return
    if plan.note:
        st.info(plan.note)
    for notice in plan.notices:
        st.warning(plain(notice), icon=":material/content_cut:")
    if not plan.rows:
        return
    spec = services().catalog.model(project.model)
    table = pd.DataFrame(plan.rows)[PLAN_COLUMNS]
    table["continuity"] = table["continuity"].map(lambda v: STARTS.get(v, STARTS["none"]))
    edited = st.data_editor(
        table,
        key=f"plan-editor-{project.id}",
        num_rows="dynamic",
        width="stretch",
        column_config={
            "title": st.column_config.TextColumn("Title"),
            "prompt": st.column_config.TextColumn(
                "Prompt", width="large", max_chars=spec.max_prompt_chars
            ),
            "duration": st.column_config.SelectboxColumn("Seconds", options=list(spec.durations)),
            "camera": st.column_config.SelectboxColumn(
                "Camera", options=list(catalog.CAMERA_MOVES)
            ),
            "continuity": st.column_config.SelectboxColumn(
                "Starts from", options=list(STARTS.values())
            ),
            "notes": st.column_config.TextColumn("Notes"),
        },
    )
    by_words = {words: value for value, words in STARTS.items()}
    rows = [
        {
            **{str(k): v for k, v in row.items() if pd.notna(v)},
            "continuity": by_words.get(str(row.get("continuity")), "none"),
            "model": project.model,
        }
        for row in edited.to_dict("records")
        if str(row.get("prompt") or "").strip()
    ]
    cols = st.columns(2)
    add = cols[0].button(f"Add {len(rows)} scene(s) to the storyboard", type="primary")
    if (
        add
        and attempt(lambda: scene_store.add_scenes(services().db, user(), project.id, rows))
        is not None
    ):
        del st.session_state[key]
        st.rerun()  # only once saved: a refusal stays on screen with the plan
    if cols[1].button("Discard the plan"):
        del st.session_state[key]
        st.rerun()


def diff_markdown(original: str, improved: str) -> str:
    marks = {"same": "{}", "removed": ":red[~~{}~~]", "added": ":green[**{}**]"}
    return "".join(
        (" " if text[:1].isspace() else "") + marks[kind].format(plain(text.strip()))
        for kind, text in word_diff(original, improved)
    )


def improve_panel(scene: Scene) -> None:
    """Suggest a better prompt, shown as a diff the user accepts or rejects."""
    key = f"suggestion-{scene.id}"
    if st.button("Improve this prompt", key=f"improve-{scene.id}", icon=":material/auto_fix_high:"):
        with st.spinner("Asking for a better prompt…"):
            st.session_state[key] = improve_prompt(
                services().settings, scene.prompt, scene.style, scene.camera
            )
    suggestion = st.session_state.get(key)
    if suggestion is None or suggestion.original != scene.prompt:
        return
    if suggestion.note:
        st.caption(suggestion.note)
    st.markdown(diff_markdown(suggestion.original, suggestion.improved))
    cols = st.columns(2)
    if cols[0].button("Accept", key=f"accept-{scene.id}", type="primary"):
        changed = attempt(
            lambda: scene_store.update_scene(
                services().db, user(), scene.id, {"prompt": suggestion.improved}
            )
        )
        if changed:
            del st.session_state[key]
            st.rerun()
    if cols[1].button("Reject", key=f"reject-{scene.id}"):
        del st.session_state[key]
        st.rerun()
