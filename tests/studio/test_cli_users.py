"""`veogen user`: accounts of the studio's own sign-in, listed, disabled, given passwords,
by an admin (the first made before anyone can sign in); every command acts as someone."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from storage import accounts
from storage.db import Database
from storage.settings import Settings
from tests.studio.test_cli import veogen


def test_an_admin_adds_lists_and_disables_users(settings: Settings) -> None:
    env = {**os.environ, **settings.as_env()}
    env["VEOGEN_USER"] = ""  # nobody named
    assert veogen(env, "migrate").returncode == 0  # no admin yet: nobody to ask
    added = veogen(env, "user", "add", "Ana@Example.com", "--name", "Ana", "--admin")
    assert added.returncode == 0, added.stderr
    password = re.search(r"password (\S+) \(shown only this once\)", added.stdout)
    assert password and accounts.verify(Database(settings.db_url), "ana@example.com", password[1])
    nobody = veogen(env, "user", "list")
    assert nobody.returncode == 1 and nobody.stderr.strip() == (
        "error: say who acts: --as EMAIL (or VEOGEN_USER); `veogen user list` shows the users"
    )
    ana = {**env, "VEOGEN_USER": "ana@example.com"}
    assert veogen(ana, "user", "add", "bob@example.com", "--name", "Bob").returncode == 0
    assert (
        "ana@example.com\tAna\tthis studio's account\tadmin" in veogen(ana, "user", "list").stdout
    )
    bob = veogen(env, "--as", "bob@example.com", "user", "list")
    assert bob.stderr.strip() == "error: bob@example.com is not an admin of this studio; ask one"
    disabled = veogen(ana, "user", "disable", "bob@example.com")
    assert disabled.stdout.strip() == "bob@example.com is disabled"
    assert (
        "bob@example.com\tBob\tthis studio's account\tdisabled"
        in veogen(ana, "user", "list").stdout
    )
    shut = veogen(env, "--as", "bob@example.com", "status", "1")
    assert shut.stderr.strip() == "error: user: 'bob@example.com' is disabled"
    again = veogen(ana, "user", "add", "bob@example.com", "--name", "Bob")
    assert again.stderr.strip() == "error: email: 'bob@example.com' already has an account"
    changed = subprocess.run(
        [sys.executable, "-m", "studio.cli", "user", "password", "bob@example.com"],
        env=ana, input="new long password\n" * 2, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert accounts.verify(Database(settings.db_url), "bob@example.com", "new long password")


def test_an_admin_limits_a_user_and_a_bad_limit_is_named(settings: Settings) -> None:
    env = {**os.environ, **settings.as_env(), "VEOGEN_USER": ""}
    assert veogen(env, "user", "add", "ana@example.com", "--name", "Ana", "--admin").returncode == 0
    ana = {**env, "VEOGEN_USER": "ana@example.com"}
    assert veogen(ana, "user", "add", "bob@example.com", "--name", "Bob").returncode == 0
    limited = veogen(ana, "user", "limit", "bob@example.com", "--spend-per-day", "20")
    assert limited.stdout.strip() == "bob@example.com: $20.00 a day"
    both = veogen(ana, "user", "limit", "bob@example.com", "--jobs-in-flight", "3")
    assert both.stdout.strip() == "bob@example.com: $20.00 a day, 3 job(s) in flight"
    assert "\tBob\tthis studio's account\t$20.00 a day, 3 job(s) in flight" in (
        veogen(ana, "user", "list").stdout
    )
    bad = veogen(ana, "user", "limit", "bob@example.com", "--jobs-in-flight", "-1")
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: jobs in flight: -1 is out of range; allowed: 0 to 10000"
    lifted = veogen(ana, "user", "limit", "bob@example.com", "--spend-per-day", "none")
    assert lifted.stdout.strip() == "bob@example.com: 3 job(s) in flight"
