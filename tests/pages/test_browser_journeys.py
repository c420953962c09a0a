"""Journeys through the running studio in Chromium, as a creator meets it: a refusal that
stays on screen after the rerun, a render queued on the Movie page that appears there when
it ends, and the movie version downloaded whole."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av

from storage import jobs, projects, scenes
from storage.models import JobStatus
from storage.settings import Settings
from storage.users import local_user
from studio.services import Services
from tests.pages.browser import ARGS, CHROMIUM, idle, need_chromium, sign_in, studio_up, wait_for


def _counting(fetched: list[str]) -> type[BaseHTTPRequestHandler]:
    class Counting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetched.append(self.path)
            self.send_response(404)
            self.end_headers()

    return Counting


def test_a_creator_reads_a_refusal_and_downloads_the_movie(
    settings: Settings, tmp_path: Path
) -> None:
    sync_api = need_chromium()
    studio = Services(settings)
    owner = local_user(studio.db)
    pid = projects.create_project(studio.db, owner, {"name": "Harbour"}, settings.default_model).id
    fetched: list[str] = []  # a name written as a Markdown image must not make a request
    pixel = ThreadingHTTPServer(("127.0.0.1", 0), _counting(fetched))
    threading.Thread(target=pixel.serve_forever, daemon=True).start()
    bait = f"![pixel](http://127.0.0.1:{pixel.server_port}/pixel.png)"
    projects.create_project(studio.db, owner, {"name": bait}, settings.default_model)
    scenes.add_scenes(studio.db, owner, pid, [{"prompt": "a quay at dusk", "duration": 4}] * 2)
    try:
        with studio_up(settings) as base:
            _journey(sync_api, studio, owner, pid, base, bait, fetched, tmp_path)
    finally:
        pixel.shutdown()


def _journey(sync_api: Any, studio: Services, owner: Any, pid: int, base: str, bait: str,
             fetched: list[str], tmp_path: Path) -> None:  # fmt: skip
    generated = studio.jobs.generate(owner, pid)
    done = lambda: all(  # noqa: E731
        JobStatus(jobs.get_job(studio.db, j.id).status).finished for j in generated
    )
    wait_for(done, "the takes")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(accept_downloads=True)
        sign_in(page, base)
        page.goto(f"{base}/")
        idle(page)
        page.get_by_role("button", name="Rename").first.click()
        idle(page)
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("New name").fill("   ")
        dialog.get_by_role("button", name="Save").click()
        page.wait_for_timeout(1500)
        idle(page)
        assert "name: is required" in dialog.inner_text()  # kept across the rerun it made
        dialog.get_by_role("button", name="Cancel").click()
        idle(page)
        assert page.get_by_text(bait).count() == 1 and fetched == []  # text, not an image
        page.goto(f"{base}/movie?project={pid}")
        idle(page)
        preset = page.locator('[data-testid="stSelectbox"]').filter(has_text="Preset")
        preset.locator("input").first.click()
        page.keyboard.type("720p")
        page.keyboard.press("Enter")
        idle(page)
        page.get_by_role("button", name="Render the movie").click()
        # the version appears when the render ends, without leaving the page
        page.get_by_text("Version 1", exact=False).first.wait_for(timeout=120_000)
        idle(page)
        with page.expect_download() as download:
            page.get_by_role("button", name="MP4").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        browser.close()
    assert saved.name.startswith("v1-")
    with av.open(str(saved)) as movie:  # the whole movie: two 4 s takes, cut together
        assert abs(float(movie.duration / av.time_base) - 8.0) < 0.1
        assert movie.streams.video[0].width == 1280
