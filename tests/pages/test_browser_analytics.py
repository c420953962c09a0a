"""The Analytics page in Chromium: a producer filters to one project, clicks its bar to see
its jobs, opens one job's timeline, downloads the jobs as CSV, then clicks a failure
reason's bar and a percentile's bar to see the jobs behind them."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

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
        click_bar(page, "Spend by project")  # what it billed
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
        click_bar(page, "Top failure reasons")  # the one reason: quota
        page.get_by_text("1 job behind Failed: Quota").wait_for()
        with page.expect_download() as download:  # after jobs per hour's, outcomes', reasons'
            page.get_by_role("button", name="Download CSV").nth(3).click()
        (failed,) = csv.DictReader(io.StringIO(Path(download.value.path()).read_text()))
        assert failed["Job"] == "104" and "RESOURCE_EXHAUSTED" in failed["Why it failed"]
        click_bar(page, "Generation time per model")  # the median's bar: every job reaches it
        page.get_by_text("2 jobs behind Generation time, Median (p50)").wait_for()  # Harbour's
        page.screenshot(path=str(shot.with_name("analytics-generation.png")), full_page=True)
        page.get_by_role("tab", name="Fleet").click()
        idle(page)
        page.get_by_text("Jobs in flight and engine slots").first.wait_for()  # the studio's engine
        page.screenshot(path=str(shot.with_name("analytics-fleet.png")), full_page=True)
        browser.close()


def click_bar(page: Any, title: str) -> None:
    """Click the first bar of the chart of ``title``, where it is drawn (Plotly takes clicks
    on a layer above the bars)."""
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text=title)
    chart.scroll_into_view_if_needed()
    bar = chart.locator(".bars path").first.bounding_box()
    assert bar is not None, f"no bar drawn in {title!r}"
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    idle(page)
