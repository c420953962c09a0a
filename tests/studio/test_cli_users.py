"""`veogen user`: accounts of the studio's own sign-in, listed, disabled, given passwords."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from storage import accounts
from storage.db import Database
from storage.settings import Settings
from tests.studio.test_cli import veogen


def test_an_operator_adds_lists_and_disables_users(settings: Settings) -> None:
    env = {**os.environ, **settings.as_env()}
    assert veogen(env, "migrate").returncode == 0
    added = veogen(env, "user", "add", "Ana@Example.com", "--name", "Ana", "--admin")
    assert added.returncode == 0, added.stderr
    password = re.search(r"password (\S+) \(shown only this once\)", added.stdout)
    assert password and accounts.verify(Database(settings.db_url), "ana@example.com", password[1])
    listed = veogen(env, "user", "list").stdout
    assert "ana@example.com\tAna\tthis studio's account\tadmin" in listed
    assert (
        veogen(env, "user", "disable", "ana@example.com").stdout.strip()
        == "ana@example.com is disabled"
    )
    assert "admin, disabled" in veogen(env, "user", "list").stdout
    again = veogen(env, "user", "add", "ana@example.com", "--name", "Ana")
    assert again.returncode == 1 and again.stderr.strip() == (
        "error: email: 'ana@example.com' already has an account"
    )
    changed = subprocess.run(
        [sys.executable, "-m", "studio.cli", "user", "password", "ana@example.com"],
        env=env, input="new long password\n" * 2, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert accounts.verify(Database(settings.db_url), "ana@example.com", "new long password")
