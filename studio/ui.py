"""Shared pieces of the studio's pages: services, the open project, messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from storage.errors import StudioError
from storage.models import Project, User
from storage.projects import get_project
from studio.config import load_settings
from studio.services import Services

T = TypeVar("T")
DRAFT_NOTE = "Draft preview: rendered locally by the animatic backend, not by Veo."


@st.cache_resource
def services() -> Services:
    return Services(load_settings())


def user() -> User:
    """The acting user, looked up once per browser session rather than on every call."""
    if "user" not in st.session_state:
        st.session_state["user"] = services().user()
    return st.session_state["user"]


def attempt(action: Callable[[], T]) -> T | None:
    """Run a data operation; show its refusal as a message instead of a traceback."""
    try:
        return action()
    except StudioError as exc:
        st.error(str(exc))
        return None


def open_project() -> Project | None:
    """The project chosen on the Projects page (or in the URL), or a hint to pick one."""
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
