"""Deletes undone in Chromium: a scene comes back at its place with its take, and an
ingredient with its image, with no console error and nothing fetched from elsewhere."""

from __future__ import annotations

from typing import Any

from storage import assets, jobs, projects, scenes
from storage.models import JobStatus
from storage.settings import Settings
from storage.users import local_user
from studio.services import Services
from tests.clips import png
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

MODEL = "veo-3.1-generate-001"  # takes ingredients


def _click(page: Any, key: str) -> None:
    """The button a page keyed ``key`` (one with a tooltip is drawn twice: to measure it,
    hidden, and to show it)."""
    page.locator(f".st-key-{key} button").first.click()
    idle(page)


def _shown(image: Any) -> bool:
    return bool(image.evaluate("i => i.complete && i.naturalWidth > 0"))


def _block(page: Any, text: str) -> Any:
    """The innermost block of the page that holds ``text``: a card, or its column."""
    return page.locator('[data-testid="stVerticalBlock"]').filter(has_text=text).last


def _said(page: Any, kind: str) -> list[str]:
    return list(page.locator(f'[data-testid="stAlertContent{kind}"]').all_inner_texts())


def test_a_deleted_scene_and_ingredient_come_back_with_undo(settings: Settings) -> None:
    sync_api = need_chromium()
    studio = Services(settings)
    owner = local_user(studio.db)
    pid = projects.create_project(studio.db, owner, {"name": "Harbour", "model": MODEL}, MODEL).id
    rows = [{"title": t, "prompt": f"the harbour at {t.lower()}", "duration": 4} for t in "ABC"]
    first, quay, last = scenes.add_scenes(studio.db, owner, pid, rows)
    mara = assets.add_asset(
        studio.db, studio.media, owner, pid, "character", "Mara", png(color="red")
    )
    scenes.update_scene(studio.db, owner, quay.id, {"references": [mara.id]})
    with studio_up(settings) as base, sync_api.sync_playwright() as pw:
        [job] = studio.jobs.generate(owner, pid, [quay.id])
        done = lambda: JobStatus(jobs.get_job(studio.db, job.id).status).finished  # noqa: E731
        wait_for(done, "the take")
        [take] = scenes.list_takes(studio.db, owner, pid)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        sign_in(page, base)
        errors, away = watch(page)

        page.goto(f"{base}/storyboard?project={pid}")
        idle(page)
        _click(page, f"del-{quay.id}")
        assert page.get_by_text("Deleted 'B'").count() == 1
        titles = page.locator('[data-testid="stMarkdownContainer"] strong').all_inner_texts()
        assert titles == ["1. A", "2. C"]
        page.get_by_role("button", name="Undo").click()
        idle(page)
        assert _said(page, "Success") == ["Restored 'B'"]
        titles = page.locator('[data-testid="stMarkdownContainer"] strong').all_inner_texts()
        assert titles == ["1. A", "2. B", "3. C"]
        assert _shown(_block(page, "2. B").locator("img"))  # its take's poster
        assert page.get_by_role("button", name="Undo").count() == 0

        page.goto(f"{base}/library?project={pid}")
        idle(page)
        _click(page, f"delete-asset-{mara.id}")
        assert page.get_by_text("Deleted 'Mara'").count() == 1
        assert page.get_by_role("heading", name="Characters").count() == 0
        page.get_by_role("button", name="Undo").click()
        idle(page)
        assert _said(page, "Success") == ["Restored 'Mara'"]
        assert _shown(_block(page, "Mara").locator("img"))
        browser.close()
    restored = scenes.list_scenes(studio.db, owner, pid)
    assert [s.id for s in restored] == [first.id, quay.id, last.id]
    assert restored[1].selected_take_id == take.id
    assert assets.attached_references(studio.db, owner, quay.id) == [mara.id]
    assert studio.media.exists(mara.media_key)
    assert errors == [] and away == []  # no console error, nothing fetched from elsewhere
