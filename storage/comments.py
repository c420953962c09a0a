"""Comments on takes and movie versions: at a frame or over a range of frames, with
replies, @mentions of the project's members and a drawing on the frame; resolved and
reopened by editors. Plain text: pages show it as text, never as Markdown or HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import audit, session_scope
from storage.db import Database
from storage.errors import NotFound
from storage.inbox import shortened, tell
from storage.models import Comment, Decision, Membership, Role, User, utcnow
from storage.review_items import Item, about, review_item
from storage.validation import Checker
from storage.webhooks import announce, payload

MAX_BODY_CHARS = 4000
MAX_SHAPES = 50
MAX_POINTS = 2000  # of a whole drawing: it goes to every open Review page
SHAPES = ("free", "arrow", "box")  # a box and an arrow are two points: from, to
SHAPE_WORDS = {"free": "a freehand line", "arrow": "an arrow", "box": "a box"}
COLOR = re.compile(r"#[0-9a-fA-F]{6}")
MENTION = re.compile(r"(?<![\w.])@([A-Za-z][\w.+-]*\w|[A-Za-z])")  # "@mara", "@mara.lin"


@dataclass(frozen=True)
class Note:
    """A comment or a reply as pages show it."""

    id: int
    author: str
    body: str
    frame: int | None
    end_frame: int | None
    drawing: list[dict[str, Any]] | None
    mentions: list[str]  # the names of the members mentioned
    resolved_by: str | None  # None while open
    created_at: datetime


@dataclass(frozen=True)
class Thread:
    comment: Note
    replies: list[Note]


def add_comment(
    db: Database,
    actor: User,
    take_id: int | None,
    movie_id: int | None,
    body: str,
    frame: Any,
    end_frame: Any = None,
    drawing: Any = None,
    session_id: int | None = None,
) -> Comment:
    """A comment at ``frame`` (over ``frame``..``end_frame`` for a range) of a take or a
    movie version, maybe with a drawing on that frame, said in the review session
    ``session_id`` (None: elsewhere); reviewers and above."""
    with db.session() as s:
        item = review_item(s, actor, take_id, movie_id, Role.reviewer, "commenting")
        in_session = session_scope.session_of(s, actor, item, session_id)
        # frames are stored from 0 and said from 1, as the player shows them
        check = Checker({"comment": body, "frame": _said(frame), "end frame": _said(end_frame)})
        text = check.text("comment", limit=MAX_BODY_CHARS, required=True)
        frames = item.frames
        at = check.integer("frame", low=1, high=frames, default=None, scope=item.label)
        end = check.integer("end frame", low=1, high=frames, default=None, scope=item.label)
        if at is None and not check.errors:
            check.fail("frame", "is required: the frame the comment is about")
        if at is not None and end is not None and at <= frames and end <= at:
            check.fail("end frame", f"{end} is not after the frame ({at}); leave it empty for one")
        shapes = clean_drawing(check, drawing)
        mentioned = _mentions(s, actor, item.project_id, text)
        check.done()
        at, end = (None if f is None else f - 1 for f in (at, end))
        comment = Comment(
            project_id=item.project_id, scene_id=item.scene_id, take_id=item.take_id,
            movie_id=item.movie_id, user_id=actor.id, body=text, frame=at, end_frame=end,
            drawing=shapes, mentions=[u.id for u in mentioned] or None,
            review_session_id=in_session,
        )  # fmt: skip
        s.add(comment)
        s.flush()
        said = f"{actor.name} mentioned you on {item.label}: {shortened(text)}"
        tell(s, actor, [u.id for u in mentioned], item.project_id, "mention", said,
             item.take_id, item.movie_id)  # fmt: skip
        announce(s, item.project_id, "comment.added", payload(
            actor, text, item.take_id, item.movie_id, comment_id=comment.id, frame=at,
            end_frame=end, mentions=[u.name for u in mentioned],
        ))  # fmt: skip
        audit.record(
            s, actor, "comment.added", item.project_id, comment=comment.id, on=item.label,
            frame=at, end_frame=end, drawing=bool(shapes),
        )  # fmt: skip
        return comment


def _said(frame: Any) -> Any:
    """A frame counted from 0 as people count it, from 1 (anything else as it came)."""
    return frame + 1 if isinstance(frame, int) and not isinstance(frame, bool) else frame


def reply(
    db: Database, actor: User, comment_id: int, body: str, session_id: int | None = None
) -> Comment:
    """A reply in the comment's thread, said in the review session ``session_id`` (None:
    elsewhere); reviewers and above."""
    with db.session() as s:
        parent = _thread(s, actor, comment_id, Role.reviewer, "replying")
        item = review_item(s, actor, parent.take_id, parent.movie_id, Role.reviewer, "replying")
        in_session = session_scope.session_of(s, actor, item, session_id)
        check = Checker({"reply": body})
        text = check.text("reply", limit=MAX_BODY_CHARS, required=True)
        mentioned = _mentions(s, actor, parent.project_id, text)
        check.done()
        answer = Comment(
            project_id=parent.project_id, scene_id=parent.scene_id, take_id=parent.take_id,
            movie_id=parent.movie_id, parent_id=parent.id, user_id=actor.id, body=text,
            mentions=[u.id for u in mentioned] or None, review_session_id=in_session,
        )  # fmt: skip
        s.add(answer)
        s.flush()
        thread = s.scalars(select(Comment.user_id).where(Comment.parent_id == parent.id))
        told = [parent.user_id, *thread, *(u.id for u in mentioned)]
        said = f"{actor.name} replied on {item.label}: {shortened(text)}"
        tell(s, actor, told, parent.project_id, "reply", said, item.take_id, item.movie_id)
        announce(s, parent.project_id, "comment.replied", payload(
            actor, text, item.take_id, item.movie_id, comment_id=answer.id, reply_to=parent.id,
            mentions=[u.name for u in mentioned],
        ))  # fmt: skip
        audit.record(s, actor, "comment.replied", parent.project_id, comment=parent.id)
        return answer


def resolve(db: Database, actor: User, comment_id: int, resolved: bool) -> Comment:
    """Mark a comment resolved, or open it again; editors and above."""
    doing = "resolving comments" if resolved else "reopening comments"
    with db.session() as s:
        comment = _thread(s, actor, comment_id, Role.editor, doing)
        comment.resolved_at = utcnow() if resolved else None
        comment.resolved_by = actor.id if resolved else None
        action = "comment.resolved" if resolved else "comment.reopened"
        audit.record(s, actor, action, comment.project_id, comment=comment.id)
        return comment


def list_comments(
    db: Database, actor: User, take_id: int | None = None, movie_id: int | None = None
) -> list[Thread]:
    """The item's comments in the order they play (by frame, then as written), each with
    its replies in the order written."""
    with db.session() as s:
        item = review_item(s, actor, take_id, movie_id, Role.viewer, "reading comments")
        return threads_of(s, item)


def review_mark(
    db: Database, actor: User, take_id: int | None = None, movie_id: int | None = None
) -> tuple[str, ...]:
    """What changes whenever anyone comments, replies, resolves or decides on the item: a
    page showing it polls this, and redraws only when it moved."""
    with db.session() as s:
        item = review_item(s, actor, take_id, movie_id, Role.viewer, "reading comments")
        on_comment = about(Comment, item)
        on_decision = about(Decision, item)
        said = s.execute(
            select(
                func.count(),
                func.max(Comment.id),
                func.count(Comment.resolved_at),
                func.max(Comment.resolved_at),  # a resolve and a reopen in one second
            ).where(on_comment)
        ).one()
        decided = s.execute(select(func.count(), func.max(Decision.id)).where(on_decision)).one()
        return tuple(str(x) for x in (*said, *decided))


def threads_of(s: Session, item: Item) -> list[Thread]:
    rows = list(s.scalars(select(Comment).where(about(Comment, item)).order_by(Comment.id)))
    ids = {c.user_id for c in rows} | {c.resolved_by for c in rows if c.resolved_by}
    ids |= {i for c in rows for i in c.mentions or []}
    names = {i: n for i, n in s.execute(select(User.id, User.name).where(User.id.in_(ids)))}
    replies: dict[int, list[Note]] = {}
    for row in rows:
        if row.parent_id is not None:
            replies.setdefault(row.parent_id, []).append(_note(row, names))
    heads = sorted((c for c in rows if c.parent_id is None), key=lambda c: (c.frame or 0, c.id))
    return [Thread(_note(c, names), replies.get(c.id, [])) for c in heads]


def _note(row: Comment, names: dict[int, str]) -> Note:
    return Note(
        row.id, names.get(row.user_id, "someone"), row.body, row.frame,
        row.end_frame, row.drawing, [names.get(i, "someone") for i in row.mentions or []],
        names.get(row.resolved_by, "someone") if row.resolved_by else None, row.created_at,
    )  # fmt: skip


def _thread(s: Session, actor: User, comment_id: int, minimum: Role, doing: str) -> Comment:
    """A comment that starts a thread (a reply's thread is its comment's)."""
    comment = s.get(Comment, comment_id)
    unknown = NotFound(f"comment {comment_id}: no such comment")
    if comment is None:
        raise unknown
    try:  # the gate of its take or version: a guest of its session passes too
        review_item(s, actor, comment.take_id, comment.movie_id, minimum, doing)
    except NotFound:
        raise unknown from None
    if comment.parent_id is not None:
        parent = s.get(Comment, comment.parent_id)
        assert parent is not None  # replies go with their comment
        return parent
    return comment


def _mentions(s: Session, actor: User, project_id: int, text: str) -> list[User]:
    """The members an "@name" names: the part of their e-mail before its "@", or their
    first name. An "@word" that names nobody on the team is just text ("shot @2x")."""
    said = dict.fromkeys(m.lower() for m in MENTION.findall(text))
    if not said or actor.guest_link_id is not None:  # a guest may not find out who is on the team
        return []
    team = list(
        s.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.project_id == project_id)
        )
    )

    def handles(user: User) -> set[str]:
        first = user.name.split()[0].lower() if user.name.split() else ""
        return {user.email.split("@")[0], first} - {""}

    return [u for u in team if said.keys() & handles(u)]


def clean_drawing(check: Checker, value: Any) -> list[dict[str, Any]] | None:
    """Shapes drawn on the frame, coordinates from 0 to 1 across and down the picture."""
    if value in (None, []):
        return None
    if not isinstance(value, list) or len(value) > MAX_SHAPES:
        check.fail("drawing", f"must be a list of at most {MAX_SHAPES} shapes")
        return None
    shapes, total = [], 0
    for number, shape in enumerate(value, 1):
        name = f"drawing shape {number}"
        if not isinstance(shape, dict) or shape.get("kind") not in SHAPES:
            check.fail(name, f"must be one of: {', '.join(SHAPES)}")
            continue
        kind, points, color = shape["kind"], shape.get("points"), shape.get("color", "#ff3b30")
        wanted = (2, MAX_POINTS) if kind == "free" else (2, 2)
        if not _points(points) or not wanted[0] <= len(points) <= wanted[1]:
            many = "2 points" if kind != "free" else f"2 to {MAX_POINTS} points"
            check.fail(name, f"{SHAPE_WORDS[kind]} needs {many}, each [x, y] from 0 to 1")
            continue
        total += len(points)
        if not isinstance(color, str) or not COLOR.fullmatch(color):
            check.fail(name, f"color {color!r} is not #rrggbb")
            continue
        shapes.append({"kind": kind, "points": [[round(x, 3), round(y, 3)] for x, y in points],
                       "color": color})  # fmt: skip
    if total > MAX_POINTS:
        check.fail("drawing", f"has {total} points; at most {MAX_POINTS} in all")
    return shapes or None


def _points(points: Any) -> TypeGuard[list[list[float]]]:
    return isinstance(points, list) and all(
        isinstance(p, list | tuple)
        and len(p) == 2
        and all(isinstance(c, int | float) and not isinstance(c, bool) and 0 <= c <= 1 for c in p)
        for p in points
    )
