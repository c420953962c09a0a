"""Each person's inbox: what the team's work told them (a mention, a reply in a thread
they are in, a decision on a take they made, a render of theirs that ended, a budget
nearly spent), read or not. Written in the transaction of what it tells of, so nobody
hears of a comment that was refused."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import InboxEntry, Project, User, utcnow

SHOWN = 50  # the newest, on the inbox


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    text: str
    project: str
    project_id: int | None
    take_id: int | None
    movie_id: int | None
    at: datetime
    read: bool


def shortened(text: str, limit: int = 120) -> str:
    """Someone's words on one line, cut at ``limit`` characters, for a line that tells of them."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def tell(
    s: Session,
    actor: User | None,
    people: Iterable[int],
    project_id: int,
    kind: str,
    text: str,
    take_id: int | None = None,
    movie_id: int | None = None,
) -> None:
    """Put ``text`` in the inbox of each of ``people`` but the one who did it (``actor``
    None: nobody did, the studio tells of it: a render ended, a budget ran low)."""
    for user_id in dict.fromkeys(people):
        if actor is None or user_id != actor.id:
            s.add(InboxEntry(user_id=user_id, project_id=project_id, kind=kind, text=text,
                             take_id=take_id, movie_id=movie_id))  # fmt: skip


def inbox(db: Database, actor: User) -> list[Entry]:
    """The newest entries of the actor's own inbox (nobody reads another's)."""
    with db.session() as s:
        rows = s.execute(
            select(InboxEntry, Project.name)
            .outerjoin(Project, Project.id == InboxEntry.project_id)
            .where(InboxEntry.user_id == actor.id)
            .order_by(InboxEntry.id.desc())
            .limit(SHOWN)
        )
        return [
            Entry(e.id, e.kind, e.text, name or "", e.project_id, e.take_id, e.movie_id,
                  e.created_at, e.read_at is not None)
            for e, name in rows
        ]  # fmt: skip


def unread(db: Database, actor: User) -> int:
    with db.session() as s:
        return int(
            s.scalar(
                select(func.count()).where(
                    InboxEntry.user_id == actor.id, InboxEntry.read_at.is_(None)
                )
            )
            or 0
        )


def mark_read(db: Database, actor: User, entry_ids: list[int] | None = None) -> int:
    """Mark the actor's entries read (all of them when ``entry_ids`` is None); another's
    are never touched. Says how many changed."""
    with db.session() as s:
        query = update(InboxEntry).where(
            InboxEntry.user_id == actor.id, InboxEntry.read_at.is_(None)
        )
        if entry_ids is not None:
            query = query.where(InboxEntry.id.in_(entry_ids))
        return int(s.execute(query.values(read_at=utcnow())).rowcount or 0)  # type: ignore[attr-defined]
