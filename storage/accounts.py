"""The studio's own identity provider's accounts: e-mail, name, an argon2 password hash.

Sign-in attempts are throttled per account: after a few wrong passwords it waits longer
and longer before it tries again, so a password cannot be guessed by trying many.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from storage import audit
from storage.db import Database
from storage.errors import Conflict, NotFound, SignInRefused
from storage.models import LocalAccount, User, utcnow
from storage.permissions import require_admin
from storage.validation import Checker

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 200
FREE_TRIES = 5  # wrong passwords before each further try waits
WAIT_SECONDS = 2.0  # the first wait; it doubles with each wrong password after that
MAX_WAIT = timedelta(minutes=15)
WRONG = "e-mail or password is wrong"  # the same whichever was wrong: says nothing more
# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): ~25 ms a check on
# two cores, where the library's default (64 MiB, 3 passes, 4 lanes) took ~125 ms and put
# sign-in past its 100 ms target; hashes made before are redone at their next sign-in
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def clean_email(check: Checker, value: str) -> str:
    email = check.text("email", limit=320, required=True).lower()
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        check.fail("email", f"'{email}' is not an e-mail address")
    return email


def _clean_password(check: Checker) -> str:
    password = check.raw.get("password")
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        check.fail("password", f"must be at least {MIN_PASSWORD_CHARS} characters")
        return ""
    if len(password) > MAX_PASSWORD_CHARS:
        check.fail("password", f"is over {MAX_PASSWORD_CHARS} characters")
    return password


@dataclass(frozen=True)
class Account:
    """An account as the rest of the studio sees it: never its hash."""

    id: int
    email: str
    name: str


def add_account(db: Database, actor: User | None, email: str, name: str, password: str) -> Account:
    check = Checker({"email": email, "name": name, "password": password})
    address = clean_email(check, email)
    shown = check.text("name", limit=200, required=True)
    secret = _clean_password(check)
    check.done()
    try:
        with db.session() as s:
            require_admin(s, actor, "adding an account")
            if s.scalar(select(User.id).where(User.email == address)) is None:
                s.add(User(email=address, name=shown))  # listed, and invitable, at once
            account = LocalAccount(email=address, name=shown, password_hash=hasher.hash(secret))
            s.add(account)
            s.flush()
            audit.record(s, actor, "account.added", None, email=address)
            return Account(account.id, account.email, account.name)
    except IntegrityError:
        raise Conflict(f"email: '{address}' already has an account") from None


def new_password() -> str:
    """A password to hand out once (the first admin's): 20 characters, easy to copy."""
    return secrets.token_urlsafe(15)


def set_password(db: Database, actor: User | None, email: str, password: str) -> None:
    check = Checker({"password": password})
    secret = _clean_password(check)
    check.done()
    with db.session() as s:
        require_admin(s, actor, "changing a password")
        changed = s.execute(
            update(LocalAccount)
            .where(LocalAccount.email == email.strip().lower())
            .values(password_hash=hasher.hash(secret), failed_attempts=0, locked_until=None)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"email: no account for '{email}'")
        audit.record(s, actor, "account.password", None, email=email.strip().lower())


def account_emails(db: Database) -> set[str]:
    """Who has an account here (their addresses only: the hashes never leave this module)."""
    with db.session() as s:
        return set(s.scalars(select(LocalAccount.email)))


def verify(db: Database, email: str, password: str) -> Account:
    """The account, if the password is right and the account is not waiting out wrong
    tries; a wrong password makes the next try wait (after FREE_TRIES). The count of
    wrong tries is saved before the refusal is raised: a refusal must not roll it back.
    Tries at one account are taken one at a time, under a lock on its row: guesses sent
    together would otherwise each read the count before any of them raised it."""
    now = utcnow()
    refusal: str | None = None
    found: Account | None = None
    address = email.strip().lower()
    with db.session() as s:
        mine = LocalAccount.email == address
        s.execute(update(LocalAccount).where(mine).values(email=LocalAccount.email))  # the lock
        account = s.scalar(select(LocalAccount).where(mine))
        if account is None:
            hasher.hash(password)  # as long as a real check: timing says nothing either
            refusal = WRONG
        elif account.locked_until and account.locked_until > now:
            left = (account.locked_until - now).total_seconds()
            refusal = f"too many wrong passwords: try again in {max(1, round(left))} s"
        elif not matches(account.password_hash, password):
            account.failed_attempts += 1
            account.locked_until = locked_until(now, account.failed_attempts)
            refusal = WRONG
        else:
            account.failed_attempts, account.locked_until = 0, None
            if hasher.check_needs_rehash(account.password_hash):
                account.password_hash = hasher.hash(password)
            found = Account(account.id, account.email, account.name)
    if found is None:
        raise SignInRefused(refusal or WRONG)
    return found


def locked_until(now: datetime, failures: int) -> datetime | None:
    """Until when the next try waits, after ``failures`` wrong ones in a row."""
    over = failures - FREE_TRIES
    return now + min(MAX_WAIT, timedelta(seconds=WAIT_SECONDS * 2**over)) if over >= 0 else None


def matches(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
