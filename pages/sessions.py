"""Review sessions: an editor sets takes and movie versions in the order to review them,
with a window and a passphrase for guests; the team opens a session here, guests through a
link; once it closes, its report lists everything said in it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial
from urllib.parse import urlsplit

import streamlit as st

from storage import cut, review_sessions
from storage import scenes as scene_store
from storage.models import Project, Role, utcnow
from storage.review_sessions import (
    MAX_ITEMS,
    LinkView,
    Picked,
    ReviewSessionView,
    movie_label,
    take_label,
)
from studio.session_live import end_room, live_review
from studio.session_view import STATES, report, review_items, summary
from studio.ui import act, attempt, may, open_project, plain, services, user

OPENED = "session"  # the session open on this page, in its address: a reload keeps it


def _candidates(project: Project) -> dict[str, tuple[str, Picked]]:
    """What a session can hold: each scene's takes (numbered as the Review page numbers
    them) and the movie's versions, by a key for the picker."""
    db, me = services().db, user()
    scenes = scene_store.list_scenes(db, me, project.id)
    takes = scene_store.list_takes(db, me, project.id)  # newest first within a scene
    found: dict[str, tuple[str, Picked]] = {}
    for n, scene in enumerate(scenes, 1):
        own = [t for t in takes if t.scene_id == scene.id]
        for k, take in reversed(list(enumerate(own))):
            draft = " · draft" if take.is_draft else ""
            label = f"{take_label(n, scene.title, len(own) - k)} · {take.duration:.1f} s{draft}"
            found[f"take-{take.id}"] = (label, (take.id, None))
    for movie in cut.list_movies(db, me, project.id):
        final = "final" if movie.final else "draft cut"
        found[f"movie-{movie.id}"] = (
            f"{movie_label(movie.version)} · {final}",
            (None, movie.id),
        )
    return found


def _when(label: str, default: datetime, key: str) -> datetime:
    """A moment in UTC from a date and a time field."""
    cols = st.columns(2)
    day = cols[0].date_input(f"{label} (UTC date)", value=default.date(), key=f"{key}-day")
    at = cols[1].time_input(f"{label} (UTC time)", value=default.time().replace(second=0, microsecond=0),
                            key=f"{key}-time", step=timedelta(minutes=15))  # fmt: skip
    return datetime.combine(day if isinstance(day, date) else default.date(), at or time())


def _new_session(project: Project) -> None:
    candidates = _candidates(project)
    if not candidates:
        st.caption("Nothing to review yet: generate takes, or render the movie, first.")
        return
    now = utcnow().replace(second=0, microsecond=0)
    form = st.session_state.setdefault("new-session-form", 0)
    with st.form(f"new-session-{form}"):
        name = st.text_input(
            "Name", placeholder="Dailies, Tuesday", max_chars=review_sessions.MAX_NAME_CHARS
        )
        picked = st.multiselect(
            "Takes and versions, in the order to review them", list(candidates),
            format_func=lambda k: candidates[k][0], max_selections=MAX_ITEMS,
            placeholder="Pick them in the order the session plays them",
        )  # fmt: skip
        opens = _when("Opens", now, f"opens-{form}")
        closes = _when("Closes", now + timedelta(days=7), f"closes-{form}")
        passphrase = st.text_input(
            "Passphrase for guests (optional)", type="password",
            help=f"At least {review_sessions.MIN_PASSPHRASE_CHARS} characters. Guests type it "
            "before they see anything; members of the project are not asked.",
        )  # fmt: skip
        if st.form_submit_button("Create the session", type="primary", icon=":material/add:"):

            def made(_: object) -> str:
                st.session_state["new-session-form"] = form + 1
                return (f"Review session '{name.strip()}' created, and the team told in their "
                        "inbox: open it to make guest links")  # fmt: skip

            chosen = [candidates[k][1] for k in picked]
            act(partial(review_sessions.create_session, services().db, user(), project.id,
                        name, chosen, opens, closes, passphrase), made)  # fmt: skip


def _listing(project: Project) -> None:
    sessions = review_sessions.list_sessions(services().db, user(), project.id)
    if may(Role.editor):
        with st.expander("New review session", expanded=not sessions, icon=":material/add:"):
            _new_session(project)
    if not sessions:
        st.info("No review sessions yet. An editor sets one up: takes and versions in the "
                "order to review them, for the team and for guests.")  # fmt: skip
    for view in sessions:
        with st.container(border=True):
            cols = st.columns([5, 1], vertical_alignment="center")
            cols[0].markdown(f"**{plain(view.name)}**")
            cols[0].caption(plain(summary(view)))
            if cols[1].button("Open", key=f"open-session-{view.id}", icon=":material/play_arrow:"):
                st.query_params[OPENED] = str(view.id)
                st.rerun()


