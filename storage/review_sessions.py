"""Review sessions: takes and movie versions reviewed together, in the order an editor
set, open in a window, maybe behind a passphrase (asked of guests); guest links into one
session; and, once it closes, its report of every decision and comment made in it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage import audit, guests
from storage.accounts import hasher
from storage.contract import MOVIE_FPS
from storage.db import Database
from storage.decisions import WORDS
from storage.errors import NotFound, PermissionDenied
from storage.inbox import tell
from storage.models import (
    Comment,
    Decision,
    GuestLink,
    Membership,
    Movie,
    ReviewSession,
    ReviewSessionItem,
    Role,
    Scene,
    Take,
    User,
    Verdict,
    utcnow,
)
from storage.permissions import require
from storage.review_items import Item, review_item
from storage.scenes import ordered_scenes
from storage.validation import Checker

MAX_ITEMS = 100
MAX_NAME_CHARS = 120
MIN_PASSPHRASE_CHARS = 6
MAX_PASSPHRASE_CHARS = 200
LONGEST = timedelta(days=90)  # a session's window, and a guest link's life
Picked = tuple[int | None, int | None]  # (take id, movie id): one of them


@dataclass(frozen=True)
class SessionItem:
    position: int  # from 1
    item: Item
    media_key: str
    draft: bool
    label: str  # "2. Dusk · take 1", as the Review page counts scenes and takes


def take_label(scene_number: int, scene_title: str, take_number: int) -> str:
    return f"{scene_number}. {scene_title} · take {take_number}"


def movie_label(version: int) -> str:
    return f"The movie · version {version}"


@dataclass(frozen=True)
class ReviewSessionView:
    id: int
    project_id: int
    name: str
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    live_since: datetime | None
    passphrase: bool  # guests are asked for one
    made_by: str
    items: list[SessionItem]

    @property
    def state(self) -> str:
        """'scheduled', 'open' or 'closed', by the clock of this moment."""
        return guests.window_state(self.opens_at, self.closes_at, self.closed_at, utcnow())


@dataclass(frozen=True)
class LinkView:
    id: int
    label: str
    token: str
    expires_at: datetime
    revoked_at: datetime | None
    guests: int  # how many came in through it


def create_session(
    db: Database,
    actor: User,
    project_id: int,
    name: str,
    picked: list[Picked],
    opens_at: datetime,
    closes_at: datetime,
    passphrase: str = "",
) -> ReviewSession:
    """A session of the takes and versions picked, in that order; editors and above. The
    project's team is told in their inbox."""
    with db.session() as s:
        require(s, actor, project_id, Role.editor, "making a review session")
        check = Checker({"name": name, "passphrase": passphrase})
        shown = check.text("name", limit=MAX_NAME_CHARS, required=True)
        _window(check, opens_at, closes_at)
        secret = check.text("passphrase", limit=MAX_PASSPHRASE_CHARS)
        if secret and len(secret) < MIN_PASSPHRASE_CHARS:
            check.fail(
                "passphrase", f"must be at least {MIN_PASSPHRASE_CHARS} characters, or empty"
            )
        items = _items(s, actor, check, project_id, picked)
        check.done()
        session = ReviewSession(
            project_id=project_id, name=shown, opens_at=opens_at, closes_at=closes_at,
            passphrase_hash=hasher.hash(secret) if secret else None, created_by=actor.id,
        )  # fmt: skip
        s.add(session)
        s.flush()
        _place(s, session.id, items)
        when = "now" if opens_at <= utcnow() else f"at {opens_at:%Y-%m-%d %H:%M} UTC"
        said = (
            f"{actor.name} set up the review session '{shown}' ({len(items)} item(s)), open {when}"
        )
        tell(s, actor, _team(s, project_id), project_id, "session", said)
        audit.record(s, actor, "session.created", project_id, session=shown, items=len(items))  # fmt: skip
        return session


def _window(check: Checker, opens_at: datetime, closes_at: datetime) -> None:
    if closes_at <= opens_at:
        check.fail("closes", "must be after it opens")
    elif closes_at <= utcnow():
        check.fail("closes", "is already past: a session closes in the future")
    elif closes_at - opens_at > LONGEST:
        check.fail("closes", f"is more than {LONGEST.days} days after it opens")


def _items(
    s: Session, actor: User, check: Checker, project_id: int, picked: list[Picked]
) -> list[Item]:
    if not picked:
        check.fail("items", "pick at least one take or movie version")
    if len(picked) > MAX_ITEMS:
        check.fail("items", f"{len(picked)} is over the limit of {MAX_ITEMS}")
    if len(set(picked)) != len(picked):
        check.fail("items", "an item is picked twice")
    items = [review_item(s, actor, t, m, Role.editor, "making a review session") for t, m in picked]
    for item in items:
        if item.project_id != project_id:
            raise NotFound(f"{item.label}: no such item in this project")
    return items


