"""Users: who signed in, linked by their provider's issuer and subject; the first admin."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import audit
from storage.db import Database
from storage.errors import Conflict, SignInRefused
from storage.members import accept_invitations
from storage.models import Login, User, utcnow
from storage.permissions import require_admin

LOCAL_EMAIL = "local@veogen.studio"
SEEN_EVERY = timedelta(minutes=1)
COOKIE_LIFE = timedelta(days=30)  # st.login's cookie: an older login cannot come back


def get_or_create_user(db: Database, email: str, name: str) -> User:
    email = email.strip().lower()
    with db.session() as s:
        user = s.scalar(select(User).where(User.email == email))
        if user:
            return user
    try:
        with db.session() as s:
            user = User(email=email, name=name)
            s.add(user)
        return user
    except IntegrityError:  # another process created it at the same moment
        with db.session() as s:
            return s.scalars(select(User).where(User.email == email)).one()


def local_user(db: Database) -> User:
    return get_or_create_user(db, LOCAL_EMAIL, "Local creator")


def sign_in(db: Database, issuer: str, subject: str, email: str, name: str) -> User:
    """The user a provider's token names, made on their first sign-in. Someone known by
    e-mail only (the first admin, an invited address) is linked on their first sign-in;
    an address already linked to another provider's account is refused rather than
    handed to whoever a second provider says owns it."""
    address = email.strip().lower()
    with db.session() as s:
        user = s.scalar(select(User).where(User.issuer == issuer, User.subject == subject))
        if user is None:
            user = s.scalar(select(User).where(User.email == address))
            if user is not None and user.issuer is not None:
                raise SignInRefused(
                    f"'{address}' signs in with another provider; sign in with that one"
                )
            if user is None:
                user = User(email=address, name=name or address)
                s.add(user)
            user.issuer, user.subject = issuer, subject
        if user.disabled:
            raise SignInRefused(f"'{user.email}' is disabled: ask an admin of this studio")
        if name and user.name != name:
            user.name = name  # the provider's name is the one people know
        s.flush()  # a new user's id, for the invitations
        accept_invitations(s, user)
    return user


def bootstrap_admin(db: Database) -> User | None:
    """The studio's first admin: the local user (who owns what was made before sign-in),
    made an admin when no admin exists yet; None when there is one already."""
    if has_admin(db):
        return None
    admin = local_user(db)
    with db.session() as s:
        s.execute(update(User).where(User.id == admin.id).values(is_admin=True))
    return admin


def still_signed_in(db: Database, user_id: int, login: str, idle: timedelta) -> User | None:
    """The signed-in user again, at a page run, in one transaction: refused if disabled
    since; None when this login (a hash of its token's ids) went unused longer than
    ``idle`` and must sign in again; else its use is noted (a write a minute at most).
    An idle login is kept as it is: its cookie is refused for good, whatever it says,
    and only a new sign-in (a new token) gets in."""
    now = utcnow()
    with db.session() as s:
        user = s.get(User, user_id)
        if user is None or user.disabled:
            raise SignInRefused("this user is disabled: ask an admin of this studio")
        seen = s.get(Login, login)
        if seen is not None and now - seen.last_seen_at > idle:
            return None
        if seen is None:  # a new sign-in (a page reload is the same login again)
            _new_login(s, user, login, now - idle - COOKIE_LIFE)
        elif now - seen.last_seen_at > SEEN_EVERY:
            seen.last_seen_at = now
    return user


def _new_login(s: Session, user: User, login: str, forgotten: datetime) -> None:
    """Note a sign-in once (two first runs of it at once: one notes it); forget logins
    whose cookie has died anyway."""
    try:
        with s.begin_nested():
            s.add(Login(key=login, user_id=user.id, last_seen_at=utcnow()))
    except IntegrityError:
        return
    audit.record(s, user, "user.signed_in", None, issuer=user.issuer)
    s.execute(delete(Login).where(Login.last_seen_at < forgotten))


def list_users(db: Database, actor: User | None) -> list[User]:
    with db.session() as s:
        require_admin(s, actor, "listing the users")
        return list(s.scalars(select(User).order_by(User.email)))


def set_flags(
    db: Database,
    actor: User | None,
    email: str,
    *,
    disabled: bool | None = None,
    admin: bool | None = None,
) -> User:
    """Disable or enable a user, make or unmake an admin; one not known yet is known from
    now on, by their address, until their first sign-in. An admin cannot shut themselves out or
    drop their own admin: the studio would be left without anyone to undo it."""
    address = email.strip().lower()
    with db.session() as s:
        require_admin(s, actor, "changing a user")
        if actor is not None and actor.email == address and (disabled or admin is False):
            raise Conflict(f"{address}: an admin cannot disable themselves or drop their own admin")
        user = s.scalar(select(User).where(User.email == address))
        if user is None:
            user = User(email=address, name=address)
            s.add(user)
        if disabled is not None:
            user.disabled = disabled
        if admin is not None:
            user.is_admin = admin
        s.flush()
        audit.record(s, actor, "user.changed", None, user=address, disabled=disabled, admin=admin)
    return user


def acting_user(db: Database, email: str) -> User:
    """The user a command names, refused in words if unknown or disabled."""
    address = email.strip().lower()
    with db.session() as s:
        user = s.scalar(select(User).where(User.email == address))
    if user is None:
        raise SignInRefused(f"user: no user '{address}'; `veogen user list` shows who there is")
    if user.disabled:
        raise SignInRefused(f"user: '{address}' is disabled")
    return user


def has_admin(db: Database) -> bool:
    with db.session() as s:
        return s.scalar(select(User.id).where(User.is_admin.is_(True)).limit(1)) is not None
