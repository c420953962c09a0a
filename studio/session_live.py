"""A review session's live review on the Sessions page and the guest's: an editor starts
it and presents, everyone else's player follows (``studio.live_view``), and a decision
taken as the group goes lands on the item in SQL and is told to the room at once."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial

import redis
import streamlit as st

from storage import decisions, review_sessions
from storage.decisions import WORDS
from storage.errors import StudioError, Unreachable
from storage.models import Role, User, Verdict
from storage.review_sessions import ReviewSessionView, SessionItem
from studio.components.media import media_url
from studio.components.player import LiveItem, Source
from studio.live import LiveRoom
from studio.live_view import UNREACHABLE, live_room
from studio.session_view import entry
from studio.ui import act, may, plain, services, user


def _room(view: ReviewSessionView) -> LiveRoom:
    return LiveRoom(services().jobs.queue, services().settings.redis_prefix, view.id)


def live_review(view: ReviewSessionView, leads: bool) -> bool:
    """The session's live review, when one is on and this person follows it (True: the
    page shows nothing else of the items). ``leads``: may start and end it (editors)."""
    db, me = services().db, user()
    if view.state != "open" or not view.items:
        return False
    if view.live_since is None:
        if leads and st.button("Start a live review", type="primary", icon=":material/co_present:",
                               help="You present: everyone's player follows yours."):  # fmt: skip

            def started() -> bool:
                first = review_sessions.go_live(db, me, view.id)
                if first:  # another editor's start, a moment earlier, is the one that counts
                    _redis(lambda: _room(view).start(me.id))
                return first

            act(started, lambda first: "The live review has started: the team was told in "
                "their inbox" if first else "The live review was on already: you joined it")  # fmt: skip
        return False
    follows = st.toggle("Follow the live review", value=True, key=f"follow-{view.id}",
                        help="Off: go through the items on your own.")  # fmt: skip
    if leads:

        def ended() -> None:
            review_sessions.end_live(db, me, view.id)
            end_room(view)

        if st.button("End the live review", icon=":material/stop_circle:"):
            act(ended, "The live review has ended")
    if not follows:
        return False
    items = [LiveItem(_key(i), entry(i).label, [Source(media_url(i.media_key), entry(i).label)],
                      i.item.fps) for i in view.items]  # fmt: skip
    room, key = _room(view), f"live-{view.id}"
    live_room(
        room, me.id, me.name, items, for_item=partial(_still_in, me, view, room, key), key=key
    )
    if may(Role.reviewer):
        _decide_live(view, room, key)
    return True


def end_room(view: ReviewSessionView) -> None:
    """Everyone's room says the live review has ended (it ended, or its session closed)."""
    _redis(lambda: _room(view).end())


def _redis(action: Callable[[], object]) -> None:
    try:
        action()
    except (redis.RedisError, OSError) as exc:
        raise Unreachable(f"the live review's Redis cannot be reached ({exc})") from None


def _key(item: SessionItem) -> str:
    """An item's key in the room: its take or movie, which reordering the session keeps."""
    return f"take-{item.item.take_id}" if item.item.take_id else f"movie-{item.item.movie_id}"


def _still_in(me: User, view: ReviewSessionView, room: LiveRoom, key: str, _: str | None) -> None:
    """Each second in the room: someone who may no longer be here (a guest whose link was
    revoked or ran out, a member taken off the project) leaves it at once: their player's
    stream ends, and the page says why, as a page run would."""
    try:
        review_sessions.stay(services().db, me, view.id)
    except StudioError:
        viewer_pass = st.session_state.pop(f"{key}-pass", None)
        if viewer_pass:
            with contextlib.suppress(redis.RedisError, OSError):  # else it lapses in PASS_S
                room.dismiss(viewer_pass)
        st.rerun(scope="app")


def _decide_live(view: ReviewSessionView, room: LiveRoom, key: str) -> None:
    """A decision on the presenter's item when the button is clicked (the room's latest
    state says which), landed on it in SQL and told to the room at once. Outside the room's
    timed parts: a form those redraw every second could lose what is typed in it."""
    said = st.session_state.pop(f"{key}-said", None)
    if said:
        (st.error if said[0] == "error" else st.success)(plain(said[1]))
    with st.form(f"{key}-decide", border=False):
        st.markdown("**Decide on the item on screen**")
        st.text_input("Note", key=f"{key}-note",
                      placeholder="What to change, or why (needed unless you approve)")  # fmt: skip
        with st.container(horizontal=True):
            for verdict, label, icon in ((Verdict.approved, "Approve", "check"),
                                         (Verdict.changes, "Request changes", "edit_note"),
                                         (Verdict.rejected, "Reject", "close")):  # fmt: skip
                st.form_submit_button(label, icon=f":material/{icon}:", on_click=_decided,
                                      args=(view, room, verdict, key))  # fmt: skip


def _decided(view: ReviewSessionView, room: LiveRoom, verdict: Verdict, key: str) -> None:
    me, note = user(), str(st.session_state.get(f"{key}-note", ""))
    try:
        shown = room.latest()
    except (redis.RedisError, OSError):
        st.session_state[f"{key}-said"] = ("error", UNREACHABLE)
        return
    chosen = next((i for i in view.items if shown and _key(i) == shown.item), view.items[0])
    said = f"{me.name}: {WORDS[verdict]} — {chosen.label}" + (f": {note}" if note else "")
    try:
        decisions.decide(services().db, me, chosen.item.take_id, chosen.item.movie_id, verdict,
                         note, view.id)  # fmt: skip
    except StudioError as exc:
        st.session_state[f"{key}-said"] = ("error", exc.in_words())
        return
    try:
        room.announce(said, _key(chosen))
    except (redis.RedisError, OSError):
        said += " (recorded; the room could not be told just now)"
    st.session_state[f"{key}-said"] = ("success", said)
    st.session_state[f"{key}-note"] = ""
