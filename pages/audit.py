"""Audit: who did what, when, to which project. Owners read their projects' history,
admins everything (sign-ins and user changes too); filtered, and exported as CSV."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from storage import audit
from storage.audit import ACTIONS
from studio.ui import attempt, services, user

ALL = 0  # the "everything" choice of a filter


def render() -> None:
    st.title("Audit")
    db, me = services().db, user()
    st.caption(
        "Everything that happened at the studio: sign-ins, users and every project."
        if me.is_admin
        else "What happened in the projects you own: the team, generations, renders, deletes."
    )
    choices = audit.audit_choices(db, me)
    cols = st.columns(3)
    project = cols[0].selectbox(
        "Project", [ALL, *choices.projects], format_func=lambda p: choices.projects.get(p, "All")
    )
    person = cols[1].selectbox(
        "Who", [ALL, *choices.users], format_func=lambda u: choices.users.get(u, "Anyone")
    )
    action = cols[2].selectbox(
        "Action", ["", *choices.actions], format_func=lambda a: ACTIONS.get(a, a) or "Any"
    )
    entries = attempt(
        lambda: audit.find_events(db, me, project or None, person or None, action or None)
    )
    if entries is None:
        return
    if not entries:
        st.info(
            "Nothing to show yet: create a project, or clear a filter."
            if choices.projects or me.is_admin
            else "You own no project yet: the audit shows what happens in the projects you own."
        )
        return
    shown = len(entries)
    capped = " (the latest; filter to see older ones)" if shown == audit.MAX_EVENTS else ""
    st.caption(f"{shown:,} event(s){capped}, newest first. Times are UTC.")
    st.dataframe(
        pd.DataFrame(
            {
                "When (UTC)": [e.at for e in entries],
                "Who": [e.who for e in entries],
                "Action": [e.action for e in entries],
                "Project": [e.project for e in entries],
                "Details": [e.details for e in entries],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={"When (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")},
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    st.download_button(
        "Download CSV",
        audit.events_csv(entries),
        file_name=f"veogen-audit-{stamp}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
