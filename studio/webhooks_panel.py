"""The owner's webhooks on the Members page: each address with its latest deliveries (what
was sent, how the receiver answered, when it is tried again), adding one (its secret shown
once) and deleting one."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import pandas as pd
import streamlit as st

from storage import webhooks
from storage.models import DeliveryStatus, Project
from storage.webhooks import EVENTS, Sent
from studio.ui import act, attempt, plain, services, user

# Events as the log says them; receivers read the names (docs/webhooks.md).
EVENT_WORDS = {
    "comment.added": "Comment",
    "comment.replied": "Reply",
    "decision.made": "Decision",
    "render.finished": "Render ready",
    "render.failed": "Render failed",
    "budget.warning": "Budget 80% used",
}


def webhooks_panel(project: Project) -> None:
    st.subheader("Webhooks")
    st.caption(
        "Tell another service (a chat, a tracker, your own server) of this project's news as "
        "it happens. Each call is a signed JSON POST; a receiver that fails is tried again "
        "for about ten hours."
    )
    _new_secret()
    db, me = services().db, user()
    for hook in webhooks.list_webhooks(db, me, project.id):
        with st.container(border=True):
            cols = st.columns([5, 1])
            cols[0].text(hook.url)  # as typed: never a link to click
            cols[0].caption(plain("Tells of " + ", ".join(EVENTS[e] for e in hook.events)))
            if cols[1].button("Delete", key=f"webhook-delete-{hook.id}", icon=":material/delete:"):
                act(partial(webhooks.delete_webhook, db, me, hook.id), "Webhook deleted")
            _log(webhooks.delivery_log(db, me, hook.id))
    _add(project)


def _log(sent: list[Sent]) -> None:
    if not sent:
        st.caption("Nothing sent yet.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Event": [EVENT_WORDS.get(d.event, d.event) for d in sent],
                "When (UTC)": [d.created_at for d in sent],
                "Status": [_status(d) for d in sent],
                "Attempts": [d.attempts for d in sent],
                "Answer": [str(d.status_code) if d.status_code else "" for d in sent],
                "Error": [d.error or "" for d in sent],
                "Next try (UTC)": [_when(d.next_attempt_at) if d.attempts else "" for d in sent],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={"When (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")},
    )


def _status(sent: Sent) -> str:
    if sent.status == DeliveryStatus.delivered:
        return "delivered"
    if sent.status == DeliveryStatus.failed:
        return "given up"
    return "failed, will retry" if sent.attempts else "waiting"


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S}" if at else ""


def _add(project: Project) -> None:
    form = st.session_state.setdefault("webhook-form", 0)  # a new key empties it once added
    with st.form(f"webhook-{form}"):
        st.markdown("**Add a webhook**")
        url = st.text_input("Webhook URL", placeholder="https://hooks.example.com/veogen")
        events = st.multiselect(
            "Events", list(EVENTS), default=list(EVENTS), format_func=lambda e: EVENTS[e]
        )
        added = st.form_submit_button("Add webhook", type="primary", icon=":material/add_link:")
    if added:  # a refusal is shown here, by the form; the new webhook above, at once
        db, private = services().db, services().settings.webhooks_allow_private
        made = attempt(partial(webhooks.add_webhook, db, user(), project.id, url, events, private))
        if made is not None:
            st.session_state["webhook-form"] = form + 1
            st.session_state["webhook-secret"] = made.secret
            st.rerun()


def _new_secret() -> None:
    """The secret of the webhook just added, this once: it is never shown again."""
    secret = st.session_state.pop("webhook-secret", None)
    if secret is None:
        return
    with st.container(border=True):
        st.markdown("**Webhook added. Its signing secret:**")
        st.code(secret, language=None)
        st.caption(
            "Copy it into the receiver now: it is not shown again. The receiver checks each "
            "call's X-VeoGen-Signature header with it; the Webhooks page of the studio's "
            "documentation shows how."
        )
