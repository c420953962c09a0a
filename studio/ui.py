"""Shared pieces of the studio's pages: services, the open project, messages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import streamlit as st
from PIL import Image, ImageDraw

from storage import projects
from storage.errors import NotFound, StudioError
from storage.models import Project, Role, User
from storage.permissions import RANK
from storage.settings import load_settings
from studio.services import Services

T = TypeVar("T")
DRAFT_NOTE = "Draft preview: rendered locally by the animatic, not by Veo."
Kind = Literal["error", "success"]


@st.cache_resource
def services() -> Services:
    return Services(load_settings())


@st.cache_resource
def page_icon() -> Image.Image:
    """A play triangle on the studio's amber, drawn locally (the studio fetches nothing)."""
    icon = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(icon)
    draw.rounded_rectangle((2, 2, 62, 62), radius=12, fill="#f5a623")
    draw.polygon([(24, 16), (24, 48), (50, 32)], fill="#1a1a1a")
    return icon


def user() -> User:
    """The signed-in user: the studio signs them in, and checks them, before a page runs."""
    found: User | None = st.session_state.get("user")
    if found is None:
        st.info("Sign in first.")
        st.stop()
    return found


# Markdown's punctuation, and ":" (Streamlit's colour and icon directives).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def plain(text: str) -> str:
    """A user's text for a Markdown element, shown as typed: never a link, an image that
    the browser fetches, a heading or a colour."""
    return _MARKDOWN.sub(r"\\\1", text)


def attempt(action: Callable[[], T]) -> T | None:
    """Run a data operation; show its refusal as a message instead of a traceback."""
    try:
        return action()
    except StudioError as exc:
        st.error(plain(exc.in_words()))
        return None


def act(
    action: Callable[[], T], done: str | Callable[[T], str] | None = None, area: str = "page"
) -> None:
    """Run a data operation and show its effect. What it says (its refusal, or ``done``,
    which may be made from the action's result) is kept and shown by ``messages(area)``,
    so a rerun never erases a refusal before it is read: a page reruns at once; a live
    fragment (``area``) shows it now and on each of its own reruns until dismissed."""
    said: tuple[Kind, str] | None = None
    try:
        result = action()
        if done:
            said = ("success", done(result) if callable(done) else done)
    except StudioError as exc:
        said = ("error", exc.in_words())
    if said:
        _keep(area, *said)
    if area == "page":
        st.rerun()
    if said:
        _show(*said)


def _keep(area: str, kind: Kind, text: str) -> None:
    st.session_state.setdefault(f"messages-{area}", []).append((kind, text))


def messages(area: str = "page") -> None:
    """Show what ``act`` kept for this area. A page's are shown once; a live fragment's
    (which reruns every second) stay until dismissed."""
    key, dismiss = f"messages-{area}", f"dismiss-{area}"
    if area == "page" or st.session_state.get(dismiss):  # a click on Dismiss runs this
        kept: list[tuple[Kind, str]] = st.session_state.pop(key, [])
        if area != "page":
            return
    else:
        kept = st.session_state.get(key, [])
    for kind, text in kept:
        _show(kind, text)
    if area != "page" and kept:
        st.button("Dismiss", key=dismiss)


def _show(kind: Kind, text: str) -> None:
    (st.error if kind == "error" else st.success)(plain(text))


def remember_deleted(kind: str, project_id: int, item_id: int, name: str) -> None:
    """Note a delete made from this browser, so that its page offers to undo it."""
    st.session_state.setdefault(f"deleted-{kind}-{project_id}", []).append((item_id, name))


def offer_undo(kind: str, project_id: int, restore: Callable[[int], Any]) -> None:
    """A line saying what was deleted, with an Undo button, for the latest ``kind``
    deleted from this browser in the project; each Undo restores one, the latest first."""
    deleted: list[tuple[int, str]] = st.session_state.get(f"deleted-{kind}-{project_id}", [])
    if not deleted:
        return
    item_id, name = deleted[-1]

    def undo() -> None:
        restore(item_id)
        deleted.pop()  # only once restored: a refused undo can be tried again

    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        st.markdown(f"Deleted '{plain(name)}'", width="stretch")
        if st.button("Undo", key=f"undo-{kind}-{item_id}", icon=":material/undo:"):
            act(undo, f"Restored '{name}'")
        if st.button("Dismiss", key=f"dismiss-undo-{kind}"):
            deleted.clear()
            st.rerun()


ROLE_NAMES = {Role.owner: "its owner", Role.editor: "an editor", Role.reviewer: "a reviewer",
              Role.viewer: "a viewer"}  # fmt: skip


def open_project() -> Project | None:
    """The project chosen on the Projects page (or in the URL), or a hint to pick one."""
    messages()
    raw = st.session_state.get("project_id") or st.query_params.get("project")
    if raw is None:
        st.info("Open a project on the Projects page first.")
        return None
    opened = attempt(lambda: projects.open_project(services().db, user(), _project_id(raw)))
    if opened is None:  # gone, or never theirs: the next page asks for a project again
        st.session_state.pop("project_id", None)
        st.session_state.pop("role", None)
        st.info("Open a project on the Projects page.")
        return None
    project, role = opened
    st.session_state["project_id"] = project.id
    st.session_state["role"] = role
    st.query_params["project"] = str(project.id)
    st.caption(f"Project: **{plain(project.name)}** · you are {ROLE_NAMES[role]}")
    return project


def _project_id(raw: object) -> int:
    """A project id from the URL or the session: anything else is no project."""
    if isinstance(raw, int) or (isinstance(raw, str) and re.fullmatch(r"[0-9]{1,18}", raw)):
        return int(raw)  # 18 digits: any id SQL holds, none that overflows it
    raise NotFound(f"project '{raw}': no such project")


def may(minimum: Role) -> bool:
    """Whether the user's role on the open project reaches ``minimum``: pages offer only
    what the data layer would allow (which checks again)."""
    role = st.session_state.get("role")
    return role is not None and RANK[role] >= RANK[minimum]


def needs(minimum: Role, doing: str) -> None:
    """Say, in place of a control, why it is not offered."""
    role = st.session_state.get("role")
    if role is not None:
        a = "an" if minimum.value[0] in "aeiou" else "a"
        st.caption(
            f"You are {ROLE_NAMES[role]} on this project: {doing} needs {a} {minimum.value}."
        )
