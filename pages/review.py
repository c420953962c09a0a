"""Review: a project's takes (stacked per scene, newest on top) and movie versions, played
frame by frame, commented at a frame or over a range, and decided on: approved, changes
requested or rejected. Reviewers comment and decide, editors also resolve, viewers read."""

from __future__ import annotations

from functools import partial

import streamlit as st

from storage import cut, decisions, revisions
from storage import scenes as scene_store
from storage.contract import MOVIE_FPS
from storage.decisions import WORDS, ReviewState
from storage.models import Movie, Project, Role, Take, Verdict
from storage.review_exports import SUFFIXES, Kind, export_comments
from studio.planning_ui import diff_markdown
from studio.review_panel import Entry, item_review
from studio.ui import act, attempt, may, needs, open_project, plain, services, user

MOVIE = 0  # the stack of movie versions, beside the scenes' stacks


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
    other, wipe = _compared(item, others)

    def beside(count: int) -> None:
        if item.take_id is not None and _verdict(item, state) == Verdict.changes:
            _revise(project, item.take_id)
        _exports(item, count)

    if not item_review(item, other, wipe, beside):
        return
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