def _guest_address(link: LinkView) -> str:
    """The address a guest opens: this studio's, with the link's signed token."""
    here = urlsplit(st.context.url or "http://localhost:8501/")
    return f"{here.scheme}://{here.netloc}/?guest={link.token}"


def _links(view: ReviewSessionView) -> None:
    db, me = services().db, user()
    links = review_sessions.list_links(db, me, view.id)
    now = utcnow()
    for link in links:
        if link.revoked_at:
            state = f"revoked {link.revoked_at:%Y-%m-%d %H:%M} UTC"
        elif link.expires_at <= now:
            state = f"expired {link.expires_at:%Y-%m-%d %H:%M} UTC"
        else:
            state = f"works until {link.expires_at:%Y-%m-%d %H:%M} UTC"
        with st.container(border=True):
            st.markdown(plain(f"For {link.label} · {state} · {link.guests} guest(s) came in"))
            if not link.revoked_at and link.expires_at > now:
                st.code(_guest_address(link), language=None)
                if st.button("Revoke", key=f"revoke-{link.id}", icon=":material/link_off:"):
                    act(partial(review_sessions.revoke_link, db, me, link.id),
                        f"The link for {link.label} no longer works")  # fmt: skip
    if view.state == "closed":
        return
    form = st.session_state.setdefault("new-link-form", 0)
    with st.form(f"new-link-{form}", border=False):
        cols = st.columns([3, 2, 2], vertical_alignment="bottom")
        label = cols[0].text_input("For whom", placeholder="The client's team")
        days = cols[1].number_input(
            "Works for (days)", min_value=1, max_value=review_sessions.LONGEST.days, value=7
        )
        if cols[2].form_submit_button("Make a guest link", icon=":material/link:"):

            def made(_: object) -> str:
                st.session_state["new-link-form"] = form + 1
                return f"Guest link for {label.strip()} made: copy its address below"

            expires = utcnow() + timedelta(days=int(days))
            act(partial(review_sessions.add_link, db, me, view.id, label, expires), made)


def _order(view: ReviewSessionView, project: Project) -> None:
    candidates = _candidates(project)
    now_in = [f"take-{i.item.take_id}" if i.item.take_id else f"movie-{i.item.movie_id}"
              for i in view.items]  # fmt: skip
    with st.form(f"order-{view.id}", border=False):
        picked = st.multiselect(
            "Items, in order", list(candidates), default=[k for k in now_in if k in candidates],
            format_func=lambda k: candidates[k][0], max_selections=MAX_ITEMS,
        )  # fmt: skip
        st.caption("Remove an item and pick it again to move it to the end.")
        if st.form_submit_button("Save the order"):
            chosen = [candidates[k][1] for k in picked]
            act(partial(review_sessions.reorder, services().db, user(), view.id, chosen),
                "The session's items are saved in this order")  # fmt: skip


def _manage(view: ReviewSessionView, project: Project) -> None:
    """The editor's controls: guests, order, closing."""
    with st.container(border=True):
        st.markdown("**Guest links**")
        st.caption(
            "A guest link opens this session's items and nothing else. Guests give a name, "
            + ("type the passphrase, " if view.passphrase else "")
            + "comment and decide; they never spend."
        )
        _links(view)
    if view.state == "closed":
        return
    with st.expander("Change the items", icon=":material/reorder:"):
        _order(view, project)
    with st.popover("Close the session", icon=":material/lock:"):
        st.caption("Guest links stop working and the report is final.")
        if st.button("Close it now", type="primary", key=f"close-{view.id}"):

            def closed() -> None:
                review_sessions.close_session(services().db, user(), view.id)
                if view.live_since is not None:
                    end_room(view)

            act(closed, f"'{view.name}' is closed: its report is final")


def _opened(project: Project, session_id: int) -> None:
    view = attempt(lambda: review_sessions.open_session(services().db, user(), session_id))
    if view is not None and view.project_id != project.id:  # another project was opened
        view = None
    if st.button("All sessions", icon=":material/arrow_back:") or view is None:
        st.query_params.pop(OPENED, None)
        if view is not None:
            st.rerun()
        return
    st.subheader(plain(view.name))
    st.caption(plain(summary(view)))
    if view.state != "open":
        st.info(f"{STATES[view.state]}: guests cannot come in now. The team can still look.")
    if may(Role.editor):
        _manage(view, project)
    if not live_review(view, leads=may(Role.editor)):
        review_items(view)
    st.divider()
    report(view)


def render() -> None:
    st.title("Review sessions")
    project = open_project()
    if project is None:
        return
    opened = str(st.query_params.get(OPENED, ""))
    if opened.isdigit() and len(opened) <= 18:  # any id SQL holds
        _opened(project, int(opened))
    else:
        _listing(project)
