"""Projects: create, list, open, rename, archive."""

from __future__ import annotations

from functools import partial

import streamlit as st

from pages import storyboard
from storage import catalog
from storage import projects as store
from studio.ui import act, messages, plain, services, user


def _create_form() -> None:
    # The form keeps what was typed when it is refused; a new key empties it once created.
    form = st.session_state.setdefault("new-project-form", 0)
    opened = st.session_state.get("new-project-open", False)  # stays open after a refusal
    with st.expander("New project", expanded=opened), st.form(f"new-project-{form}"):
        name = st.text_input("Name", max_chars=catalog.MAX_TITLE_CHARS)
        description = st.text_area("Description")
        models = services().catalog.models
        model = st.selectbox(
            "Model",
            list(models),
            index=list(models).index(services().settings.default_model),
            format_func=services().catalog.label,
        )
        spec = models[model]
        cols = st.columns(3)
        aspect = cols[0].selectbox("Aspect ratio", spec.aspect_ratios)
        resolution = cols[1].selectbox("Resolution", spec.resolutions)
        style = cols[2].selectbox("Style", catalog.STYLES, index=catalog.STYLES.index("cinematic"))
        # no minimum here: a negative budget is refused in words, naming the field
        budget = st.number_input("Budget (USD, 0 for none)", value=0.0, step=5.0)
        if st.form_submit_button("Create project", type="primary"):
            fields = {
                "name": name,
                "description": description,
                "model": model,
                "aspect_ratio": aspect,
                "resolution": resolution,
                "style": style,
                "budget": budget or None,
            }

            def create() -> None:
                project = store.create_project(services().db, user(), fields, model)
                st.session_state["project_id"] = project.id
                st.session_state["new-project-form"] = form + 1
                st.session_state["new-project-open"] = False

            st.session_state["new-project-open"] = True
            act(create, f"Created '{name.strip()}'")


def render() -> None:
    st.title("Projects")
    messages()
    _create_form()
    show_archived = st.toggle("Show archived")
    summaries = store.list_projects(services().db, user(), include_archived=show_archived)
    if not summaries:
        st.info("No projects yet. Create one above, or run `veogen import storyboard.yaml`.")
        return
    for summary in summaries:
        project = summary.project
        with st.container(border=True):
            cols = st.columns([4, 1, 1, 1, 2])
            archived = " (archived)" if project.archived else ""
            cols[0].subheader(f"{plain(project.name)}{archived}")
            cols[0].caption(plain(project.description) or "—")
            cols[1].metric("Scenes", summary.scenes)
            cols[2].metric("Takes", summary.takes)
            cols[3].metric(
                "Est. cost", f"${summary.estimated_cost_usd:,.2f}", help="At Veo list prices"
            )
            if cols[4].button("Open", key=f"open-{project.id}", type="primary"):
                st.session_state["project_id"] = project.id
                # a page made from a function is found by its source and its url path
                st.switch_page(
                    st.Page(storyboard.render, url_path="storyboard"),
                    query_params={"project": str(project.id)},
                )
            with cols[4].popover("Manage"):
                new_name = st.text_input("Rename to", value=project.name, key=f"name-{project.id}")
                if st.button("Rename", key=f"rename-{project.id}"):
                    changes = {"name": new_name}
                    act(partial(store.update_project, services().db, user(), project.id, changes))
                label = "Restore" if project.archived else "Archive"
                if st.button(label, key=f"archive-{project.id}"):
                    wanted = not project.archived
                    act(partial(store.set_archived, services().db, user(), project.id, wanted))
