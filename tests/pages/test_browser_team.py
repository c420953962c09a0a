"""A team in Chromium, through the studio's own sign-in: the admin gives a colleague an
account and invites them as a reviewer; the reviewer sees the project with nothing that
spends, and the data layer refuses a generation in their name; signing out; a session idle
too long is sent back to sign in; a user shut out loses the studio at their next click.
Then no secret (client or cookie secret, signing key, password hashes, the login cookie,
the passwords typed) is in the studio's log, the pages, the audit or its CSV."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from storage import projects, scenes
from storage.errors import PermissionDenied
from storage.models import AuditEvent, LocalAccount, Login, utcnow
from storage.settings import Settings
from storage.users import acting_user, local_user
from studio.services import Services
from tests.pages.browser import (
    ARGS,
    CHROMIUM,
    PASSWORD,
    choose,
    idle,
    need_chromium,
    provider_form,
    sign_in,
    studio_up,
    watch,
)

RAVI = "ravi@example.com"


def test_a_team_signs_in_reviews_and_is_shut_out(settings: Settings, tmp_path: Path) -> None:
    sync_api = need_chromium()
    log = tmp_path / "studio.log"
    with studio_up(settings, log) as base:
        studio = Services(settings)
        owner = local_user(studio.db)
        pid = studio_project(studio, owner)
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            seen: list[str] = []  # every page's text, for the secrets
            csv, cookies = _journey(browser, base, studio, pid, seen, tmp_path)
            browser.close()
    _no_secrets_anywhere(settings, studio, seen, log.read_text(errors="replace"), csv, cookies)


def studio_project(studio: Services, owner: Any) -> int:
    pid = projects.create_project(
        studio.db, owner, {"name": "Harbour"}, studio.settings.default_model
    ).id
    scenes.add_scenes(studio.db, owner, pid, [{"prompt": "boats at dawn", "duration": 4}])
    return pid


def _text(page: Any, seen: list[str]) -> str:
    idle(page)
    text = page.inner_text("body")
    seen.append(page.content())
    return str(text)


def _journey(browser: Any, base: str, studio: Services, pid: int, seen: list[str],
             shots: Path) -> tuple[str, list[str]]:  # fmt: skip
    owner_context = browser.new_context(accept_downloads=True)
    mara = owner_context.new_page()
    errors, away = watch(mara)
    sign_in(mara, base)

    # the admin gives Ravi an account of the studio's own sign-in: a password shown once
    mara.goto(f"{base}/users")
    _text(mara, seen)
    mara.get_by_label("E-mail").fill(RAVI)
    mara.get_by_label("Name").fill("Ravi")
    mara.get_by_role("button", name="Add account").click()
    said = _text(mara, [])  # the one page meant to show the new password
    found = re.search(r"ravi@example\.com signs in with the password (\S+) \(shown only", said)
    assert found, said
    password = found[1]

    # the owner invites Ravi as a reviewer; a careless address is refused by name
    mara.goto(f"{base}/members?project={pid}")
    _text(mara, seen)
    mara.get_by_label("E-mail").fill("ravi at example")
    mara.get_by_role("button", name="Invite").click()
    assert "email: 'ravi at example' is not an e-mail address" in _text(mara, seen)
    mara.get_by_label("E-mail").fill(RAVI)
    choose(mara, "Role", "reviewer")
    mara.get_by_role("button", name="Invite").click()
    assert f"{RAVI} is invited as reviewer: they join when they first sign in" in _text(mara, seen)

    # Ravi signs in in a browser of his own and finds the project, with nothing that spends
    ravi_context = browser.new_context()
    ravi = ravi_context.new_page()
    ravi_errors, ravi_away = watch(ravi)
    provider_form(ravi, base, RAVI, "not his password")
    ravi.get_by_text("e-mail or password is wrong").wait_for()  # the provider's form again
    ravi.get_by_label("Password").fill(password)
    ravi.get_by_role("button", name="Sign in").click()
    ravi.wait_for_url(f"{base}/**")
    assert "Signed in as Ravi (ravi@example.com)" in _text(ravi, seen)
    assert "Harbour" in _text(ravi, seen)
    ravi.goto(f"{base}/storyboard?project={pid}")
    board = _text(ravi, seen)
    assert "Harbour · you are a reviewer" in board
    assert "planning, editing and generating scenes needs an editor" in board
    assert ravi.get_by_role("button", name=re.compile("^Generate")).count() == 0
    ravi.screenshot(path=str(shots / "reviewer-storyboard.png"), full_page=True)
    ravi.goto(f"{base}/generate?project={pid}")
    assert "generating (it spends) needs an editor" in _text(ravi, seen)
    assert ravi.get_by_role("button", name=re.compile("^Queue")).count() == 0
    with pytest.raises(PermissionDenied, match="Ravi is a reviewer on 'Harbour'; generating"):
        studio.jobs.generate(acting_user(studio.db, RAVI), pid)  # in his name, all the same
    ravi.goto(f"{base}/storyboard?project=1{pid}")  # another id in the URL: not his
    assert f"project 1{pid}: no such project" in _text(ravi, seen)

    # sign-out, and back in
    ravi.get_by_role("button", name="Sign out").click()
    assert "Sign in with this studio's account" in _text(ravi, seen)
    sign_in(ravi, base, RAVI, password)
    assert "Signed in as Ravi" in _text(ravi, seen)

    # the admin shuts Ravi out: his next click is refused
    mara.goto(f"{base}/users")
    _text(mara, seen)
    choose(mara, "Change a user", "Ravi")
    _text(mara, seen)
    mara.get_by_text("Shut out (signed out at their next click)").click()
    mara.get_by_role("button", name="Save access").click()
    assert "Saved Ravi's access" in _text(mara, seen)
    ravi.get_by_role("link", name="Storyboard").click()
    shut = _text(ravi, seen)
    assert "ravi@example.com is disabled" in shut or "this user is disabled" in shut, shut
    assert "Harbour" not in shut
    ravi.screenshot(path=str(shots / "shut-out.png"), full_page=True)

    # the owner's session idles past 12 hours: sent back to sign in
    with studio.db.session() as s:
        s.execute(update(Login).values(last_seen_at=utcnow() - timedelta(hours=13)))
    mara.reload()
    assert "Signed out after 12 hours away." in _text(mara, seen)
    sign_in(mara, base)

    # the owner reads who did what, and downloads it
    mara.goto(f"{base}/audit")
    audit_page = _text(mara, seen)
    mara.screenshot(path=str(shots / "audit.png"), full_page=True)
    assert "Everything that happened at the studio" in audit_page  # the admin reads it all
    assert re.search(r"\d+ event\(s\), newest first", audit_page)  # the table is a canvas
    with mara.expect_download() as download:
        mara.get_by_role("button", name="Download CSV").click()
    csv = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv.startswith("When (UTC),Who,Action,Project,Details")
    assert "Ravi <ravi@example.com>,joined,Harbour,role: reviewer" in csv
    assert "Local creator <local@veogen.studio>,invited a member,Harbour," in csv
    cookies = [c["value"] for c in owner_context.cookies() + ravi_context.cookies()]
    assert len(cookies) >= 2  # each browser's login cookie, at least
    assert errors == [] and ravi_errors == [], errors + ravi_errors
    assert away == [] and ravi_away == [], away + ravi_away
    seen.append(password)  # shown once to the admin: never in the log or the audit
    return csv, cookies


def _no_secrets_anywhere(settings: Settings, studio: Services, seen: list[str], log: str,
                         csv: str, cookies: list[str]) -> None:  # fmt: skip
    auth = settings.data_dir / "auth"
    kept = json.loads((auth / "local.json").read_text())
    key_lines = [
        line
        for line in (auth / "signing-key.pem").read_text().splitlines()
        if line and not line.startswith("-----")
    ]
    with studio.db.session() as s:
        hashes = list(s.scalars(select(LocalAccount.password_hash)))
        audit_rows = json.dumps(
            [[e.action, e.project_name, e.details] for e in s.scalars(select(AuditEvent))]
        )
    ravi_password = seen.pop()
    secrets = {
        "client secret": kept["client_secret"],
        "cookie secret": kept["cookie_secret"],
        **{f"signing key line {i}": line for i, line in enumerate(key_lines)},
        **{f"password hash {i}": h for i, h in enumerate(hashes)},
        **{f"cookie {i}": c for i, c in enumerate(cookies) if len(c) >= 16},
        "the local user's password": PASSWORD,
    }
    assert len(hashes) == 2 and key_lines and RAVI in audit_rows  # what is searched is there
    places = {"the studio's log": log, "the audit CSV": csv, "the audit table": audit_rows}
    places.update({f"page {i}": text for i, text in enumerate(seen)})
    leaks = [f"{what} in {where}" for what, secret in secrets.items()
             for where, text in places.items() if secret in text]  # fmt: skip
    leaks += [f"Ravi's password in {w}" for w in ("the studio's log", "the audit CSV",
              "the audit table") if ravi_password in places[w]]  # fmt: skip
    assert leaks == []
