"""Projects: create, list, open, rename, archive."""

from __future__ import annotations

import math
from functools import partial

import streamlit as st

from pages import storyboard
from storage import catalog
from storage import projects as store
from storage.models import Project, Role
from studio.ui import ROLE_NAMES, act, attempt, messages, plain, services, user

PER_PAGE = 20
PAGE = "projects-page"  # the page of the list shown; its number input's key
RENAMING = "renaming-project"  # the project whose rename dialog is open


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


def _first_page() -> None:
    st.session_state[PAGE] = 1


def _turn(by: int) -> None:
    st.session_state[PAGE] = st.session_state.get(PAGE, 1) + by


def _open_rename(project_id: int) -> None:
    st.session_state[RENAMING] = project_id


def _close_rename() -> None:
    st.session_state.pop(RENAMING, None)


# One dialog for the project being renamed, rather than a rename box on every card: a
# keyed text box costs a pass over the whole session state each run.
@st.dialog("Rename project", on_dismiss=_close_rename)
def _rename(project: Project) -> None:
    name = st.text_input("New name", value=project.name, max_chars=catalog.MAX_TITLE_CHARS)
    cols = st.columns(2)
    if cols[0].button("Save", type="primary", width="stretch"):
        changes = {"name": name}
        # a refusal is shown here, the typed name kept; done, the page shows the new name
        if attempt(partial(store.update_project, services().db, user(), project.id, changes)):
            _close_rename()
            st.rerun()
    if cols[1].button("Cancel", width="stretch"):
        _close_rename()
        st.rerun()


def _filters() -> tuple[str, bool]:
    cols = st.columns([4, 1], vertical_alignment="bottom")
    search = cols[0].text_input(
        "Search projects by name",
        placeholder="Part of a name",
        icon=":material/search:",
        key="projects-search",
        on_change=_first_page,
    )
    archived = cols[1].toggle("Show archived", key="projects-archived", on_change=_first_page)
    return search, archived


def _pager(pages: int, jump: bool) -> None:
    """Previous and next, and the page: a box to type it in (``jump``), or said in words."""
    page = st.session_state[PAGE]
    previous, where, after, _ = st.columns([2, 2, 2, 6], vertical_alignment="bottom")
    previous.button(
        "Previous", icon=":material/chevron_left:", disabled=page <= 1,
        on_click=_turn, args=(-1,), key=f"previous-{jump}", width="stretch",
    )  # fmt: skip
    if jump:
        where.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, key=PAGE)
    else:
        where.markdown(f"Page {page:,} of {pages:,}")
    after.button(
        "Next", icon=":material/chevron_right:", icon_position="right", disabled=page >= pages,
        on_click=_turn, args=(1,), key=f"next-{jump}", width="stretch",
    )  # fmt: skip


def _card(summary: store.ProjectSummary) -> None:
    project = summary.project
    with st.container(border=True):
        cols = st.columns([4, 1, 1, 2, 2])
        archived = " (archived)" if project.archived else ""
        cols[0].subheader(f"{plain(project.name)}{archived}")
        cols[0].caption(plain(project.description) or "—")
        cols[1].metric("Scenes", summary.scenes)
        cols[2].metric("Takes", summary.takes)
        cols[3].metric(
            "Est. cost", f"${summary.estimated_cost_usd:,.2f}", help="At Veo list prices"
        )
        if cols[4].button("Open", key=f"open-{project.id}", type="primary", width="stretch"):
            st.session_state["project_id"] = project.id
            # a page made from a function is found by its source and its url path
            st.switch_page(
                st.Page(storyboard.render, url_path="storyboard"),
                query_params={"project": str(project.id)},
            )
        if summary.role != Role.owner:  # renaming and archiving are the owner's
            cols[4].caption(f"You are {ROLE_NAMES[summary.role]}")
            return
        cols[4].button(
            "Rename", key=f"rename-{project.id}", icon=":material/edit:", type="tertiary",
            on_click=_open_rename, args=(project.id,),
        )  # fmt: skip
        label, icon = ("Restore", "unarchive") if project.archived else ("Archive", "archive")
        if cols[4].button(label, key=f"archive-{project.id}", icon=f":material/{icon}:",
                          type="tertiary"):  # fmt: skip
            wanted = not project.archived
            act(partial(store.set_archived, services().db, user(), project.id, wanted))


def render() -> None:
    st.title("Projects")
    messages()
    _create_form()
    search, show_archived = _filters()
    db, me = services().db, user()
    total = store.count_projects(db, me, show_archived, search)
    if not total:
        if search.strip():
            st.info(f"No project’s name contains “{plain(search.strip())}”.")
        else:
            st.info("No projects yet. Create one above, or run `veogen import storyboard.yaml`.")
        return
    pages = math.ceil(total / PER_PAGE)
    page = st.session_state[PAGE] = min(max(1, st.session_state.get(PAGE, 1)), pages)
    first = (page - 1) * PER_PAGE
    summaries = store.list_projects(db, me, show_archived, search, first, PER_PAGE)
    st.caption(f"Projects {first + 1:,}–{first + len(summaries):,} of {total:,}, newest first")
    if pages > 1:
        _pager(pages, jump=True)
    for summary in summaries:
        _card(summary)
    if pages > 1:
        _pager(pages, jump=False)
    renaming = st.session_state.get(RENAMING)
    shown = {summary.project.id: summary.project for summary in summaries}
    if renaming in shown:
        _rename(shown[renaming])
