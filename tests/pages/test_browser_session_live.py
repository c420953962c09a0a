"""A live review of a session, in the studio, in Chromium: the owner starts it and
presents; a member (signed in) and a guest (through a link) follow the presenter's item
and frame; the guest's decision lands on the take in SQL and is told to the room at once;
the member raises a hand, is handed over to, and the owner's player follows theirs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from storage import accounts, decisions, members, projects, review_sessions, scenes
from storage.models import Verdict, utcnow
from storage.settings import Settings
from storage.users import local_user
from studio.services import Services
from tests.clips import mp4_bytes
from tests.pages.browser import (
    ARGS,
    CHROMIUM,
    idle,
    need_chromium,
    sign_in,
    studio_up,
    wait_for,
    watch,
)
from tests.pages.test_browser_live import _frame, _on_frame, _video
from tests.storage.made_takes import made_take

RAE, RAE_PASSWORD = "rae@example.com", "a reviewer's password"


def test_a_member_and_a_guest_follow_the_presenter(settings: Settings, tmp_path: Path) -> None:
    sync_api = need_chromium()
    with studio_up(settings) as base:
        _journey(sync_api, settings, base, tmp_path)


def _journey(sync_api: Any, settings: Settings, base: str, shots: Path) -> None:
    studio = Services(settings)
    owner = local_user(studio.db)
    pid = projects.create_project(studio.db, owner, {"name": "Harbour"}, settings.default_model).id
    dawn, dusk = scenes.add_scenes(studio.db, owner, pid, [
        {"title": "Dawn", "prompt": "boats"}, {"title": "Dusk", "prompt": "lamps"}])  # fmt: skip
    takes = [made_take(studio.db, owner, pid, s.id, 3.0) for s in (dawn, dusk)]
    for take in takes:
        studio.media.write(take.media_key, mp4_bytes(3.0))
    accounts.add_account(studio.db, owner, RAE, "Rae", RAE_PASSWORD)
    members.invite(studio.db, owner, pid, RAE, "reviewer")
    now = utcnow()
    session = review_sessions.create_session(
        studio.db, owner, pid, "Dailies", [(t.id, None) for t in takes], now, now + timedelta(1)
    )
    link = review_sessions.add_link(studio.db, owner, session.id, "Client", now + timedelta(1))
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        size = {"viewport": {"width": 1100, "height": 1300}}
        mara, rae, dana = (browser.new_context(**size).new_page() for _ in range(3))
        errors = [watch(page)[0] for page in (mara, rae, dana)]
        sign_in(mara, base)
        sign_in(rae, base, RAE, RAE_PASSWORD)
        for page in (mara, rae):
            page.goto(f"{base}/sessions?project={pid}")
            idle(page)
            page.get_by_role("button", name="Open").first.click()
            idle(page)
        assert rae.get_by_role("button", name="Start a live review").count() == 0  # editors'
        mara.get_by_role("button", name="Start a live review").click()
        mara.get_by_text("You are presenting.").wait_for(timeout=20_000)
        rae.reload()  # a member who had the session open before it went live
        idle(rae)
        rae.get_by_text("Local creator is presenting.").wait_for(timeout=20_000)
        dana.goto(f"{base}/?guest={link.token}")
        idle(dana)
        dana.get_by_label("Your name").fill("Dana")
        dana.get_by_role("button", name="Start reviewing").click()
        dana.get_by_text("Local creator is presenting.").wait_for(timeout=20_000)
        mara.get_by_text("Here now (3)").wait_for(timeout=20_000)
        assert "Dana (guest)" in mara.inner_text("body") and "Rae" in mara.inner_text("body")

        # the presenter steps to a frame, then to the next item: both follow
        for page in (mara, rae, dana):
            page.locator(".vg-screens video").first.wait_for()
        mara.locator(".vg-player").first.click()
        for _ in range(12):
            mara.keyboard.press("ArrowRight")
            mara.wait_for_timeout(40)
        for page in (rae, dana):
            wait_for(lambda p=page: _on_frame(p, 12), "a follower on frame 13", 15)
        mara.get_by_role("button", name="Next item").click()
        for page in (rae, dana):
            page.get_by_text("Item 2 of 2 —").wait_for(timeout=15_000)
            wait_for(lambda p=page: _on_frame(p, 0), "a follower on the next item", 15)
        dana.screenshot(path=str(shots / "live-guest.png"), full_page=True)

        # the guest asks for changes: on the take in SQL, and told to everyone at once
        dana.get_by_placeholder("What to change, or why").fill("Warmer lamps")
        dana.get_by_role("button", name="Request changes").click()
        said = "Dana (guest): changes requested — 2. Dusk · take 1: Warmer lamps"
        for page in (mara, rae):
            page.get_by_text(said).wait_for(timeout=15_000)
        (latest, *_) = decisions.history(studio.db, owner, takes[1].id)
        assert (latest.who, latest.verdict, latest.note) == (
            "Dana (guest)", Verdict.changes, "Warmer lamps")  # fmt: skip

        # the member raises a hand and is handed over to: the owner now follows them
        rae.get_by_role("button", name="Raise hand").click()
        mara.get_by_role("button", name="Hand over to Rae").click()
        rae.get_by_text("You are presenting.").wait_for(timeout=15_000)
        rae.locator(".vg-player").first.click()
        for _ in range(5):
            rae.keyboard.press("ArrowRight")
            rae.wait_for_timeout(40)
        wait_for(lambda: _video(rae)["paused"] and not _video(rae)["seeking"], "Rae's step", 10)
        frame = int(_frame(rae) or -1)
        for page in (mara, dana):
            wait_for(lambda p=page: _on_frame(p, frame), "a follower on Rae's frame", 15)
        mara.screenshot(path=str(shots / "live-owner.png"), full_page=True)
        browser.close()
    assert errors == [[], [], []], errors
