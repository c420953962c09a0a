"""From a request to a new take, and the rounds a scene went through.

A take with changes requested is made again from its own prompt with the requests folded
in: the decision's note and the comments on it still open. The scene keeps its prompt; the
new take carries the revised one, so each round shows what was asked and what came of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storage.comments import threads_of
from storage.db import Database
from storage.decisions import Said
from storage.errors import Conflict
from storage.models import Decision, Role, Scene, Take, User, Verdict
from storage.review_items import review_item
from storage.scenes import scene_for

MAX_PROMPT_CHARS = 4000


@dataclass(frozen=True)
class Revision:
    """What regenerating a take from its requests would ask for."""

    scene_id: int
    requests: list[str]  # "Rae: the boat should drift left"
    before: str  # the take's prompt
    after: str  # with the requests folded in


@dataclass(frozen=True)
class Round:
    """One take of a scene: what it cost, and what the team said of it."""

    number: int  # counted from 1, oldest first
    made_at: datetime
    cost_usd: float
    draft: bool
    prompt: str
    decisions: list[Said]  # oldest first


def revision(db: Database, actor: User, take_id: int) -> Revision:
    """The prompt for a new take answering the changes requested on this one; editors."""
    with db.session() as s:
        item = review_item(s, actor, take_id, None, Role.editor, "making a new take from notes")
        latest = s.execute(
            select(Decision, User.name)
            .join(User, User.id == Decision.user_id)
            .where(Decision.take_id == take_id)
            .order_by(Decision.id.desc())
            .limit(1)
        ).first()
        if latest is None or latest[0].verdict != Verdict.changes:
            raise Conflict(f"{item.label}: no changes are requested of it; nothing to revise")
        take = s.get(Take, take_id)
        assert take is not None and item.scene_id is not None  # review_item found it
        decision, who = latest
        requests = [f"{who}: {decision.note}"] + [
            f"{t.comment.author}: {t.comment.body}"
            for t in threads_of(s, item)
            if t.comment.resolved_by is None
        ]
        before = str(take.params.get("prompt", ""))
        return Revision(item.scene_id, requests, before, fold(before, requests))


def fold(prompt: str, requests: list[str]) -> str:
    """The prompt with each request after it, as direction for the next take (the names
    go: a model follows what was asked, not who asked it)."""
    asked = " ".join(_sentence(r.split(": ", 1)[-1]) for r in requests)
    return f"{prompt.rstrip()} Revision: {asked}"[:MAX_PROMPT_CHARS]


def _sentence(text: str) -> str:
    flat = " ".join(text.split())
    return flat if flat.endswith((".", "!", "?")) else f"{flat}."


def rounds(db: Database, actor: User, scene_id: int) -> list[Round]:
    """The scene's takes oldest first, each with its cost and the decisions on it."""
    with db.session() as s:
        scene: Scene = scene_for(s, actor, scene_id, Role.viewer, "reading the rounds")
        takes = list(s.scalars(select(Take).where(Take.scene_id == scene.id).order_by(Take.id)))
        said: dict[int, list[Said]] = {}
        rows = s.execute(
            select(Decision, User.name)
            .join(User, User.id == Decision.user_id)
            .where(Decision.take_id.in_([t.id for t in takes]))
            .order_by(Decision.id)
        )
        for decision, who in rows:
            said.setdefault(decision.take_id or 0, []).append(
                Said(Verdict(decision.verdict), who, decision.note, decision.created_at)
            )
        return [
            Round(n, t.created_at, t.cost_usd, t.is_draft, str(t.params.get("prompt", "")),
                  said.get(t.id, []))
            for n, t in enumerate(takes, 1)
        ]  # fmt: skip
