"""The studio's own accounts: argon2 hashes, refusals in words, wrong passwords throttled."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update

from storage import accounts
from storage.db import Database
from storage.errors import Conflict, InvalidInput, SignInRefused
from storage.models import LocalAccount, utcnow


def test_an_account_signs_in_with_its_password_only(db: Database) -> None:
    account = accounts.add_account(db, None, " Mara@Example.com ", "Mara", "a long password")
    assert account.email == "mara@example.com"
    with db.session() as s:  # kept as an argon2id hash, and only here
        assert s.scalar(select(LocalAccount.password_hash)).startswith("$argon2id$")
    assert not hasattr(account, "password_hash")
    assert accounts.verify(db, "MARA@example.com", "a long password").id == account.id
    for email, password in (("mara@example.com", "wrong one!"), ("nobody@example.com", "x")):
        with pytest.raises(SignInRefused, match=r"^e-mail or password is wrong$"):
            accounts.verify(db, email, password)
    with pytest.raises(Conflict, match=r"'mara@example\.com' already has an account"):
        accounts.add_account(db, None, "mara@example.com", "Mara", "another password")
    with pytest.raises(InvalidInput) as refused:
        accounts.add_account(db, None, "not-an-address", "", "short")
    assert str(refused.value) == (
        "email: 'not-an-address' is not an e-mail address; name: is required; "
        "password: must be at least 10 characters"
    )


def test_wrong_passwords_make_the_next_try_wait(db: Database) -> None:
    accounts.add_account(db, None, "mara@example.com", "Mara", "a long password")
    for _ in range(accounts.FREE_TRIES):
        with pytest.raises(SignInRefused, match="wrong"):
            accounts.verify(db, "mara@example.com", "guess")
    # the count was kept though each try was refused; now even the right password waits
    with pytest.raises(SignInRefused, match=r"too many wrong passwords: try again in \d+ s"):
        accounts.verify(db, "mara@example.com", "a long password")
    with db.session() as s:
        s.execute(update(LocalAccount).values(locked_until=utcnow()))  # the wait is over
    assert accounts.verify(db, "mara@example.com", "a long password").email == "mara@example.com"
    with db.session() as s:
        assert s.scalar(select(LocalAccount.failed_attempts)) == 0
    accounts.set_password(db, None, "mara@example.com", "a new long password")
    with pytest.raises(SignInRefused):
        accounts.verify(db, "mara@example.com", "a long password")
    assert accounts.verify(db, "mara@example.com", "a new long password")


def test_guesses_sent_together_are_counted_one_by_one(db: Database) -> None:
    accounts.add_account(db, None, "mara@example.com", "Mara", "a long password")
    start = threading.Barrier(12)
    said: list[str] = []

    def guess() -> None:
        start.wait()
        try:
            accounts.verify(db, "mara@example.com", "guess")
        except SignInRefused as refused:
            said.append(str(refused))

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # the first few are checked; the rest wait out the throttle, unchecked
    assert said.count(accounts.WRONG) == accounts.FREE_TRIES
    assert sum("too many wrong passwords" in s for s in said) == 12 - accounts.FREE_TRIES
