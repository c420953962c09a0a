"""A review session as its members and guests go through it: its items in the order set,
one at a time, each reviewed as on the Review page; and, for members, its report."""

from __future__ import annotations

import streamlit as st

from engine import frame_jpeg
from storage import review_sessions
from storage.review_sessions import ReviewSessionView, SessionItem
from studio.review_panel import Entry, item_review
from studio.session_report import STILL_HEIGHT, report_csv, report_html
from studio.ui import plain, services, user

STATES = {"scheduled": "Not open yet", "open": "Open", "closed": "Closed"}


def entry(item: SessionItem, session_id: int | None = None) -> Entry:
    """The item as the review panel shows it; what is said of it there is said in the
    session ``session_id`` (None: shown only)."""
    it = item.item
    draft = " · draft" if item.draft else ""
    return Entry(it.take_id, it.movie_id, it.scene_id, item.label + draft, item.media_key,
                 it.fps, it.frames, item.draft, session_id)  # fmt: skip


def summary(view: ReviewSessionView) -> str:
    """One line: its state, its window and its items."""
    until = view.closed_at or view.closes_at
    live = " · live now" if view.live_since and view.state == "open" else ""
    return (
        f"{STATES[view.state]}{live} · {view.opens_at:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} "
        f"UTC · {len(view.items)} item(s) · set up by {view.made_by}"
    )


def current(view: ReviewSessionView) -> SessionItem | None:
    """The item being reviewed, chosen with Previous / Next or from the list."""
    if not view.items:
        st.info("This session has no items left to review (their scenes were deleted).")
        return None
    key = f"session-{view.id}-at"
    count = len(view.items)
    at = min(max(st.session_state.get(key, 1), 1), count)
    with st.container(horizontal=True, vertical_alignment="bottom"):
        if st.button("Previous", icon=":material/skip_previous:", disabled=at == 1,
                     key=f"session-{view.id}-previous"):  # fmt: skip
            at -= 1
        if st.button("Next", icon=":material/skip_next:", disabled=at == count,
                     key=f"session-{view.id}-next"):  # fmt: skip
            at += 1
        picked = st.selectbox(
            "Item", range(1, count + 1), index=at - 1, key=f"session-{view.id}-pick-{at}",
            format_func=lambda n: f"{n} of {count} · {entry(view.items[n - 1]).label}",
        )  # fmt: skip
        at = int(picked or at)
    st.session_state[key] = at
    return view.items[at - 1]


def review_items(view: ReviewSessionView) -> None:
    """The item chosen, reviewed: comments at its frames and a decision."""
    chosen = current(view)
    if chosen is not None:
        item_review(entry(chosen, view.id))


def report(view: ReviewSessionView) -> None:
    """The report to download: each file made when its button is clicked."""
    db, me, media = services().db, user(), services().media

    def still(key: str, seconds: float) -> bytes | None:
        if not media.exists(key):  # its scene deleted for good since: the row stays
            return None
        with media.open(key) as video:
            return frame_jpeg(video, seconds, STILL_HEIGHT)

    def page() -> str:
        return report_html(review_sessions.said_in(db, me, view.id), still)

    def sheet() -> str:
        return report_csv(review_sessions.said_in(db, me, view.id).said)

    final = "" if view.state == "closed" else " (so far: the session is still open)"
    st.markdown("**Report**" + plain(final))
    st.caption(
        "Every comment, reply and decision made in the session, with the frame of each comment."
    )
    name = f"review-session-{view.id}"
    with st.container(horizontal=True):
        st.download_button("Report (HTML, with frames)", page, file_name=f"{name}.html",
                           mime="text/html", icon=":material/download:", on_click="ignore",
                           key=f"report-html-{view.id}")  # fmt: skip
        st.download_button("Report (CSV)", sheet, file_name=f"{name}.csv", mime="text/csv",
                           icon=":material/download:", on_click="ignore",
                           key=f"report-csv-{view.id}")  # fmt: skip
