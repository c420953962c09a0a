"""A notice whatever page the user is on when their work ends: takes made, a movie
rendered, or a failure with its stage and reason."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from storage.jobs import UNCONFIRMED
from storage.models import JobKind, JobStatus, utcnow
from storage.notices import Ended, ended_since
from studio.ui import plain, services, user

CHECK_SECONDS = 3.0
LOOK_BACK = timedelta(minutes=2)
# Streamlit's own icon font, served by the studio (an emoji needs the viewer's fonts)
DONE, MOVIE, STOPPED, FAILED = (
    ":material/check_circle:",
    ":material/movie:",
    ":material/stop_circle:",
    ":material/error:",
)


def notice(ended: Ended) -> tuple[str, str]:
    """What the toast says, and its icon."""
    what = f"'{ended.scene}'" if ended.scene else "the movie"
    where = f" ({ended.project})"
    if ended.status == JobStatus.succeeded and ended.kind == JobKind.render:
        return f"Version {ended.made} of {ended.project} is ready on the Movie page", MOVIE
    if ended.status == JobStatus.succeeded:
        if ended.made == 0:
            return f"No new take of {what}{where}: {ended.reason or 'none was made'}", FAILED
        if ended.made == 1:
            return f"A new take of {what}{where}: see it on the Takes page", DONE
        return f"{ended.made} new takes of {what}{where}: compare them on the Takes page", DONE
    if ended.status == JobStatus.cancelled:
        return f"Work on {what}{where} was cancelled", STOPPED
    if ended.stage == UNCONFIRMED:
        return (
            f"Work on {what}{where} needs you: its request may have reached Google and been "
            "billed; decide on the Generate page whether to send it again",
            FAILED,
        )
    stage = f" at {ended.stage}" if ended.stage else ""
    return (
        f"Work on {what}{where} {ended.status.value}{stage}: {ended.reason or 'no reason given'}",
        FAILED,
    )


@st.fragment(run_every=CHECK_SECONDS)
def ended_work() -> None:
    """Toast each job of this user that ended since the last look (first: since the page
    opened). It looks back LOOK_BACK further, for a job stamped before the last one shown
    but committed after it (or by an engine whose clock runs behind), and tells each job
    once. What ended in the look-back before the page opened is taken as told: a reload
    or a new tab does not say it all again."""
    opened = "notices-since" not in st.session_state
    since = st.session_state.setdefault("notices-since", utcnow())
    told: dict[int, datetime] = st.session_state.setdefault("notices-told", {})
    ended = [
        e for e in ended_since(services().db, user(), since - LOOK_BACK) if e.job_id not in told
    ]
    for one in ended:
        if not opened:
            text, icon = notice(one)
            st.toast(plain(text), icon=icon, duration="long")
        told[one.job_id] = one.finished_at
    if ended:
        since = max(since, *(e.finished_at for e in ended))
        st.session_state["notices-since"] = since
    for job_id in [i for i, at in told.items() if at < since - LOOK_BACK]:
        del told[job_id]  # out of the look-back: never asked for again
