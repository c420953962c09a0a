"""Which review session a comment, reply or decision is said in, so that a session's
report is exactly what was said through it (not what was said elsewhere, on the Review
page, about the same take at the same time). Checked in the transaction that records it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import guests
from storage.errors import Conflict, NotFound, PermissionDenied
from storage.models import GuestLink, ReviewSession, ReviewSessionItem, User, utcnow
from storage.review_items import Item


def session_of(s: Session, actor: User, item: Item, session_id: int | None) -> int | None:
    """The session to note with what ``actor`` says about ``item`` (None: no session):
    one of the item's project, holding the item, open now. Its row is held (shared) to
    the end of the caller's transaction, so a close waits for what is being said in it
    and its report misses nothing. A guest speaks in their link's session alone."""
    if actor.guest_link_id is not None:
        link = s.get(GuestLink, actor.guest_link_id)
        assert link is not None  # the review gate let the guest in
        if session_id not in (None, link.session_id):
            raise NotFound(f"review session {session_id}: no such session")
        session_id = link.session_id
    if session_id is None:
        return None
    session = s.get(ReviewSession, session_id, with_for_update={"read": True})
    if session is None or session.project_id != item.project_id:
        raise NotFound(f"review session {session_id}: no such session")
    refusal = guests.session_refusal(session, utcnow())
    if refusal:
        raise PermissionDenied(refusal)
    held = s.scalar(
        select(ReviewSessionItem.id).where(
            ReviewSessionItem.session_id == session_id,
            ReviewSessionItem.take_id == item.take_id if item.take_id is not None
            else ReviewSessionItem.movie_id == item.movie_id,
        )
    )  # fmt: skip
    if held is None:
        raise Conflict(
            f"{item.label} is not one of the items of the review session '{session.name}'"
        )
    return session_id
