"""A review session's live review on the Sessions page and the guest's: an editor starts
it and presents, everyone else's player follows (``studio.live_view``), and a decision
taken as the group goes lands on the item in SQL and is told to the room at once."""

from __future__ import annotations

from functools import partial

import streamlit as st

from storage import decisions, review_sessions
from storage.decisions import WORDS
from storage.models import Verdict
from storage.review_sessions import ReviewSessionView
from studio.components.media import media_url
from studio.components.player import Source
from studio.live import LiveRoom
from studio.live_view import LiveItem, live_room
from studio.session_view import entry
from studio.ui import act, messages, services, user


def _room(view: ReviewSessionView) -> LiveRoom:
    return LiveRoom(services().jobs.queue, services().settings.redis_prefix, view.id)


def live_review(view: ReviewSessionView, leads: bool) -> bool:
    """The session's live review, when one is on and this person follows it (True: the
    page shows nothing else of the items). ``leads``: may start and end it (editors)."""
    db, me = services().db, user()
    if view.state != "open":
        return False
    if view.live_since is None:
        if leads and st.button("Start a live review", type="primary", icon=":material/co_present:",
                               help="You present: everyone's player follows yours."):  # fmt: skip

            def started() -> None:
                review_sessions.go_live(db, me, view.id)
                _room(view).start(me.id)

            act(started, "The live review has started: the team was told in their inbox")
        return False
    follows = st.toggle("Follow the live review", value=True, key=f"follow-{view.id}",
                        help="Off: go through the items on your own.")  # fmt: skip
    if leads:

        def ended() -> None:
            review_sessions.end_live(db, me, view.id)
            _room(view).end()

        if st.button("End the live review", icon=":material/stop_circle:"):
            act(ended, "The live review has ended")
    if not follows:
        return False
    items = [LiveItem(entry(i).label, [Source(media_url(i.media_key), entry(i).label)], i.item.fps)
             for i in view.items]  # fmt: skip
    room = _room(view)
    live_room(room, me.id, me.name, items, for_item=partial(_decide_live, view, room),
              key=f"live-{view.id}")  # fmt: skip
    return True


def _decide_live(view: ReviewSessionView, room: LiveRoom, index: int) -> None:
    """A decision on the item on screen, told to the room at once (it lands on the item
    in SQL first)."""
    messages("live")
    chosen = view.items[index]
    db, me = services().db, user()
    with st.form(f"live-decide-{view.id}-{index}", border=False, clear_on_submit=True):
        note = st.text_input(
            "Note", placeholder="What to change, or why (needed unless you approve)"
        )
        verdict = None
        with st.container(horizontal=True):
            for each, label, icon in ((Verdict.approved, "Approve", "check"),
                                      (Verdict.changes, "Request changes", "edit_note"),
                                      (Verdict.rejected, "Reject", "close")):  # fmt: skip
                if st.form_submit_button(label, icon=f":material/{icon}:"):
                    verdict = each
    if verdict is None:
        return
    said = f"{me.name}: {WORDS[verdict]} — {chosen.label}" + (f": {note}" if note else "")

    def decided() -> None:
        decisions.decide(db, me, chosen.item.take_id, chosen.item.movie_id, verdict, note)
        room.announce(said, index)

    act(decided, said, area="live")
