"""Decisions on takes and movie versions: approve, request changes or reject, with a note.
An item's latest decision is its state; the earlier ones are its history. Approving a take
makes it its scene's take in the movie. Reviewers and above decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import audit, session_scope
from storage.db import Database
from storage.inbox import tell
from storage.models import Decision, Job, Movie, Role, Scene, Take, User, Verdict
from storage.permissions import require
from storage.review_items import about, review_item
from storage.scenes import choose_take, ordered_scenes
from storage.validation import Checker
from storage.webhooks import announce, payload

MAX_NOTE_CHARS = 4000
WORDS = {
    Verdict.approved: "approved",
    Verdict.changes: "changes requested",
    Verdict.rejected: "rejected",
}


@dataclass(frozen=True)
class Said:
    """One decision as pages show it."""

    verdict: Verdict
    who: str
    note: str
    at: datetime


@dataclass(frozen=True)
class ReviewState:
    """Where a project's review stands: each item's latest verdict, and the sums."""

    takes: dict[int, Verdict]
    movies: dict[int, Verdict]
    scenes: int  # live scenes
    scenes_approved: int  # whose chosen take is approved
    cut: Verdict | None  # the newest version's, None before any


def decide(
    db: Database,
    actor: User,
    take_id: int | None,
    movie_id: int | None,
    verdict: Verdict | str,
    note: str = "",
    session_id: int | None = None,
) -> Decision:
    """Record a decision on a take or a version, taken in the review session
    ``session_id`` (None: elsewhere). Changes requested, or a rejection, say why in the
    note; an approved take becomes its scene's take in the movie."""
    with db.session() as s:
        item = review_item(s, actor, take_id, movie_id, Role.reviewer, "deciding")
        in_session = session_scope.session_of(s, actor, item, session_id)
        check = Checker({"decision": str(verdict), "note": note})
        chosen = Verdict(check.choice("decision", tuple(Verdict), Verdict.approved))
        text = check.text("note", limit=MAX_NOTE_CHARS, required=chosen != Verdict.approved)
        check.done()
        decision = Decision(
            project_id=item.project_id, take_id=item.take_id, movie_id=item.movie_id,
            user_id=actor.id, verdict=chosen, note=text, review_session_id=in_session,
        )  # fmt: skip
        s.add(decision)
        # a guest's approval is their word, not the team's choice of take for the movie
        if chosen == Verdict.approved and item.scene_id is not None and actor.guest_link_id is None:
            scene = s.get(Scene, item.scene_id)
            assert scene is not None  # review_item found the take's live scene
            if scene.selected_take_id != item.take_id:
                choose_take(scene, item.take_id)  # and its trims start again
                audit.record(s, actor, "take.selected", item.project_id, scene=scene.id,
                             take=item.take_id, by="approval")  # fmt: skip
        s.flush()
        said = f"{actor.name}: {WORDS[chosen]} — {item.label}" + (f": {text}" if text else "")
        tell(s, actor, [_maker(s, item.take_id, item.movie_id)], item.project_id, "decision",
             said, item.take_id, item.movie_id)  # fmt: skip
        announce(s, item.project_id, "decision.made", payload(
            actor, text, item.take_id, item.movie_id, verdict=chosen.value, on=item.label,
        ))  # fmt: skip
        audit.record(
            s, actor, f"decision.{chosen.value}", item.project_id, on=item.label, note=text
        )
        return decision


def _maker(s: Session, take_id: int | None, movie_id: int | None) -> int:
    """Who made the take (queued its job) or rendered the version."""
    if take_id is not None:
        made = s.scalar(select(Job.created_by).join(Take, Take.job_id == Job.id).where(
            Take.id == take_id))  # fmt: skip
        return int(made or 0)
    return int(s.scalar(select(Movie.created_by).where(Movie.id == movie_id)) or 0)


def history(
    db: Database, actor: User, take_id: int | None = None, movie_id: int | None = None
) -> list[Said]:
    """The item's decisions, newest first."""
    with db.session() as s:
        item = review_item(s, actor, take_id, movie_id, Role.viewer, "reading decisions")
        rows = s.execute(
            select(Decision, User.name)
            .join(User, User.id == Decision.user_id)
            .where(about(Decision, item))
            .order_by(Decision.id.desc())
        )
        return [Said(Verdict(d.verdict), name, d.note, d.created_at) for d, name in rows]


def require_approval(db: Database, actor: User, project_id: int, required: bool) -> None:
    """Make a final render of the project wait until every scene's take is approved (or
    not): the owner's rule, so an editor in a hurry cannot lift it."""
    with db.session() as s:
        project = require(s, actor, project_id, Role.owner, "setting what a final render needs")
        project.final_needs_approval = required
        audit.record(s, actor, "project.final_rule", project_id, approval_required=required)


def unapproved(s: Session, project_id: int, renderer: User) -> list[str]:
    """The scenes whose take in the movie is not approved ("2. Dusk"), in order, by
    someone other than ``renderer``: an editor's approval of their own cut does not count."""
    state = state_of(s, project_id, renderer.id)
    return [
        f"{n}. {scene.title}"
        for n, scene in enumerate(ordered_scenes(s, project_id), 1)
        if scene.selected_take_id is None
        or state.takes.get(scene.selected_take_id) != Verdict.approved
    ]


def review_state(db: Database, actor: User, project_id: int) -> ReviewState:
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "reading the review")
        return state_of(s, project_id)


def state_of(s: Session, project_id: int, ignoring: int | None = None) -> ReviewState:
    """The review as it stands, read in the caller's transaction (a final render asks),
    leaving out the decisions of the user ``ignoring`` names."""
    takes: dict[int, Verdict] = {}
    movies: dict[int, Verdict] = {}
    rows = s.execute(
        select(Decision.take_id, Decision.movie_id, Decision.verdict)
        .join(User, User.id == Decision.user_id)
        .where(Decision.project_id == project_id, Decision.user_id != (ignoring or 0),
               User.guest_link_id.is_(None))  # guests advise; the team's verdicts count
        .order_by(Decision.id)
    )  # fmt: skip
    for take_id, movie_id, verdict in rows:  # later decisions overwrite earlier ones
        if take_id is not None:
            takes[take_id] = Verdict(verdict)
        elif movie_id is not None:
            movies[movie_id] = Verdict(verdict)
    scenes = ordered_scenes(s, project_id)
    approved = sum(
        1 for sc in scenes if sc.selected_take_id and takes.get(sc.selected_take_id) == "approved"
    )
    newest = s.scalar(
        select(Movie.id).where(Movie.project_id == project_id).order_by(Movie.version.desc())
    )
    return ReviewState(takes, movies, len(scenes), approved, movies.get(newest) if newest else None)
