"""Users. Until sign-in exists there is one local user; sign-in will only supply another."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import User

LOCAL_EMAIL = "local@veogen.studio"


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
