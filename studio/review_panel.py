"""One take or movie version under review: the player with its comments as marks on the
bar and their drawings, the comment form at the paused frame, the threads with replies,
and the decision. The Review page and review sessions both show an item this way; the
data layer decides who may comment and decide (members by role, a session's guests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import streamlit as st

from storage import comments, decisions
from storage.decisions import WORDS
from storage.errors import StudioError
from storage.models import Role, Verdict
from studio.components.media import media_url
from studio.components.player import Drawn, Mark, Source, review_player, timecode
from studio.ui import DRAFT_NOTE, act, may, needs, plain, services, user

LIVE_SECONDS = 1.0  # how soon others' comments appear


@dataclass(frozen=True)
class Entry:
    """One take or movie version as the page shows it."""

    take_id: int | None
    movie_id: int | None
    scene_id: int | None  # a take's
    label: str
    media_key: str
    fps: float
    frames: int
    draft: bool
    session_id: int | None = None  # the review session it is reviewed in (None: elsewhere)

    @property
    def key(self) -> str:
        return f"take-{self.take_id}" if self.take_id else f"movie-{self.movie_id}"


def frame_of(seconds: float, item: Entry) -> int:
    """The frame on screen (the player counts whole frames; past the end is the last)."""
    return min(int(seconds * item.fps + 1e-3), item.frames - 1)


def comment_form(item: Entry, frame: int, drawn: Drawn | None) -> None:
    """A comment at the frame the player is paused on, or over a range from it, with what
    was drawn on that frame."""
    if not may(Role.reviewer):
        needs(Role.reviewer, "commenting")
        return
    db, me = services().db, user()
    form = st.session_state.setdefault(f"comment-form-{item.key}", 0)
    with st.form(f"comment-{item.key}-{form}"):
        st.markdown(f"**Comment at frame {frame + 1}** ({timecode(frame / item.fps, item.fps)})")
        body = st.text_area(
            "Comment", placeholder="What should change here? @name tells a teammate.",
            label_visibility="collapsed",
        )  # fmt: skip
        end = st.number_input(
            "Until frame (optional, for a range)", min_value=0, value=0, step=1,
            help="Leave at 0 for a comment on this frame alone.",
        )  # fmt: skip
        shapes = drawn.shapes if drawn and drawn.frame == frame else None
        st.caption(
            f"With your drawing ({len(shapes)} shape(s)) on this frame."
            if shapes
            else "Draw on the paused frame with Pen, Arrow or Box to show what you mean."
        )
        if st.form_submit_button("Comment", type="primary", icon=":material/add_comment:"):

            def sent(_: object) -> str:
                st.session_state[f"comment-form-{item.key}"] = form + 1  # emptied once sent
                return f"Comment added at frame {frame + 1}"

            add = partial(comments.add_comment, db, me, item.take_id, item.movie_id, body,
                          frame, int(end) - 1 if end else None, shapes, item.session_id)  # fmt: skip
            act(add, sent)


def threads_of(item: Entry, threads: list[comments.Thread]) -> None:
    db, me = services().db, user()
    st.markdown(f"**Comments** ({len(threads)})")
    if not threads:
        st.caption("No comments yet.")
    for thread in threads:
        note = thread.comment
        with st.container(border=True):
            at = note.frame or 0
            span = f"frames {at + 1}–{note.end_frame + 1}" if note.end_frame else f"frame {at + 1}"
            state = f" · resolved by {note.resolved_by}" if note.resolved_by else ""
            when = timecode(at / item.fps, item.fps)
            st.markdown(plain(f"{note.author} · {span} · {when}{state}"))
            st.text(note.body)  # as typed: never Markdown or HTML
            if note.mentions:
                st.caption(plain(f"Mentions {', '.join(note.mentions)}"))
            for answer in thread.replies:
                st.caption(plain(f"↳ {answer.author}"))
                st.text(answer.body)
            with st.container(horizontal=True):
                if st.button(f"Show frame {at + 1}", key=f"seek-{note.id}",
                             icon=":material/play_arrow:"):  # fmt: skip
                    asked = st.session_state.get(f"review-seek-{item.key}", (0, 0))[1]
                    st.session_state[f"review-seek-{item.key}"] = (at / item.fps, asked + 1)
                    st.rerun()
                if may(Role.editor):
                    resolved = note.resolved_by is not None
                    if st.button("Reopen" if resolved else "Resolve", key=f"resolve-{note.id}"):
                        act(partial(comments.resolve, db, me, note.id, not resolved))
                if may(Role.reviewer) and st.button("Reply", key=f"reply-to-{note.id}"):
                    st.session_state[f"replying-{item.key}"] = note.id
            if st.session_state.get(f"replying-{item.key}") == note.id:
                _reply(item, note.id)


def _reply(item: Entry, comment_id: int) -> None:
    """One reply box, under the thread chosen: a box per thread made a long review slow."""
    form = st.session_state.setdefault(f"reply-form-{comment_id}", 0)
    with st.form(f"reply-{comment_id}-{form}", border=False):
        cols = st.columns([5, 1], vertical_alignment="bottom")
        text = cols[0].text_input("Reply", key=f"reply-text-{comment_id}-{form}",
                                  label_visibility="collapsed", placeholder="Reply")  # fmt: skip
        if cols[1].form_submit_button("Send"):

            def sent(_: object) -> str:
                st.session_state[f"reply-form-{comment_id}"] = form + 1
                st.session_state.pop(f"replying-{item.key}", None)
                return "Replied"

            answer = partial(comments.reply, services().db, user(), comment_id, text,
                             item.session_id)  # fmt: skip
            act(answer, sent)


def decide(item: Entry) -> None:
    db, me = services().db, user()
    said = decisions.history(db, me, item.take_id, item.movie_id)
    st.markdown("**Decision**")
    if said:
        latest = said[0]
        st.markdown(plain(f"{WORDS[latest.verdict].capitalize()} by {latest.who}"))
        st.caption(f"{latest.at:%Y-%m-%d %H:%M} UTC")
        if latest.note:
            st.text(latest.note)
    else:
        st.caption("No decision yet.")
    if not may(Role.reviewer):
        return
    form = st.session_state.setdefault(f"decide-form-{item.key}", 0)
    with st.form(f"decide-{item.key}-{form}"):
        note = st.text_area(
            "Note", placeholder="What to change, or why (needed unless you approve)"
        )
        chosen = None
        with st.container(horizontal=True):
            if st.form_submit_button("Approve", type="primary", icon=":material/check:"):
                chosen = Verdict.approved
            if st.form_submit_button("Request changes", icon=":material/edit_note:"):
                chosen = Verdict.changes
            if st.form_submit_button("Reject", icon=":material/close:"):
                chosen = Verdict.rejected
    if chosen is not None:
        verdict = chosen

        def decided(_: object) -> str:
            st.session_state[f"decide-form-{item.key}"] = form + 1
            chosen_words = " (it is now the scene's take in the movie)" if (
                verdict == Verdict.approved and item.take_id and me.guest_link_id is None
            ) else ""  # fmt: skip
            return f"{item.label.split(' · ')[0]}: {WORDS[verdict]}{chosen_words}"

        act(partial(decisions.decide, db, me, item.take_id, item.movie_id, verdict, note,
                    item.session_id), decided)  # fmt: skip
    if len(said) > 1:
        with st.expander(f"Earlier decisions ({len(said) - 1})"):
            for earlier in said[1:]:
                st.markdown(
                    plain(
                        f"{WORDS[earlier.verdict].capitalize()} by {earlier.who} · "
                        f"{earlier.at:%Y-%m-%d %H:%M} UTC"
                    )
                )
                if earlier.note:
                    st.text(earlier.note)


@st.fragment(run_every=LIVE_SECONDS)
def _live(item: Entry, shown: tuple[str, ...]) -> None:
    """Another reviewer's comment, reply or decision appears here within seconds: the page
    redraws when the item's review moved since it was drawn (a small query otherwise), or
    when the item is gone or no longer theirs (the page then says why)."""
    try:
        moved = comments.review_mark(services().db, user(), item.take_id, item.movie_id) != shown
    except StudioError:
        moved = True
    if moved:
        st.rerun(scope="app")


def item_review(
    item: Entry,
    compared: Entry | None = None,
    wipe: bool = False,
    beside: Callable[[int], None] | None = None,
) -> bool:
    """The item reviewed (``compared`` played in sync with it); ``beside`` adds to the
    decision's column, given how many comments there are. False: its file is missing."""
    db, me, media = services().db, user(), services().media
    played = [i for i in (item, compared) if i is not None]
    missing = [i.label for i in played if not media.exists(i.media_key)]
    if missing:
        st.error(f"{', '.join(missing)}: its video file is missing; it cannot be played")
        return False
    _live(item, comments.review_mark(db, me, item.take_id, item.movie_id))
    threads = comments.list_comments(db, me, item.take_id, item.movie_id)
    marks = [
        Mark(t.comment.frame or 0, t.comment.end_frame, t.comment.drawing,
             f"{t.comment.author}: {t.comment.body[:80]}")
        for t in threads
    ]  # fmt: skip
    seek, asked = st.session_state.get(f"review-seek-{item.key}", (None, 0))
    at, drawn = review_player(
        [Source(media_url(i.media_key), i.label) for i in played],
        key=f"review-player-{item.key}", fps=item.fps, marks=marks, seek=seek, asked=asked,
        cleared=st.session_state.get(f"comment-form-{item.key}", 0), wipe=wipe,
        pen=may(Role.reviewer),
    )  # fmt: skip
    if item.draft:
        st.caption(DRAFT_NOTE)
    frame = frame_of(at, item)
    left, right = st.columns([3, 2])
    with left:
        comment_form(item, frame, drawn)
        threads_of(item, threads)
    with right:
        decide(item)
        if beside is not None:
            beside(len(threads))
    return True