def _place(s: Session, session_id: int, items: list[Item]) -> None:
    s.execute(delete(ReviewSessionItem).where(ReviewSessionItem.session_id == session_id))
    s.flush()
    for position, item in enumerate(items, 1):
        s.add(ReviewSessionItem(session_id=session_id, position=position,
                                take_id=item.take_id, movie_id=item.movie_id))  # fmt: skip


def _team(s: Session, project_id: int) -> list[int]:
    return list(s.scalars(select(Membership.user_id).where(Membership.project_id == project_id)))


def reorder(db: Database, actor: User, session_id: int, picked: list[Picked]) -> None:
    """The session's items, now these in this order (editors, until it closes)."""
    with db.session() as s:
        session = _editable(s, actor, session_id, "changing a review session's items")
        check = Checker({})
        items = _items(s, actor, check, session.project_id, picked)
        check.done()
        _place(s, session_id, items)
        audit.record(s, actor, "session.items", session.project_id, session=session.name,
                     items=len(items))  # fmt: skip


def _editable(s: Session, actor: User, session_id: int, doing: str) -> ReviewSession:
    session = _session(s, actor, session_id, Role.editor, doing)
    if session.closed_at is not None:
        raise PermissionDenied(f"the review session '{session.name}' is closed; {doing} is over")
    return session


def _session(s: Session, actor: User, session_id: int, minimum: Role, doing: str) -> ReviewSession:
    session = s.get(ReviewSession, session_id)
    unknown = f"review session {session_id}: no such session"
    if session is None:
        raise NotFound(unknown)
    if actor.guest_link_id is not None:  # a guest: their own session, while the link works
        link = s.get(GuestLink, actor.guest_link_id)
        if link is None or link.session_id != session_id or minimum != Role.viewer:
            raise NotFound(unknown)
        refusal = guests.link_refusal(s, link)
        if refusal:
            raise PermissionDenied(refusal)
        return session
    require(s, actor, session.project_id, minimum, doing, unknown)
    return session


def close_session(db: Database, actor: User, session_id: int) -> None:
    """Close the session now (editors): its guest links stop working, its report is
    final."""
    with db.session() as s:
        session = _editable(s, actor, session_id, "closing a review session")
        s.execute(update(ReviewSession).where(ReviewSession.id == session_id,
                                              ReviewSession.closed_at.is_(None))
                  .values(closed_at=utcnow(), live_since=None))  # fmt: skip
        # what is being said in it meanwhile holds its row: the update waited for it
        keep_report(s, session)
        audit.record(s, actor, "session.closed", session.project_id, session=session.name)


def go_live(db: Database, actor: User, session_id: int) -> bool:
    """Mark the session live, led by ``actor`` (editors), and tell the team it is
    starting; False when it was live already (nobody is told twice)."""
    with db.session() as s:
        session = _editable(s, actor, session_id, "starting a live review")
        refusal = guests.session_refusal(session, utcnow())
        if refusal:
            raise PermissionDenied(refusal)
        started = s.execute(
            update(ReviewSession)
            .where(ReviewSession.id == session_id, ReviewSession.live_since.is_(None))
            .values(live_since=utcnow())
        ).rowcount  # type: ignore[attr-defined]
        if started:
            said = f"{actor.name} started the live review '{session.name}': join it from Sessions"
            tell(s, actor, _team(s, session.project_id), session.project_id, "session", said)
            audit.record(s, actor, "session.live", session.project_id, session=session.name)
        return bool(started)


def end_live(db: Database, actor: User, session_id: int) -> None:
    with db.session() as s:
        session = _session(s, actor, session_id, Role.editor, "ending a live review")
        s.execute(update(ReviewSession).where(ReviewSession.id == session_id)
                  .values(live_since=None))  # fmt: skip
        audit.record(s, actor, "session.live_ended", session.project_id, session=session.name)


def list_sessions(db: Database, actor: User, project_id: int) -> list[ReviewSessionView]:
    """The project's sessions, newest first (its members)."""
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "reading review sessions")
        ids = s.scalars(select(ReviewSession.id).where(ReviewSession.project_id == project_id)
                        .order_by(ReviewSession.id.desc()))  # fmt: skip
        return [_view(s, actor, session_id) for session_id in ids]


def open_session(db: Database, actor: User, session_id: int) -> ReviewSessionView:
    """One session with its items in order: for its project's members, and for guests of
    its links while they work."""
    with db.session() as s:
        _session(s, actor, session_id, Role.viewer, "opening a review session")
        return _view(s, actor, session_id)


