"""The Analytics page in Chromium: a producer filters to one project, clicks its bar to see
its jobs, opens one job's timeline, and downloads the jobs as CSV."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from storage.settings import Settings
from studio.services import Services
from tests.pages.analytics_events import seed
from tests.pages.browser import ARGS, CHROMIUM, choose, idle, need_chromium, sign_in, studio_up


def test_a_producer_filters_drills_down_and_downloads_the_jobs(settings: Settings) -> None:
    sync_api = need_chromium()
    seed(Services(settings))
    with studio_up(settings) as base, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
        sign_in(page, base)
        page.goto(f"{base}/analytics")
        idle(page)
        page.get_by_text("Spend by day").first.wait_for()
        assert "$5.00" in page.get_by_test_id("stMetric").first.inner_text()

        projects_box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Projects")
        projects_box.locator("input").first.click()
        page.keyboard.type("Harbour")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        idle(page)
        page.get_by_test_id("stMetric").first.get_by_text("$4.00").wait_for()

        page.get_by_test_id("stButtonGroup").get_by_text("Project", exact=True).click()
        idle(page)
        page.get_by_text("Spend by project").first.wait_for()
        bar = page.locator(".js-plotly-plot .bars path").first.bounding_box()  # what it billed
        assert bar is not None  # clicked where it is drawn: Plotly takes clicks on a layer above
        page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
        idle(page)
        page.get_by_text("2 jobs behind Harbour lights").wait_for()

        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").nth(1).click()  # the jobs' table
        saved = Path(download.value.path())
        rows = list(csv.DictReader(io.StringIO(saved.read_text())))
        assert download.value.suggested_filename.endswith(".csv")
        assert sorted(r["Job"] for r in rows) == ["101", "103"]
        assert {r["Project"] for r in rows} == {"Harbour lights"}
        assert sorted(float(r["Billed (USD)"]) for r in rows) == [0.8, 3.2]

        choose(page, "One job's timeline", "Job 101")
        idle(page)
        timeline = page.get_by_test_id("stDataFrame").last
        timeline.wait_for()
        shot = Path(os.environ.get("VEOGEN_SCREENSHOTS", "/tmp")) / "analytics-spend.png"
        page.screenshot(path=str(shot), full_page=True)
        page.get_by_role("tab", name="Generation").click()
        idle(page)
        page.get_by_text("Jobs ended per hour").first.wait_for()
        page.screenshot(path=str(shot.with_name("analytics-generation.png")), full_page=True)
        page.get_by_role("tab", name="Fleet").click()
        idle(page)
        page.get_by_text("Jobs in flight and engine slots").first.wait_for()  # the studio's engine
        page.screenshot(path=str(shot.with_name("analytics-fleet.png")), full_page=True)
        browser.close()
