"""The engines' side of the inbox by e-mail: whose entries are to be mailed now, each
person's taken in one statement (so two engines never mail one twice), and given back
when the mail server refused them.

Only unread entries are mailed (one read in the studio is news no more), and only fresh
ones: an entry older than ``FRESH`` (a mail server down for hours, e-mail just turned on)
stays in the inbox rather than arrive late. A digest gathers what came since the last one,
once a day at the studio's digest hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update

from storage.db import Database
from storage.models import EmailMode, InboxEntry, Project, User, utcnow

FRESH = timedelta(hours=6)
DIGEST_SPAN = timedelta(days=2)  # a digest missed one day takes that day's along


@dataclass(frozen=True)
class Line:
    project: str
    text: str
    at: datetime


@dataclass(frozen=True)
class Mailing:
    """One e-mail to one person: their new entries, at once or as their digest."""

    to: str
    name: str
    mode: EmailMode
    lines: list[Line]
    entry_ids: list[int]
    user_id: int


def digest_moment(now: datetime, hour: int) -> datetime:
    """The latest digest time (``hour`` o'clock UTC) at or before ``now``."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today <= now else today - timedelta(days=1)


def _wanted(mode: EmailMode, now: datetime) -> ColumnElement[bool]:
    """The entries that a person with ``mode`` is mailed now."""
    waiting = and_(InboxEntry.emailed_at.is_(None), InboxEntry.read_at.is_(None))
    if mode == EmailMode.digest:
        return and_(waiting, InboxEntry.created_at >= now - DIGEST_SPAN)
    fresh = and_(waiting, InboxEntry.created_at >= now - FRESH)
    if mode == EmailMode.mentions:  # people speaking to them; the rest waits in the inbox
        return and_(fresh, InboxEntry.kind.in_(("mention", "reply")))
    return fresh


def _due(moment: datetime) -> ColumnElement[bool]:
    return or_(User.digest_at.is_(None), User.digest_at < moment)


def take_mail(db: Database, digest_hour: int) -> list[Mailing]:
    """The e-mails due now, each taken for this engine to send."""
    now = utcnow()
    moment = digest_moment(now, digest_hour)
    by_mode = [and_(User.email_mode == m, _wanted(m, now)) for m in EmailMode if m != EmailMode.off]
    with db.session() as s:
        people = s.execute(
            select(User.id, User.email_mode)
            .join(InboxEntry, InboxEntry.user_id == User.id)
            .where(
                User.disabled.is_(False),
                User.guest_link_id.is_(None),  # a guest's address is nobody's
                or_(*by_mode),
                or_(User.email_mode != EmailMode.digest, _due(moment)),
            )
            .distinct()
        ).all()
    taken = (_take(db, user_id, EmailMode(mode), now, moment) for user_id, mode in people)
    return [mailing for mailing in taken if mailing]


def _take(
    db: Database, user_id: int, mode: EmailMode, now: datetime, moment: datetime
) -> Mailing | None:
    with db.session() as s:
        if mode == EmailMode.digest:
            claimed = s.execute(
                update(User)
                .where(User.id == user_id, User.email_mode == mode, _due(moment))
                .values(digest_at=now)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]  # another engine's now
                return None
        ids = list(
            s.scalars(
                update(InboxEntry)
                .where(InboxEntry.user_id == user_id, _wanted(mode, now))
                .values(emailed_at=now)
                .returning(InboxEntry.id)
            )
        )
        if not ids:
            return None
        rows = s.execute(
            select(InboxEntry, Project.name)
            .outerjoin(Project, Project.id == InboxEntry.project_id)
            .where(InboxEntry.id.in_(ids))
            .order_by(InboxEntry.id)
        )
        lines = [Line(name or "", e.text, e.created_at) for e, name in rows]
        user = s.get(User, user_id)
        assert user is not None  # its entries were just taken
        return Mailing(user.email, user.name, mode, lines, sorted(ids), user_id)


def give_back(db: Database, mailing: Mailing) -> None:
    """The mail was not sent: its entries (and a digest's turn) are due again."""
    with db.session() as s:
        s.execute(
            update(InboxEntry).where(InboxEntry.id.in_(mailing.entry_ids)).values(emailed_at=None)
        )
        if mailing.mode == EmailMode.digest:
            s.execute(update(User).where(User.id == mailing.user_id).values(digest_at=None))
