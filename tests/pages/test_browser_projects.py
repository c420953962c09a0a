"""Many projects in Chromium: the Projects page shows twenty at a time, pages on, finds by
name, and renames one in a dialog that keeps what was typed when it is refused."""

from __future__ import annotations

from typing import Any

from storage import projects
from storage.settings import Settings
from storage.users import local_user
from studio.services import Services
from tests.pages.browser import ARGS, CHROMIUM, idle, need_chromium, sign_in, studio_up, watch


def shown(page: Any) -> tuple[list[str], str]:
    """The project names on the page, and the line that says which of how many."""
    names = page.locator('[data-testid="stHeadingWithActionElements"] h3').all_inner_texts()
    which = page.get_by_text("newest first").inner_text()
    return names, which


def test_a_creator_pages_searches_and_renames_among_many_projects(settings: Settings) -> None:
    sync_api = need_chromium()
    studio = Services(settings)
    for n in range(1, 46):
        fields = {"name": f"Film {n:02d}"}
        projects.create_project(
            studio.db, local_user(studio.db), fields, studio.settings.default_model
        )
    with studio_up(settings) as base, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        sign_in(page, base)
        errors, away = watch(page)
        page.goto(f"{base}/")
        idle(page)
        names, which = shown(page)
        assert (names[0], len(names), which) == ("Film 45", 20, "Projects 1–20 of 45, newest first")
        assert page.get_by_role("button", name="Previous").first.is_disabled()
        page.get_by_role("button", name="Next").first.click()
        idle(page)
        assert shown(page) == ([f"Film {n:02d}" for n in range(25, 5, -1)],
                               "Projects 21–40 of 45, newest first")  # fmt: skip
        page.get_by_label("Page (of 3)").fill("3")
        page.keyboard.press("Enter")
        idle(page)
        assert shown(page)[1] == "Projects 41–45 of 45, newest first"
        assert page.get_by_role("button", name="Next").first.is_disabled()

        page.get_by_role("button", name="Rename").first.click()  # Film 05, first on page 3
        idle(page)
        dialog = page.get_by_role("dialog")
        assert dialog.get_by_label("New name").input_value() == "Film 05"
        dialog.get_by_label("New name").fill("   ")
        dialog.get_by_role("button", name="Save").click()
        idle(page)
        assert "name: is required" in dialog.inner_text()
        assert dialog.get_by_label("New name").input_value() == "   "
        dialog.get_by_label("New name").fill("Harbour lights")
        dialog.get_by_role("button", name="Save").click()
        idle(page)
        assert page.get_by_role("dialog").count() == 0
        assert shown(page)[0][0] == "Harbour lights"

        search = page.get_by_label("Search projects by name")
        search.fill("film 1")
        search.press("Enter")
        idle(page)
        assert shown(page) == ([f"Film {n:02d}" for n in range(19, 9, -1)],
                               "Projects 1–10 of 10, newest first")  # fmt: skip
        assert page.get_by_role("button", name="Next").count() == 0  # one page: no pager
        search.fill("HARBOUR")
        search.press("Enter")
        idle(page)
        assert shown(page) == (["Harbour lights"], "Projects 1–1 of 1, newest first")
        browser.close()
    assert projects.count_projects(studio.db, local_user(studio.db), search="Harbour lights") == 1
    assert errors == [] and away == []  # no console error, nothing fetched from elsewhere
