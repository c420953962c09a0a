"""What of each person's inbox is e-mailed to them: their own choice, nobody else's."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.errors import NotFound, PermissionDenied
from storage.models import EmailMode, User, utcnow
from storage.validation import Checker

MODE_WORDS = {
    EmailMode.off: "Off: the inbox only",
    EmailMode.mentions: "Mentions and replies at once; the rest in the inbox",
    EmailMode.immediate: "Everything at once",
    EmailMode.digest: "A daily digest",
}


def email_mode(db: Database, actor: User) -> EmailMode:
    with db.session() as s:
        mode = s.scalar(select(User.email_mode).where(User.id == actor.id))
        if mode is None:
            raise NotFound(f"user {actor.id}: no such user")
        return EmailMode(mode)


def set_email_mode(db: Database, actor: User, user_id: int, mode: EmailMode | str) -> EmailMode:
    """Set what is e-mailed to ``user_id``: only they may. A digest starts with the next
    one due, not with all that is in the inbox now."""
    if user_id != actor.id:
        raise PermissionDenied(
            f"e-mail: {actor.name} may choose only their own; each person chooses theirs"
        )
    check = Checker({"e-mail": str(mode)})
    chosen = check.choice("e-mail", tuple(EmailMode), EmailMode.mentions)
    check.done()
    with db.session() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id}: no such user")
        if chosen == EmailMode.digest and user.email_mode != EmailMode.digest:
            user.digest_at = utcnow()
        user.email_mode = EmailMode(chosen)
        return user.email_mode