def stay(db: Database, actor: User, session_id: int) -> None:
    """Asked each second of a live review: refuses (as ``open_session`` would) once
    ``actor`` may no longer be in the session, without reading its items."""
    with db.session() as s:
        _session(s, actor, session_id, Role.viewer, "following the live review")


def _view(s: Session, actor: User, session_id: int) -> ReviewSessionView:
    session = s.get(ReviewSession, session_id)
    assert session is not None
    made_by = s.scalar(select(User.name).where(User.id == session.created_by)) or "someone"
    rows = s.scalars(select(ReviewSessionItem).where(ReviewSessionItem.session_id == session_id)
                     .order_by(ReviewSessionItem.position))  # fmt: skip
    numbers = {scene.id: n for n, scene in enumerate(ordered_scenes(s, session.project_id), 1)}
    items: list[SessionItem] = []
    for row in rows:
        try:
            item = review_item(s, actor, row.take_id, row.movie_id, Role.viewer, "reviewing")
        except NotFound:  # its scene was deleted since: not shown, kept for an undo
            continue
        label, key, _ = _described(s, row.take_id, row.movie_id, numbers)
        take = s.get(Take, row.take_id) if row.take_id is not None else None
        items.append(SessionItem(len(items) + 1, item, key, bool(take and take.is_draft), label))
    return ReviewSessionView(
        session.id, session.project_id, session.name, session.opens_at, session.closes_at,
        session.closed_at, session.live_since, session.passphrase_hash is not None, made_by,
        items,
    )  # fmt: skip


def add_link(
    db: Database, actor: User, session_id: int, label: str, expires_at: datetime
) -> LinkView:
    """A guest link into the session (editors), for the people ``label`` names."""
    with db.session() as s:
        session = _editable(s, actor, session_id, "making a guest link")
        check = Checker({"for": label})
        shown = check.text("for", limit=MAX_NAME_CHARS, required=True)
        if expires_at <= utcnow():
            check.fail("expires", "must be in the future")
        elif expires_at - utcnow() > LONGEST:
            check.fail("expires", f"is more than {LONGEST.days} days away")
        check.done()
        link = GuestLink(session_id=session_id, label=shown, secret=guests.new_secret(),
                         expires_at=expires_at, created_by=actor.id)  # fmt: skip
        s.add(link)
        s.flush()
        audit.record(s, actor, "session.link_added", session.project_id, session=session.name,
                     link=shown, expires=f"{expires_at:%Y-%m-%d %H:%M}")  # fmt: skip
        return LinkView(link.id, shown, guests.token(link), expires_at, None, 0)


def revoke_link(db: Database, actor: User, link_id: int) -> None:
    """The link stops working at once, for the guests already in too (editors)."""
    with db.session() as s:
        link = s.get(GuestLink, link_id)
        if link is None:
            raise NotFound(f"guest link {link_id}: no such link")
        session = _session(s, actor, link.session_id, Role.editor, "revoking a guest link")
        s.execute(update(GuestLink).where(GuestLink.id == link_id, GuestLink.revoked_at.is_(None))
                  .values(revoked_at=utcnow()))  # fmt: skip
        audit.record(s, actor, "session.link_revoked", session.project_id, session=session.name,
                     link=link.label)  # fmt: skip


def list_links(db: Database, actor: User, session_id: int) -> list[LinkView]:
    """The session's guest links, with their addresses (editors)."""
    with db.session() as s:
        _session(s, actor, session_id, Role.editor, "reading guest links")
        came = (
            select(User.guest_link_id, func.count().label("n"))
            .group_by(User.guest_link_id)
            .subquery()
        )
        rows = s.execute(
            select(GuestLink, came.c.n)
            .outerjoin(came, came.c.guest_link_id == GuestLink.id)
            .where(GuestLink.session_id == session_id)
            .order_by(GuestLink.id)
        )
        return [
            LinkView(link.id, link.label, guests.token(link), link.expires_at, link.revoked_at,
                     int(n or 0))
            for link, n in rows
        ]  # fmt: skip


@dataclass(frozen=True)
class ReportItem:
    """An item as a session's report lists it: what its frames are grabbed from."""

    position: int
    label: str
    media_key: str
    fps: float


@dataclass(frozen=True)
class Said:
    """A comment, reply or decision made in the session, as its report lists it."""

    position: int
    item: str
    kind: str  # "comment", "reply" or a decision's words
    who: str
    text: str
    frame: int | None  # from 0
    end_frame: int | None
    fps: float
    at: datetime


