"""The studio as a guest meets it: a link into one review session, their name (and the
session's passphrase, if it has one), then the session's items and nothing else."""

from __future__ import annotations

import streamlit as st

from storage import guests, review_sessions
from storage.errors import StudioError
from storage.models import Role, User
from studio.session_live import live_review
from studio.session_view import review_items, summary
from studio.ui import messages, plain, services

GUEST = "guest"  # the guest this browser came in as, with the token it came in by
PASS = "as"  # the address's part that lets the guest back in after a reload


def _came_in(token: str, asks_passphrase: bool) -> User | None:
    """The guest of this link in this browser, or the form that lets them in."""
    kept: tuple[str, User] | None = st.session_state.get(GUEST)
    if kept is not None and kept[0] == token:
        return kept[1]
    back = guests.returning(services().db, token, str(st.query_params.get(PASS, "")))
    if back is not None:  # the same browser, reloaded: the address keeps their pass
        st.session_state[GUEST] = (token, back)
        return back
    st.markdown("You were invited to review. Tell the team who you are.")
    with st.form("guest-name"):
        name = st.text_input("Your name", max_chars=guests.MAX_NAME_CHARS)
        phrase = st.text_input("Passphrase", type="password") if asks_passphrase else ""
        if not st.form_submit_button("Start reviewing", type="primary"):
            return None
    try:
        guest = guests.enter(services().db, token, name, phrase)
    except StudioError as exc:
        st.error(plain(exc.in_words()))
        return None
    st.session_state[GUEST] = (token, guest)
    st.query_params[PASS] = guests.pass_for(services().db, guest)
    st.rerun()  # drawn again without the form


def guest_page() -> None:
    token = str(st.query_params.get("guest", ""))
    db = services().db
    st.title("Review")
    messages()
    try:
        session_id, refusal, asks = guests.open_link(db, token)
    except StudioError as exc:
        st.error(plain(exc.in_words()))
        return
    if refusal:  # checked at every run: a revoked or expired link stops at once
        st.session_state.pop(GUEST, None)
        st.error(plain(refusal[0].upper() + refusal[1:] + "."))
        return
    guest = _came_in(token, asks)  # always a guest of this link: kept, or let in by it
    if guest is None:
        return
    st.session_state["user"], st.session_state["role"] = guest, Role.reviewer
    view = review_sessions.open_session(db, guest, session_id)
    st.subheader(plain(view.name))
    st.caption(plain(summary(view)))
    st.caption(plain(f"You are reviewing as {guest.name}: comment at a frame (pause the "
                     "player on it), reply, and approve or ask for changes."))  # fmt: skip
    if not live_review(view, leads=False):
        review_items(view)
