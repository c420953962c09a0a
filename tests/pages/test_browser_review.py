"""Review in Chromium, two people signed in: a reviewer steps the player to a frame and
comments there; the comment is stored at that frame, and "Show frame" brings the player
back to it (the picture on screen is that frame: each frame of the take is its own grey,
as PyAV wrote it); a comment holding an image in HTML or Markdown is shown as text and
fetches nothing; the owner replies and resolves; the reviewer's approval chooses the take."""

from __future__ import annotations

import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import av
import opentimelineio as otio
from PIL import Image

from storage import accounts, comments, members, projects, scenes
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
from tests.storage.made_takes import made_take

RAE, RAE_PASSWORD = "rae@example.com", "a reviewer's password"
FRAME = 12  # counted from 0, as stored; the player says "frame 13"


class Counting(BaseHTTPRequestHandler):
    fetched: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Counting.fetched.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


def _grey(page: Any) -> int:
    """The grey of the picture the player shows (the lead video, at its centre)."""
    shot = page.locator(".vg-screens video").first.screenshot()
    with Image.open(io.BytesIO(shot)) as image:
        small = image.convert("L").resize((1, 1))
        return int(small.getpixel((0, 0)))


def _draw_a_box(page: Any) -> None:
    """Choose the box, and drag one across the middle of the picture."""
    page.get_by_role("button", name="Box", exact=True).click()
    area = page.locator(".vg-overlay").bounding_box()
    assert area
    x, y, w, h = area["x"], area["y"], area["width"], area["height"]
    page.mouse.move(x + 0.3 * w, y + 0.3 * h)
    page.mouse.down()
    page.mouse.move(x + 0.5 * w, y + 0.5 * h, steps=5)
    page.mouse.move(x + 0.7 * w, y + 0.7 * h, steps=5)
    page.mouse.up()
    idle(page)


def _pyav_grey(clip: bytes, frame: int) -> int:
    with av.open(io.BytesIO(clip)) as container:
        for index, decoded in enumerate(container.decode(video=0)):
            if index == frame:
                return int(decoded.to_ndarray(format="gray").mean())
    raise AssertionError(f"the clip has no frame {frame}")


def test_a_reviewer_comments_at_a_frame_and_approves(settings: Settings, tmp_path: Path) -> None:
    sync_api = need_chromium()
    bait = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=bait.serve_forever, daemon=True).start()
    try:
        with studio_up(settings) as base:
            _journey(sync_api, settings, base, bait.server_port, tmp_path)
    finally:
        bait.shutdown()


