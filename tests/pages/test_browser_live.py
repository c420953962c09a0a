"""A live review in Chromium: a presenter and two followers, each in a browser context of
their own, in the room of `benchmarks/live_app.py` over real clips. The followers' players
follow the item, the frame, playing, and the drawing; everyone sees who is here; a raised
hand is handed control and then drives; a decision announced reaches everyone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from storage.media import LocalMediaStore
from studio.live import LiveRoom
from tests.clips import mp4_bytes
from tests.pages.browser import ARGS, CHROMIUM, need_chromium, streamlit_up, wait_for, watch

ROOT = Path(__file__).parents[2]
ITEMS = ("live/shot-1.mp4", "live/shot-2.mp4")
ANA, BEN, CLEO = 1, 2, 3
FPS = 24


@pytest.fixture
def live_app(tmp_path: Path, redis_url: str) -> Iterator[str]:
    """`benchmarks/live_app.py` on two real clips, Ana presenting; its base URL."""
    store = LocalMediaStore(tmp_path / "data" / "media")
    for n, key in enumerate(ITEMS):
        store.write(key, mp4_bytes(3.0, height=180 + 60 * n))
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    room = LiveRoom(redis.Redis.from_url(redis_url), prefix, "bench")
    room.start(ANA)
    env = {"VEOGEN_DATA_DIR": str(tmp_path / "data"), "LIVE_REDIS_URL": redis_url,
           "LIVE_PREFIX": prefix, "LIVE_ITEMS": ",".join(ITEMS)}  # fmt: skip
    try:
        with streamlit_up(
            ROOT / "benchmarks" / "live_server.py", env, tmp_path / "app.log"
        ) as base:
            yield base
    finally:
        room.delete()


def _video(page: Any) -> dict[str, Any]:
    return dict(page.locator(".vg-screens video").first.evaluate(
        "v => ({time: v.currentTime, paused: v.paused, seeking: v.seeking})"
    ))  # fmt: skip


def _clocked(page: Any) -> tuple[float, float]:
    """When (the machine's clock, ms) the playing picture was where."""
    video = page.locator(".vg-screens video").first
    at, time = video.evaluate("v => v.paused ? null : [Date.now(), v.currentTime]")
    return float(at), float(time)


def _frame(page: Any) -> str | None:
    return page.locator(".vg-player").first.get_attribute("data-frame")  # type: ignore[no-any-return]


def _on_frame(page: Any, frame: int) -> bool:
    seen = _video(page)
    return seen["paused"] and not seen["seeking"] and _frame(page) == str(frame)


def test_followers_follow_the_presenter_and_a_raised_hand_takes_over(
    live_app: str, tmp_path: Path
) -> None:
    sync_api = need_chromium()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pages, errors = {}, []
        for who, name in ((ANA, "Ana"), (BEN, "Ben"), (CLEO, "Cleo")):
            page = browser.new_context(viewport={"width": 1000, "height": 1100}).new_page()
            errors.append(watch(page)[0])
            page.goto(f"{live_app}/?who={who}&name={name}")
            pages[name] = page
        ana, ben, cleo = pages["Ana"], pages["Ben"], pages["Cleo"]
        for page in pages.values():
            page.get_by_text("Here now (3): Ana").wait_for(timeout=60_000)
            page.locator(".vg-screens video").first.wait_for()
        assert "Here now (3): Ana (you, presenting), Ben, Cleo" in ana.inner_text("body")
        assert "Ana is presenting." in ben.inner_text("body")
        assert ben.get_by_role("button", name="Next item").count() == 0  # only the presenter's

        # the presenter steps to a frame: the followers' players go there too
        ana.locator(".vg-player").first.click()
        for _ in range(12):
            ana.keyboard.press("ArrowRight")
            ana.wait_for_timeout(40)
        for page in (ben, cleo):
            wait_for(lambda p=page: _on_frame(p, 12), "a follower on frame 13", 10)

        # another item, played: the followers play it, within a couple of frames
        ana.get_by_role("button", name="Next item").click()
        for page in (ben, cleo):
            page.get_by_text("Item 2 of 2 —").wait_for(timeout=10_000)
            wait_for(lambda p=page: _on_frame(p, 0), "a follower on the next item", 10)
        ana.get_by_role("button", name="Play", exact=True).click()
        ana.wait_for_timeout(1500)
        for page in (ben, cleo):  # where Ana's is at the moment each was read
            (lead_at, lead), (at, there) = _clocked(ana), _clocked(page)
            assert abs(there - (lead + (at - lead_at) / 1000)) < 3 / FPS
        ana.get_by_role("button", name="Pause", exact=True).click()
        wait_for(lambda: _video(ana)["paused"] and not _video(ana)["seeking"], "the pause", 10)
        paused_on = int(_frame(ana) or -1)
        for page in (ben, cleo):
            wait_for(lambda p=page: _on_frame(p, paused_on), "a follower paused with Ana", 10)

        # the presenter's drawing shows over the followers' pictures
        ana.get_by_role("button", name="Box", exact=True).click()
        area = ana.locator(".vg-overlay").bounding_box()
        assert area
        x, y, w, h = area["x"], area["y"], area["width"], area["height"]
        ana.mouse.move(x + 0.3 * w, y + 0.3 * h)
        ana.mouse.down()
        ana.mouse.move(x + 0.6 * w, y + 0.7 * h, steps=5)
        ana.mouse.up()
        for page in (ben, cleo):
            wait_for(lambda p=page: p.locator(".vg-overlay > *").count() == 1, "the drawing", 10)

        # a decision announced reaches everyone at once
        ana.get_by_role("button", name="Approve Shot 2").click()
        for page in (ben, cleo):
            page.get_by_text("Ana approved Shot 2").wait_for(timeout=10_000)
        ana.screenshot(path=str(tmp_path / "live-presenter.png"), full_page=True)
        ben.screenshot(path=str(tmp_path / "live-follower.png"), full_page=True)

        # Ben raises his hand; Ana hands over; Ben drives and the others follow him
        ben.get_by_role("button", name="Raise hand").click()
        ana.get_by_text("Ben (hand raised)").wait_for(timeout=10_000)
        ana.get_by_role("button", name="Hand over to Ben").click()
        ben.get_by_text("You are presenting.").wait_for(timeout=10_000)
        ana.get_by_text("Ben is presenting.").wait_for(timeout=10_000)
        cleo.get_by_text("Ben is presenting now").wait_for(timeout=10_000)
        ben.locator(".vg-player").first.click()
        ben.keyboard.press("Shift+ArrowLeft")  # back a second
        wait_for(lambda: _video(ben)["paused"] and not _video(ben)["seeking"], "Ben's seek", 10)
        frame = int(_frame(ben) or -1)
        assert frame == max(0, paused_on - FPS)
        for page in (ana, cleo):
            wait_for(lambda p=page: _on_frame(p, frame), "a follower on Ben's frame", 10)
        ben.screenshot(path=str(tmp_path / "live-new-presenter.png"), full_page=True)
        browser.close()
    assert errors == [[], [], []]