@dataclass(frozen=True)
class Report:
    """What was said in a session, item by item in its order, each as made: final once
    it closed (kept as it was then), so far before."""

    name: str
    opens_at: datetime
    until: datetime  # when it closed, or closes
    made_by: str
    final: bool
    items: list[ReportItem]  # the session's, then any spoken of and taken out of it since
    said: list[Said]


def said_in(db: Database, actor: User, session_id: int) -> Report:
    """Every comment, reply and decision made through the session (its members)."""
    with db.session() as s:
        session = _session(s, actor, session_id, Role.viewer, "reading a session's report")
        if session.report is not None:
            return _unpacked(session.report)
        return _report(s, session)


def _report(s: Session, session: ReviewSession) -> Report:
    numbers = {scene.id: n for n, scene in enumerate(ordered_scenes(s, session.project_id), 1)}
    items: dict[Picked, ReportItem] = {}

    def listed(take_id: int | None, movie_id: int | None) -> ReportItem:
        if (take_id, movie_id) not in items:
            label, key, fps = _described(s, take_id, movie_id, numbers)
            items[take_id, movie_id] = ReportItem(len(items) + 1, label, key, fps)
        return items[take_id, movie_id]

    for row in s.scalars(select(ReviewSessionItem).where(ReviewSessionItem.session_id ==
                         session.id).order_by(ReviewSessionItem.position)):  # fmt: skip
        listed(row.take_id, row.movie_id)
    said: list[Said] = []
    notes = s.execute(select(Comment, User.name).join(User, User.id == Comment.user_id)
                      .where(Comment.review_session_id == session.id))  # fmt: skip
    for c, who in notes:
        item = listed(c.take_id, c.movie_id)
        said.append(Said(item.position, item.label, "reply" if c.parent_id else "comment", who,
                         c.body, c.frame, c.end_frame, item.fps, c.created_at))  # fmt: skip
    verdicts = s.execute(select(Decision, User.name).join(User, User.id == Decision.user_id)
                         .where(Decision.review_session_id == session.id))  # fmt: skip
    for d, who in verdicts:
        item = listed(d.take_id, d.movie_id)
        said.append(Said(item.position, item.label, WORDS[Verdict(d.verdict)], who, d.note,
                         None, None, item.fps, d.created_at))  # fmt: skip
    said.sort(key=lambda x: (x.position, x.at))
    made_by = s.scalar(select(User.name).where(User.id == session.created_by)) or "someone"
    final = session.closed_at is not None or session.closes_at <= utcnow()
    return Report(session.name, session.opens_at, session.closed_at or session.closes_at,
                  made_by, final, list(items.values()), said)  # fmt: skip


def _described(
    s: Session, take_id: int | None, movie_id: int | None, numbers: dict[int, int]
) -> tuple[str, str, float]:
    """An item's label, media key and frame rate, its scene deleted or not."""
    take = s.get(Take, take_id) if take_id is not None else None
    if take is None:
        movie = s.get(Movie, movie_id)
        assert movie is not None  # a session's item, or what was said of one, is kept with it
        return movie_label(movie.version), movie.media_key, MOVIE_FPS
    scene = s.get(Scene, take.scene_id)
    assert scene is not None
    number = int(s.scalar(select(func.count()).where(Take.scene_id == take.scene_id,
                                                     Take.id <= take.id)) or 1)  # fmt: skip
    if scene.id in numbers:
        return take_label(numbers[scene.id], scene.title, number), take.media_key, take.fps
    return f"{scene.title} · take {number} (its scene was deleted)", take.media_key, take.fps


def _packed(report: Report) -> dict[str, Any]:
    """The report as JSON keeps it."""
    packed: dict[str, Any] = json.loads(json.dumps(asdict(report), default=datetime.isoformat))
    return packed


def _unpacked(kept: dict[str, Any]) -> Report:
    def at(text: str) -> datetime:
        return datetime.fromisoformat(text)

    return Report(
        kept["name"], at(kept["opens_at"]), at(kept["until"]), kept["made_by"], kept["final"],
        [ReportItem(**item) for item in kept["items"]],
        [Said(**{**x, "at": at(x["at"])}) for x in kept["said"]],
    )  # fmt: skip


def keep_report(s: Session, session: ReviewSession) -> None:
    """Keep the closed session's report as it is now: deleting a scene later does not
    change it."""
    s.refresh(session)
    session.report = _packed(_report(s, session))


def keep_reports(s: Session) -> int:
    """Keep the reports of the sessions whose window ran out, unclosed (the engines'
    housekeeping, before the trash takes what they spoke of); how many."""
    ran_out = list(s.scalars(select(ReviewSession).where(
        ReviewSession.report.is_(None), ReviewSession.closes_at <= utcnow())))  # fmt: skip
    for session in ran_out:
        keep_report(s, session)
    return len(ran_out)