def _journey(sync_api: Any, settings: Settings, base: str, port: int, shots: Path) -> None:
    studio = Services(settings)
    owner = local_user(studio.db)
    pid = projects.create_project(studio.db, owner, {"name": "Harbour"}, settings.default_model).id
    (scene,) = scenes.add_scenes(studio.db, owner, pid, [{"title": "Dawn", "prompt": "boats"}])
    made_take(studio.db, owner, pid, scene.id, 2.0)  # the scene's take until one is approved
    take = made_take(studio.db, owner, pid, scene.id, 2.0)
    clip = mp4_bytes(2.0)  # 48 frames, each its own grey
    studio.media.write(take.media_key, clip)
    accounts.add_account(studio.db, owner, RAE, "Rae", RAE_PASSWORD)
    members.invite(studio.db, owner, pid, RAE, "reviewer")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        rae = browser.new_context(accept_downloads=True).new_page()
        errors, away = watch(rae)
        sign_in(rae, base, RAE, RAE_PASSWORD)
        rae.goto(f"{base}/review?project={pid}")
        idle(rae)
        player = rae.locator(".vg-player").first
        player.click()  # the player takes the keys: → steps a frame
        for _ in range(FRAME):
            rae.keyboard.press("ArrowRight")
            rae.wait_for_timeout(60)
        idle(rae)
        assert player.get_attribute("data-frame") == str(FRAME)
        assert abs(_grey(rae) - _pyav_grey(clip, FRAME)) <= 6  # that frame is on screen
        rae.get_by_text("Comment at frame 13").wait_for(timeout=10_000)
        _draw_a_box(rae)
        rae.get_by_text("With your drawing (1 shape(s)) on this frame.").wait_for(timeout=10_000)
        rae.get_by_placeholder("What should change here?").fill("The boat drifts @local")
        rae.get_by_role("button", name="Comment", exact=True).click()
        idle(rae)
        assert "Comment added at frame 13" in rae.inner_text("body")
        (stored,) = comments.list_comments(studio.db, owner, take.id)
        assert (stored.comment.frame, stored.comment.mentions) == (FRAME, ["Local creator"])
        (box,) = stored.comment.drawing or []
        assert box["kind"] == "box" and box["points"][0][0] < 0.35 < 0.65 < box["points"][1][0]
        overlay = rae.locator(".vg-overlay > *")
        assert overlay.count() == 1  # the drawing, on its frame

        # markup in a comment is text, and fetches nothing
        markup = (f'<img src="http://127.0.0.1:{port}/html.png"> '
                  f"![pixel](http://127.0.0.1:{port}/markdown.png)")  # fmt: skip
        rae.get_by_placeholder("What should change here?").fill(markup)
        rae.get_by_role("button", name="Comment", exact=True).click()
        idle(rae)
        assert markup in rae.inner_text("body") and Counting.fetched == []

        # away from the frame, then back to it from the comment
        player.click()
        rae.keyboard.press("Shift+ArrowRight")
        idle(rae)
        assert player.get_attribute("data-frame") != str(FRAME)
        assert overlay.count() == 0  # on another frame: no drawing
        rae.get_by_role("button", name=f"Show frame {FRAME + 1}").first.click()
        idle(rae)
        wait_for(lambda: player.get_attribute("data-frame") == str(FRAME), "the seek", 10)
        assert overlay.count() == 1  # back on its frame, the drawing again
        assert abs(_grey(rae) - _pyav_grey(clip, FRAME)) <= 6
        rae.screenshot(path=str(shots / "review.png"), full_page=True)

        # the owner replies and resolves, in a browser of their own
        mara = browser.new_context().new_page()
        mara_errors, _ = watch(mara)
        sign_in(mara, base)
        mara.goto(f"{base}/review?project={pid}")
        idle(mara)
        mara.get_by_role("button", name="Reply", exact=True).first.click()
        idle(mara)
        mara.get_by_placeholder("Reply").fill("Fixed in the next take")
        mara.get_by_role("button", name="Send", exact=True).click()
        idle(mara)
        mara.get_by_role("button", name="Resolve").first.click()
        idle(mara)
        assert "resolved by Local creator" in mara.inner_text("body")

        # the reviewer asks for changes: only an editor may make the new take from them
        rae.reload()
        idle(rae)
        assert "Fixed in the next take" in rae.inner_text("body")
        rae.get_by_placeholder("What to change, or why").fill("Make it dusk")
        rae.get_by_role("button", name="Request changes").click()
        idle(rae)
        assert "making a new take from the notes needs an editor" in rae.inner_text("body")
        assert rae.get_by_role("button", name=re.compile("^Make the new take")).count() == 0
        mara.get_by_role("button", name=re.compile("^Make the new take")).wait_for(timeout=10_000)

        # the reviewer approves: the take becomes the scene's take in the movie
        rae.get_by_role("button", name="Approve").click()
        idle(rae)
        assert "approved (it is now the scene's take in the movie)" in rae.inner_text("body")
        assert scenes.get_scene(studio.db, owner, scene.id).selected_take_id == take.id
        assert "1 of 1 scene(s) approved" in rae.inner_text("body")
        # the owner's page, open all along, shows it without a reload
        mara.get_by_text("Approved by Rae").first.wait_for(timeout=10_000)

        # the markers an editor imports: the EDL read back by OpenTimelineIO, frame-exact
        with rae.expect_download() as download:
            rae.get_by_role("button", name="EDL markers (Resolve)").click()
        edl = Path(download.value.path()).read_text(encoding="utf-8")
        (clip,) = otio.adapters.read_from_string(edl, "cmx_3600", rate=24).find_clips()
        assert [m.marked_range.start_time.to_frames() for m in clip.markers] == [FRAME, FRAME]
        assert errors == [] and mara_errors == [], errors + mara_errors
        assert away == [], away
        browser.close()
