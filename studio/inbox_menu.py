"""The inbox in the sidebar of every page: mentions, replies and decisions on one's work."""

from __future__ import annotations

from functools import partial

import streamlit as st

from storage import inbox
from storage.models import User
from studio.ui import act, plain, services


def inbox_menu(user: User) -> None:
    db = services().db
    new = inbox.unread(db, user)
    label = f"Inbox · {new} new" if new else "Inbox"
    with st.sidebar.popover(label, icon=":material/inbox:", width="stretch"):
        entries = inbox.inbox(db, user)
        if not entries:
            st.caption("Mentions, replies and decisions on your work arrive here.")
        for entry in entries:
            fresh = "" if entry.read else "New · "
            st.caption(plain(f"{fresh}{entry.project} · {entry.at:%Y-%m-%d %H:%M} UTC"))
            st.text(entry.text)  # people's words: shown as text
        if new and st.button("Mark all read", key="inbox-read"):
            act(partial(inbox.mark_read, db, user))
