"""Guests: people outside the team who review one session through a link. A guest is a
user of one link with no membership, so every project operation refuses them; the review
gate lets them comment and decide on their session's items only, while the link is
neither revoked nor expired and the session is open. The link is signed with its own key:
a link that was altered, or made for another session, reaches nothing."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import audit
from storage.accounts import locked_until, matches
from storage.db import Database
from storage.errors import NotFound, PermissionDenied
from storage.models import GuestLink, ReviewSession, ReviewSessionItem, Role, User, utcnow
from storage.permissions import RANK
from storage.validation import Checker

ISSUER = "veogen:guest"  # a guest's users row: never a provider's issuer
MAX_NAME_CHARS = 80
ID = re.compile(r"[0-9]{1,18}")  # any id SQL holds, in ASCII digits only
INVALID = "this guest link is not valid: ask whoever sent it for a new one"


def new_secret() -> str:
    return secrets.token_hex(32)


def token(link: GuestLink) -> str:
    """What the link's address carries: its id, its expiry, and their signature."""
    body = f"{link.id}.{int(link.expires_at.replace(tzinfo=UTC).timestamp())}"
    return f"{body}.{_sign(link, body)}"


def _sign(link: GuestLink, text: str) -> str:
    return hmac.new(link.secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:40]


def _link(s: Session, said: str) -> GuestLink:
    """The link a token names, if its signature holds."""
    link_id = said.split(".", 1)[0]
    link = s.get(GuestLink, int(link_id)) if ID.fullmatch(link_id) else None
    if link is None or not hmac.compare_digest(token(link), said):
        raise NotFound(INVALID)
    return link


def window_state(
    opens_at: datetime, closes_at: datetime, closed_at: datetime | None, now: datetime
) -> str:
    """'scheduled', 'open' or 'closed': a session's window, and whether it was closed."""
    if closed_at is not None or now >= closes_at:
        return "closed"
    return "scheduled" if now < opens_at else "open"


def session_refusal(session: ReviewSession, now: datetime) -> str | None:
    """Why nobody may review in the session now (None: it is open)."""
    state = window_state(session.opens_at, session.closes_at, session.closed_at, now)
    if state == "closed":
        return f"the review session '{session.name}' has closed"
    if state == "scheduled":
        return f"the review session '{session.name}' opens at {session.opens_at:%Y-%m-%d %H:%M} UTC"
    return None


def link_refusal(s: Session, link: GuestLink) -> str | None:
    """Why the link reaches nothing now (None: it works), by the clock of this moment."""
    now = utcnow()
    if link.revoked_at is not None:
        return "this guest link was revoked: ask whoever sent it for a new one"
    if now >= link.expires_at:
        return f"this guest link expired at {link.expires_at:%Y-%m-%d %H:%M} UTC"
    session = s.get(ReviewSession, link.session_id)
    assert session is not None  # a link goes with its session
    return session_refusal(session, now)


def open_link(db: Database, said: str) -> tuple[int, str | None, bool]:
    """The session a guest link is for, why it reaches nothing now (None: it works), and
    whether it asks for a passphrase."""
    with db.session() as s:
        link = _link(s, said)
        session = s.get(ReviewSession, link.session_id)
        assert session is not None
        return session.id, link_refusal(s, link), session.passphrase_hash is not None


def enter(db: Database, said: str, name: str, passphrase: str = "") -> User:
    """A guest of the link, under the name they give (the session's passphrase first, if
    it has one). Wrong passphrases make the link's next try wait, as wrong passwords do an
    account's; the count is saved before the refusal, one try at a time (a row lock)."""
    wrong: str | None = None
    with db.session() as s:
        link = _link(s, said)
        s.refresh(link, with_for_update=True)
        refusal = link_refusal(s, link)
        if refusal:
            raise PermissionDenied(refusal)
        session = s.get(ReviewSession, link.session_id)
        assert session is not None
        check = Checker({"your name": name})
        shown = check.text("your name", limit=MAX_NAME_CHARS, required=True)
        check.done()
        now = utcnow()
        if link.locked_until and link.locked_until > now:
            left = max(1, round((link.locked_until - now).total_seconds()))
            raise PermissionDenied(f"passphrase: too many wrong ones; try again in {left} s")
        if session.passphrase_hash is not None and not matches(session.passphrase_hash, passphrase):
            link.failed_tries += 1
            link.locked_until = locked_until(now, link.failed_tries)
            audit.record(s, None, "guest.refused", session.project_id, session=session.name,
                         link=link.label)  # fmt: skip
            wrong = "passphrase: that is not this session's passphrase"
        else:
            link.failed_tries, link.locked_until = 0, None
            subject = secrets.token_hex(12)
            guest = User(
                email=f"guest-{subject}@guests.invalid", name=f"{shown} (guest)",
                issuer=ISSUER, subject=subject, guest_link_id=link.id,
            )  # fmt: skip
            s.add(guest)
            s.flush()
            audit.record(s, guest, "guest.joined", session.project_id, session=session.name,
                         link=link.label)  # fmt: skip
            s.expunge(guest)
    if wrong:  # after the count is saved: a refusal must not roll it back
        raise PermissionDenied(wrong)
    return guest


def pass_for(db: Database, guest: User) -> str:
    """What lets this guest back in from the same browser (a reload keeps the address):
    their id, signed with their link's key."""
    with db.session() as s:
        link = s.get(GuestLink, guest.guest_link_id)
        if link is None:
            raise NotFound(INVALID)
        return f"{guest.id}.{_sign(link, f'guest:{guest.id}')}"


def returning(db: Database, said: str, guest_pass: str) -> User | None:
    """The guest a pass names, if it was made for this link (None: ask their name again)."""
    with db.session() as s:
        link = _link(s, said)
        guest_id = guest_pass.split(".", 1)[0]
        guest = s.get(User, int(guest_id)) if ID.fullmatch(guest_id) else None
        if guest is None or guest.guest_link_id != link.id:
            return None
        if not hmac.compare_digest(f"{guest.id}.{_sign(link, f'guest:{guest.id}')}", guest_pass):
            return None
        s.expunge(guest)
        return guest


def require_guest(
    s: Session,
    guest: User,
    take_id: int | None,
    movie_id: int | None,
    minimum: Role,
    doing: str,
    unknown: str,
) -> None:
    """A guest acts as a reviewer on their session's items, while their link works; an
    item outside the session does not exist for them."""
    link = s.get(GuestLink, guest.guest_link_id)
    refusal = link_refusal(s, link) if link else INVALID
    if refusal:
        raise PermissionDenied(refusal)
    assert link is not None
    found = s.scalar(
        select(ReviewSessionItem.id).where(
            ReviewSessionItem.session_id == link.session_id,
            ReviewSessionItem.take_id.is_(None) if take_id is None
            else ReviewSessionItem.take_id == take_id,
            ReviewSessionItem.movie_id.is_(None) if movie_id is None
            else ReviewSessionItem.movie_id == movie_id,
        )
    )  # fmt: skip
    if found is None:
        raise NotFound(unknown)
    if RANK[minimum] > RANK[Role.reviewer]:
        raise PermissionDenied(
            f"{guest.name} is a guest of this review: {doing} needs {minimum.value}"
        )
