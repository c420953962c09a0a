"""Shared pieces of the studio's pages: services, the open project, messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

import streamlit as st

from storage.errors import StudioError
from storage.models import Project, User
from storage.projects import get_project
from storage.settings import load_settings
from studio.services import Services

T = TypeVar("T")
DRAFT_NOTE = "Draft preview: rendered locally by the animatic, not by Veo."
Kind = Literal["error", "success"]


@st.cache_resource
def services() -> Services:
    return Services(load_settings())


def user() -> User:
    """The acting user, looked up once per browser session rather than on every call."""
    if "user" not in st.session_state:
        st.session_state["user"] = services().user()
    found: User = st.session_state["user"]
    return found


def attempt(action: Callable[[], T]) -> T | None:
    """Run a data operation; show its refusal as a message instead of a traceback."""
    try:
        return action()
    except StudioError as exc:
        st.error(str(exc))
        return None


def act(action: Callable[[], Any], done: str | None = None, area: str = "page") -> None:
    """Run a data operation and rerun to show its effect. What it says (its refusal, or
    ``done``) is kept for the rerun and shown by ``messages(area)``, so a rerun never
    erases a refusal before it is read."""
    try:
        action()
    except StudioError as exc:
        _keep(area, "error", str(exc))
    else:
        if done:
            _keep(area, "success", done)
    st.rerun(scope="app" if area == "page" else "fragment")


def _keep(area: str, kind: Kind, text: str) -> None:
    st.session_state.setdefault(f"messages-{area}", []).append((kind, text))


def messages(area: str = "page") -> None:
    """Show what ``act`` kept for this area. A page's are shown once; a live fragment's
    (which reruns every second) stay until dismissed."""
    key = f"messages-{area}"
    kept: list[tuple[Kind, str]] = st.session_state.get(key, [])
    if area == "page":
        st.session_state.pop(key, None)
    for kind, text in kept:
        (st.error if kind == "error" else st.success)(text)
    if kept and area != "page" and st.button("Dismiss", key=f"dismiss-{area}"):
        st.session_state.pop(key, None)
        st.rerun(scope="fragment")


def open_project() -> Project | None:
    """The project chosen on the Projects page (or in the URL), or a hint to pick one."""
    messages()
    raw = st.session_state.get("project_id") or st.query_params.get("project")
    if raw is None:
        st.info("Open a project on the Projects page first.")
        return None
    project = attempt(lambda: get_project(services().db, user(), int(raw)))
    if project is not None:
        st.session_state["project_id"] = project.id
        st.query_params["project"] = str(project.id)
        st.caption(f"Project: **{project.name}**")
    return project
