"""Review: a project's takes (stacked per scene, newest on top) and movie versions, played
frame by frame, commented at a frame or over a range, and decided on: approved, changes
requested or rejected. Reviewers comment and decide, editors also resolve, viewers read."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import streamlit as st

from storage import comments, cut, decisions, revisions
from storage import scenes as scene_store
from storage.contract import MOVIE_FPS
from storage.decisions import WORDS, ReviewState
from storage.errors import StudioError
from storage.models import Movie, Project, Role, Take, Verdict
from storage.review_exports import SUFFIXES, Kind, export_comments
from studio.components.media import media_url
from studio.components.player import Drawn, Mark, Source, review_player, timecode
from studio.planning_ui import diff_markdown
from studio.ui import DRAFT_NOTE, act, attempt, may, needs, open_project, plain, services, user

MOVIE = 0  # the stack of movie versions, beside the scenes' stacks
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

    @property
    def key(self) -> str:
        return f"take-{self.take_id}" if self.take_id else f"movie-{self.movie_id}"


def _stacks(project: Project) -> tuple[dict[int, str], dict[int, list[Entry]]]:
    """Each scene's takes (newest on top) and the movie's versions, by stack."""
    db, me = services().db, user()
    scenes = scene_store.list_scenes(db, me, project.id)
    takes = scene_store.list_takes(db, me, project.id)  # newest first within a scene
    names = {sc.id: f"{n}. {sc.title}" for n, sc in enumerate(scenes, 1)}
    stacks: dict[int, list[Entry]] = {}
    for scene in scenes:  # numbered oldest first, as takes are counted; newest on top
        own = [t for t in takes if t.scene_id == scene.id]
        stacks[scene.id] = [_take_item(t, len(own) - n) for n, t in enumerate(own)]
    movies = cut.list_movies(db, me, project.id)
    names[MOVIE] = "The movie"
    stacks[MOVIE] = [_movie_item(m) for m in movies]
    return names, stacks


def _take_item(take: Take, number: int) -> Entry:
    draft = " · draft" if take.is_draft else ""
    return Entry(take.id, None, take.scene_id, f"Take {number} · {take.duration:.1f} s{draft}",
                 take.media_key, take.fps, round(take.duration * take.fps), take.is_draft)  # fmt: skip


def _movie_item(movie: Movie) -> Entry:
    final = "final" if movie.final else "draft cut"
    return Entry(None, movie.id, None, f"Version {movie.version} · {final} · {movie.duration:.1f} s",
                 movie.media_key, MOVIE_FPS, round(movie.duration * MOVIE_FPS), False)  # fmt: skip


def _state_words(state: ReviewState) -> str:
    cut_words = WORDS[state.cut] if state.cut else "not reviewed yet"
    return f"{state.scenes_approved} of {state.scenes} scene(s) approved · the cut: {cut_words}"


def _verdict(item: Entry, state: ReviewState) -> Verdict | None:
    if item.take_id is not None:
        return state.takes.get(item.take_id)
    return state.movies.get(item.movie_id or 0)


def _pick(project: Project, names: dict[int, str], stacks: dict[int, list[Entry]],
          state: ReviewState) -> tuple[Entry, list[Entry]] | None:  # fmt: skip
    """The stack (a scene, or the movie), then the item in it: newest on top."""
    key = f"review-stack-{project.id}"
    if st.session_state.get(key) not in stacks:
        st.session_state[key] = next((s for s, items in stacks.items() if items), MOVIE)
    cols = st.columns(2)
    stack = cols[0].selectbox(
        "Scene or movie", list(stacks), key=key,
        format_func=lambda s: f"{names[s]} ({len(stacks[s])})",
    )  # fmt: skip
    items = stacks[stack]
    if not items:
        cols[1].caption("Nothing to review here yet: generate takes, or render the movie.")
        return None
    by_key = {i.key: i for i in items}

    def label(k: str) -> str:
        said = _verdict(by_key[k], state)
        return by_key[k].label + (f" · {WORDS[said]}" if said else "")

    picked = cols[1].selectbox("Take" if stack != MOVIE else "Version", list(by_key),
                               format_func=label, key=f"review-item-{project.id}-{stack}")  # fmt: skip
    return by_key[picked], [i for i in items if i.key != picked]


def _compared(item: Entry, others: list[Entry]) -> tuple[Entry | None, bool]:
    """Another item of the same stack to play in sync with it, beside it or under a wipe."""
    if not others:
        return None, False
    by_key = {i.key: i for i in others}
    cols = st.columns([3, 2])
    other = cols[0].selectbox(
        "Compare with", [None, *by_key], format_func=lambda k: by_key[k].label if k else "Nothing",
        key=f"review-compare-{item.key}",
    )  # fmt: skip
    wipe = other is not None and cols[1].radio(
        "Compare", ["Side by side", "Wipe"], horizontal=True, key=f"review-wipe-{item.key}",
    ) == "Wipe"  # fmt: skip
    return (by_key[other] if other else None), wipe


def _frame_of(seconds: float, item: Entry) -> int:
    """The frame on screen (the player counts whole frames; past the end is the last)."""
    return min(int(seconds * item.fps + 1e-3), item.frames - 1)


def _comment_form(item: Entry, frame: int, drawn: Drawn | None) -> None:
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
                          frame, int(end) - 1 if end else None, shapes)  # fmt: skip
            act(add, sent)


def _threads(item: Entry, threads: list[comments.Thread]) -> None:
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

            act(partial(comments.reply, services().db, user(), comment_id, text), sent)


def _decide(item: Entry) -> None:
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
                verdict == Verdict.approved and item.take_id) else ""  # fmt: skip
            return f"{item.label.split(' · ')[0]}: {WORDS[verdict]}{chosen_words}"

        act(partial(decisions.decide, db, me, item.take_id, item.movie_id, verdict, note), decided)
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


def render() -> None:
    st.title("Review")
    project = open_project()
    if project is None:
        return
    db, me = services().db, user()
    state = decisions.review_state(db, me, project.id)
    st.caption(plain(_state_words(state)))
    if may(Role.owner):
        # no key: the toggle shows the rule as saved, and only a click changes it
        rule = st.toggle(
            "A final render needs every scene's take approved",
            value=project.final_needs_approval,
        )
        if rule != project.final_needs_approval:
            said = "Final renders now need approvals" if rule else "Final renders no longer do"
            act(partial(decisions.require_approval, db, me, project.id, rule), said)
    names, stacks = _stacks(project)
    picked = _pick(project, names, stacks, state)
    if picked is None:
        return
    item, others = picked
    media = services().media
    other, wipe = _compared(item, others)
    played = [i for i in (item, other) if i is not None]
    missing = [i.label for i in played if not media.exists(i.media_key)]
    if missing:
        st.error(f"{', '.join(missing)}: its video file is missing; it cannot be played")
        return
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
    frame = _frame_of(at, item)
    left, right = st.columns([3, 2])
    with left:
        _comment_form(item, frame, drawn)
        _threads(item, threads)
    with right:
        _decide(item)
        if item.take_id is not None and _verdict(item, state) == Verdict.changes:
            _revise(project, item.take_id)
        _exports(item, len(threads))
    if item.take_id is not None:
        assert item.scene_id is not None  # a take's
        _rounds(item.scene_id)


def _revise(project: Project, take_id: int) -> None:
    """A new take with the requests folded into the prompt: the change and the cost first."""
    if not may(Role.editor):
        needs(Role.editor, "making a new take from the notes")
        return
    db, me = services().db, user()
    asked = attempt(lambda: revisions.revision(db, me, take_id))
    if asked is None:
        return
    with st.container(border=True):
        st.markdown("**A new take from the notes**")
        for request in asked.requests:
            st.text(request)
        st.markdown(diff_markdown(asked.before, asked.after))
        plan = attempt(lambda: services().jobs.plan(me, project.id, [asked.scene_id]))
        if plan is None:
            return
        cost = f"${plan.estimate:,.2f}" if plan.billed else "free draft"
        if st.button(f"Make the new take · {cost}", type="primary", key=f"revise-{take_id}"):
            once = {asked.scene_id: {"prompt": asked.after}}
            make = partial(services().jobs.generate, me, project.id, [asked.scene_id], once=once)
            act(make, "Queued a new take with the requested changes")


def _rounds(scene_id: int) -> None:
    """The scene's takes in the order they were made: cost, and who asked for what."""
    made = revisions.rounds(services().db, user(), scene_id)
    spent = sum(r.cost_usd for r in made)
    with st.expander(f"Rounds of this scene: {len(made)} take(s), ${spent:,.2f}"):
        for each in made:
            draft = " · draft" if each.draft else ""
            st.markdown(plain(
                f"Take {each.number} · ${each.cost_usd:,.2f}{draft} · "
                f"{each.made_at:%Y-%m-%d %H:%M} UTC"
            ))  # fmt: skip
            st.caption(plain(each.prompt))
            for said in each.decisions:
                st.text(f"{WORDS[said.verdict].capitalize()} by {said.who}"
                        + (f": {said.note}" if said.note else ""))  # fmt: skip


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


def _exports(item: Entry, count: int) -> None:
    """The comments for an editor's tools: each file made when its button is clicked."""
    if not count:
        return
    st.markdown("**Export the comments**")
    db, media, me = services().db, services().media, user()
    formats: tuple[tuple[Kind, str, str], ...] = (
        ("csv", "CSV", "text/csv"), ("edl", "EDL markers (Resolve)", "text/plain"),
        ("otio", "OpenTimelineIO markers", "application/json"),
    )  # fmt: skip

    def made(kind: Kind) -> str:
        return export_comments(db, media, me, item.take_id, item.movie_id, kind)

    with st.container(horizontal=True):
        for kind, label, mime in formats:
            st.download_button(
                label, partial(made, kind), file_name=f"{item.key}-{SUFFIXES[kind]}",
                mime=mime, key=f"export-{kind}-{item.key}", icon=":material/download:",
                on_click="ignore",  # a rerun would retire the file before it is fetched
            )  # fmt: skip
