"""The inbox in the sidebar of every page: mentions, replies, decisions on one's work, one's
renders and budgets running low; and what of it is e-mailed, each person's own choice."""

from __future__ import annotations

from functools import partial

import streamlit as st

from storage import email_prefs, inbox
from storage.email_prefs import MODE_WORDS
from storage.models import EmailMode, User
from studio.ui import act, plain, services


def inbox_menu(user: User) -> None:
    db = services().db
    new = inbox.unread(db, user)
    label = f"Inbox · {new} new" if new else "Inbox"
    with st.sidebar.popover(label, icon=":material/inbox:", width="stretch"):
        entries = inbox.inbox(db, user)
        if not entries:
            st.caption(
                "Mentions, replies, decisions on your work, your renders and budgets running "
                "low arrive here."
            )
        for entry in entries:
            fresh = "" if entry.read else "New · "
            st.caption(plain(f"{fresh}{entry.project} · {entry.at:%Y-%m-%d %H:%M} UTC"))
            st.text(entry.text)  # people's words: shown as text
        if new and st.button("Mark all read", key="inbox-read"):
            act(partial(inbox.mark_read, db, user))
        st.divider()
        _email_choice(user)


def _email_choice(user: User) -> None:
    db = services().db
    mode = email_prefs.email_mode(db, user)
    modes = list(EmailMode)
    chosen = st.selectbox(
        "E-mail me",
        modes,
        index=modes.index(mode),
        format_func=lambda m: MODE_WORDS[m],
        key="email-mode",
    )
    where = plain(user.email)
    if not services().settings.mails:
        st.caption(
            "This studio has no mail server set up, so it sends no e-mail for now; your "
            "choice counts once it has one."
        )
    elif mode == EmailMode.digest:
        hour = services().settings.email_digest_hour
        st.caption(f"To {where}, once a day at {hour:02d}:00 UTC, if anything is new.")
    elif mode != EmailMode.off:
        st.caption(f"To {where}, unless you read it here first.")
    if chosen != mode:
        del st.session_state["email-mode"]  # drawn again from what SQL holds, even if refused
        act(
            partial(email_prefs.set_email_mode, db, user, user.id, chosen),
            f"E-mail: {MODE_WORDS[chosen]}",
        )
