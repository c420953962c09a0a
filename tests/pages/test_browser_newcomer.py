"""A newcomer's first clicks in Chromium: a refused project keeps what was typed, Open goes
to the storyboard, a music bed uploads in the Library, and nothing leaves the machine."""

from __future__ import annotations

from pathlib import Path

from storage import assets, projects
from storage.settings import Settings
from storage.users import local_user
from studio.services import Services
from tests.clips import sound
from tests.pages.browser import (
    ARGS,
    CHROMIUM,
    OPEN,
    choose,
    idle,
    need_chromium,
    sign_in,
    studio_up,
    upload,
    watch,
)


def test_a_newcomer_creates_opens_and_uploads_without_losing_work(
    settings: Settings, tmp_path: Path
) -> None:
    sync_api = need_chromium()
    studio = Services(settings)
    bed = tmp_path / "harbour.wav"
    bed.write_bytes(sound(2))
    with studio_up(settings) as base, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        sign_in(page, base)
        errors, away = watch(page)
        page.goto(f"{base}/")
        idle(page)
        assert page.get_by_role("button", name="Deploy").count() == 0
        page.get_by_text("New project").click()
        page.get_by_label("Description").fill("A short film about a harbour")
        page.get_by_role("button", name="Create project").click()
        idle(page)
        alerts = page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
        assert "name: is required" in alerts
        assert page.get_by_label("Description").input_value() == "A short film about a harbour"
        page.get_by_label("Name").first.fill("Harbour")
        page.get_by_role("button", name="Create project").click()
        idle(page)
        assert (
            "Created 'Harbour'"
            in page.locator('[data-testid="stAlertContentSuccess"]').all_inner_texts()
        )
        page.locator("button").filter(has_text=OPEN).first.click()  # the card's, not a list's
        idle(page)
        assert "/storyboard" in page.url and page.get_by_role("heading", name="Storyboard").count()
        [project] = [s.project for s in projects.list_projects(studio.db, local_user(studio.db))]
        page.goto(f"{base}/library?project={project.id}")
        idle(page)
        page.get_by_text("Upload to the library").click()
        choose(page, "Kind", "music")
        page.get_by_role("textbox", name="Name").fill("Harbour theme")
        upload(page, bed)
        page.get_by_role("button", name="Upload", exact=True).click()
        idle(page)
        page.get_by_role("heading", name="Music beds").wait_for()  # after the rerun it made
        browser.close()
    [music] = assets.list_assets(studio.db, local_user(studio.db), project.id)
    assert (music.kind, music.name, music.seconds) == ("music", "Harbour theme", 2.0)
    assert errors == [] and away == []  # no console error, nothing fetched from elsewhere
