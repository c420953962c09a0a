"""Review sessions in Chromium: the owner sets up a session of two takes (in an order, with
a passphrase) and makes a guest link; a guest, not signed in, comes in through it, sees
those two takes and nothing else, comments at a frame and approves; a member is told in
their inbox and reviews from the studio; the closing report lists every comment and
decision with its frame; a revoked link, and an expired one (the studio's clock moved a
day on, not waited for), stop at once."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from storage import accounts, decisions, members, projects, scenes
from storage.models import Verdict
from storage.settings import Settings
from storage.users import local_user
from studio.services import Services
from tests.clips import mp4_bytes
from tests.pages.browser import (
    ARGS,
    CHROMIUM,
    faked_clock,
    idle,
    need_chromium,
    sign_in,
    studio_up,
    watch,
)
from tests.storage.made_takes import made_take

RAE, RAE_PASSWORD = "rae@example.com", "a reviewer's password"
PASSPHRASE = "harbour lights"


def pick(page: Any, label: str, option: str) -> None:
    """Add ``option`` to the multiselect labelled ``label``, as a person types it."""
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text=label)
    box.locator("input").first.click()
    page.keyboard.type(option)
    page.get_by_role("option").filter(has_text=option).first.click()
    page.keyboard.press("Escape")
    idle(page)


def shown_item(page: Any) -> str:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Item")
    return str(box.locator("input").input_value())


def body(page: Any) -> str:
    return str(page.inner_text("body"))


def test_a_session_with_a_guest_a_member_and_its_report(settings: Settings, tmp_path: Path) -> None:
    sync_api = need_chromium()
    clock = tmp_path / "clock"
    with studio_up(settings, extra_env=faked_clock(clock)) as base:
        _journey(sync_api, settings, base, tmp_path, clock)


def _journey(sync_api: Any, settings: Settings, base: str, shots: Path, clock: Path) -> None:
    studio = Services(settings)
    owner = local_user(studio.db)
    pid = projects.create_project(studio.db, owner, {"name": "Harbour"}, settings.default_model).id
    dawn, dusk = scenes.add_scenes(studio.db, owner, pid, [
        {"title": "Dawn", "prompt": "boats"}, {"title": "Dusk", "prompt": "lamps"}])  # fmt: skip
    takes = [made_take(studio.db, owner, pid, s.id, 2.0) for s in (dawn, dusk, dusk)]
    for take in takes:
        studio.media.write(take.media_key, mp4_bytes(2.0))
    accounts.add_account(studio.db, owner, RAE, "Rae", RAE_PASSWORD)
    members.invite(studio.db, owner, pid, RAE, "reviewer")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        rae = browser.new_context().new_page()  # a member before the session is set up
        rae_errors, _ = watch(rae)
        sign_in(rae, base, RAE, RAE_PASSWORD)
        mara = browser.new_context(accept_downloads=True).new_page()
        errors, away = watch(mara)
        sign_in(mara, base)
        mara.goto(f"{base}/sessions?project={pid}")
        idle(mara)
        mara.get_by_label("Name").fill("Dailies")
        pick(mara, "in the order to review them", "2. Dusk · take 2")
        pick(mara, "in the order to review them", "1. Dawn · take 1")
        mara.get_by_role("textbox", name="Passphrase for guests (optional)").fill(PASSPHRASE)
        mara.screenshot(path=str(shots / "session-new.png"), full_page=True)
        mara.get_by_role("button", name="Create the session").click()
        idle(mara)
        assert "Review session 'Dailies' created" in body(mara)
        mara.get_by_role("button", name="Open").first.click()
        idle(mara)
        mara.screenshot(path=str(shots / "session-opened.png"), full_page=True)
        assert shown_item(mara) == "1 of 2 · 2. Dusk · take 2 · draft"  # opened, at its first
        mara.get_by_label("For whom").fill("The client")
        mara.get_by_label("Works for (days)").fill("1")
        mara.get_by_role("button", name="Make a guest link").click()
        idle(mara)
        address = mara.locator("code").filter(has_text="?guest=").first.inner_text().strip()
        mara.screenshot(path=str(shots / "session-owner.png"), full_page=True)

        # a guest, signed in nowhere: the passphrase first, then the session's two takes
        guest = browser.new_context().new_page()
        guest_errors, guest_away = watch(guest)
        guest.goto(address)
        idle(guest)
        guest.get_by_label("Your name").fill("Dana")
        guest.get_by_label("Passphrase").fill("not it")
        guest.get_by_role("button", name="Start reviewing").click()
        idle(guest)
        assert "not this session's passphrase" in body(guest)
        guest.get_by_label("Passphrase").fill(PASSPHRASE)
        guest.get_by_role("button", name="Start reviewing").click()
        idle(guest)
        assert "You are reviewing as Dana (guest)" in body(guest)
        assert "Dailies" in body(guest) and "Projects" not in body(guest)  # no menu
        guest.locator('[data-testid="stSelectbox"]').filter(has_text="Item").click()
        options = guest.locator('[role="option"]').all_inner_texts()
        assert [o.split(" · ")[0] for o in options] == ["1 of 2", "2 of 2"], options
        assert "2. Dusk · take 2" in options[0], options  # the order set
        guest.keyboard.press("Escape")
        guest.locator(".vg-player").first.click()
        for _ in range(5):
            guest.keyboard.press("ArrowRight")
            guest.wait_for_timeout(60)
        idle(guest)
        guest.get_by_placeholder("What should change here?").fill("The lamp flickers")
        guest.get_by_role("button", name="Comment", exact=True).click()
        idle(guest)
        assert "Comment added at frame 6" in body(guest)
        guest.get_by_role("button", name="Approve").click()
        idle(guest)
        assert "approved" in body(guest)
        guest.reload()  # the same browser: still Dana, not asked again
        idle(guest)
        assert "You are reviewing as Dana (guest)" in body(guest)
        guest.screenshot(path=str(shots / "session-guest.png"), full_page=True)
        assert decisions.history(studio.db, owner, takes[2].id)[0].who == "Dana (guest)"
        elsewhere = guest.context.new_page()  # anywhere else, the guest meets the sign-in page
        elsewhere.goto(f"{base}/review?project={pid}")
        idle(elsewhere)
        assert "Sign in with" in body(elsewhere) and "The lamp flickers" not in body(elsewhere)
        elsewhere.close()

        # a member hears of it in their inbox, and reviews from the studio
        rae.goto(f"{base}/sessions?project={pid}")
        idle(rae)
        rae.get_by_role("button", name="Inbox · 1 new").click()
        rae.get_by_text("set up the review session 'Dailies' (2 item(s))").wait_for()
        rae.keyboard.press("Escape")
        rae.get_by_role("button", name="Open").first.click()
        idle(rae)
        assert "Guest links" not in body(rae)  # an editor's
        rae.get_by_role("button", name="Next").click()
        idle(rae)
        rae.get_by_placeholder("What should change here?").fill("Hold the last frame")
        rae.get_by_role("button", name="Comment", exact=True).click()
        idle(rae)
        rae.get_by_placeholder("What to change, or why").fill("Slower, please")
        rae.get_by_role("button", name="Request changes").click()
        idle(rae)

        # the owner revokes another link; a guest of it is stopped at their next step
        mara.get_by_label("For whom").fill("Agency")
        mara.get_by_role("button", name="Make a guest link").click()
        idle(mara)
        second = mara.locator("code").filter(has_text="?guest=").last.inner_text().strip()
        ben = browser.new_context().new_page()
        ben.goto(second)
        idle(ben)
        ben.get_by_label("Your name").fill("Ben")
        ben.get_by_label("Passphrase").fill(PASSPHRASE)
        ben.get_by_role("button", name="Start reviewing").click()
        idle(ben)
        assert "You are reviewing as Ben (guest)" in body(ben)
        mara.get_by_role("button", name="Revoke").last.click()
        idle(mara)
        assert "The link for Agency no longer works" in body(mara)
        ben.reload()
        idle(ben)
        assert "This guest link was revoked" in body(ben) and "Approve" not in body(ben)

        # 20 hours on, the first link (a day) still works; 26 hours on, it has expired
        clock.write_text("+20h\n")
        guest.get_by_role("button", name="Next").click()
        idle(guest)
        assert shown_item(guest).startswith("2 of 2")
        clock.write_text("+26h\n")
        guest.get_by_role("button", name="Previous").click()
        idle(guest)
        assert "This guest link expired at" in body(guest), body(guest)
        guest.screenshot(path=str(shots / "session-expired.png"), full_page=True)

        # the owner (signed out by then, away over 12 hours) closes the session: the report
        # lists every comment and decision, with its frame
        sign_in(mara, base)
        mara.goto(f"{base}/sessions?project={pid}")
        idle(mara)
        mara.get_by_role("button", name="Open").first.click()
        idle(mara)
        mara.get_by_role("button", name="Close the session").click()
        mara.get_by_role("button", name="Close it now").click()
        idle(mara)
        assert "'Dailies' is closed" in body(mara)
        with mara.expect_download() as download:
            mara.get_by_role("button", name="Report (CSV)").click()
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
        said = [(r["position"], r["who"], r["kind"], r["text"], r["frame"]) for r in rows]
        assert said == [
            ("1", "Dana (guest)", "comment", "The lamp flickers", "6"),
            ("1", "Dana (guest)", "approved", "", ""),
            ("2", "Rae", "comment", "Hold the last frame", "1"),
            ("2", "Rae", "changes requested", "Slower, please", ""),
        ], said
        with mara.expect_download() as download:
            mara.get_by_role("button", name="Report (HTML, with frames)").click()
        page = Path(download.value.path()).read_text()
        assert page.count("<img alt='frame") == 2 and "The lamp flickers" in page
        report = browser.new_context().new_page()
        report.set_content(page)
        report.screenshot(path=str(shots / "session-report.png"), full_page=True)
        assert errors == [] and guest_errors == [] and rae_errors == [], (
            errors + guest_errors + rae_errors
        )
        assert away == [] and guest_away == [], away + guest_away
        assert decisions.history(studio.db, owner, takes[0].id)[0].verdict == Verdict.changes
        browser.close()
