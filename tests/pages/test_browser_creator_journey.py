"""A creator's whole job in Chromium, offline: a project planned from a script, scenes
edited and reordered, an ingredient and a music bed uploaded, takes generated with their
progress on screen, compared in sync and chosen, the cut built on the timeline (order,
transition, trim, title card, captions, music), rendered, played and downloaded; with the
refusals a careless user meets on the way. Every page visited shows no exception and the
browser logs no console error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import pytest

from storage import assets, cut, jobs, projects, scenes
from storage.models import JobStatus
from storage.settings import Settings
from storage.users import local_user
from studio.services import Services
from tests.clips import png, sound
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
    wait_for,
    watch,
)

SCRIPT = (
    "An old keeper climbs the lighthouse stairs with a lamp.\n\n"
    '"Is anyone out there?"\n\n'
    "The beam sweeps the dark sea and finds a small boat.\n\n"
    "Morning. The boat is moored in the calm harbour."
)


def alerts(page: Any, kind: str = "Error") -> list[str]:
    texts: list[str] = page.locator(f'[data-testid="stAlertContent{kind}"]').all_inner_texts()
    return texts


def settle(page: Any) -> None:
    """Wait for the run a click started; it must have shown no exception."""
    idle(page)
    shown = page.locator('[data-testid="stException"]').all_inner_texts()
    assert not shown, f"{page.url}: {shown[0][:2000]}"


def visit(page: Any, url: str) -> None:
    page.goto(url)
    settle(page)


def finished(studio: Services, pid: int) -> bool:
    return jobs.active_count(studio.db, pid) == 0


@pytest.mark.timeout(600)
def test_a_creator_makes_a_movie_from_a_script(settings: Settings, tmp_path: Path) -> None:
    sync_api = need_chromium()
    studio = Services(settings)
    files = {"keeper.png": png(color="navy"), "theme.wav": sound(20)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    with studio_up(settings) as base, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        sign_in(page, base)
        errors, away = watch(page)
        pid = _create_and_plan(page, base, studio)
        _edit_and_reorder(page, base, studio, pid)
        _upload(page, base, studio, pid, tmp_path)
        _generate(page, base, studio, pid)
        _compare_and_choose(page, base, studio, pid)
        _build_the_cut(page, base, studio, pid)
        movie = _render_play_download(page, base, studio, pid, tmp_path)
        browser.close()
    assert errors == [] and away == []  # no console error, nothing fetched from elsewhere
    expected = cut.list_movies(studio.db, local_user(studio.db), pid)[0].duration
    with av.open(str(movie)) as container:
        seconds = float(container.duration or 0) / av.time_base
        assert abs(seconds - expected) < 0.1
        assert container.streams.audio, "the music bed and the clips' sound are in the file"


def _create_and_plan(page: Any, base: str, studio: Services) -> int:
    visit(page, f"{base}/")
    page.get_by_text("New project").click()
    page.get_by_label("Name").first.fill("Lighthouse")
    page.get_by_label("Budget (USD, 0 for none)").fill("-5")
    page.get_by_role("button", name="Create project").click()
    settle(page)
    assert "budget: must be a finite amount, zero or more (USD)" in alerts(page)
    assert page.get_by_label("Name").first.input_value() == "Lighthouse"  # kept
    page.get_by_label("Budget (USD, 0 for none)").fill("0")
    page.get_by_role("button", name="Create project").click()
    settle(page)
    page.locator("button").filter(has_text=OPEN).first.click()  # the card's, not a list's
    settle(page)
    assert "/storyboard" in page.url
    [summary] = projects.list_projects(studio.db, local_user(studio.db))
    pid = summary.project.id
    page.get_by_text("Plan from a script").click()
    page.get_by_label("Logline or script").fill(SCRIPT)
    page.get_by_role("button", name="Plan scenes").click()
    settle(page)
    page.get_by_role("button", name="scene(s) to the storyboard").click()
    settle(page)
    planned = scenes.list_scenes(studio.db, local_user(studio.db), pid)
    assert len(planned) == 3
    # the line of dialogue stays with the keeper's climb, never a scene of its own
    assert "Is anyone out there?" in planned[0].prompt
    return pid


def _edit_and_reorder(page: Any, base: str, studio: Services, pid: int) -> None:
    page.get_by_role("button", name="Edit").first.click()
    settle(page)
    title = page.get_by_role("textbox", name="Title", exact=True)
    title.fill("The climb")
    prompt = page.get_by_role("textbox", name="Prompt", exact=True)
    prompt.fill("x" * 4001)  # over the limit: refused in words, the text kept
    page.get_by_role("button", name="Save scene").click()
    settle(page)
    assert any("4000" in a or "4,000" in a for a in alerts(page)), alerts(page)
    assert len(page.get_by_role("textbox", name="Prompt", exact=True).input_value()) == 4001
    page.get_by_role("textbox", name="Prompt", exact=True).fill(
        'An old keeper climbs the lighthouse stairs with a lamp. "Is anyone out there?"'
    )
    page.get_by_role("textbox", name="Title", exact=True).fill("The climb")
    page.get_by_role("button", name="Save scene").click()
    settle(page)
    # the last scene moves to the front, dragged on the storyboard's strip
    strips = page.locator(".vg-clip .vg-strip")
    last, first = strips.nth(2).bounding_box(), strips.nth(0).bounding_box()
    page.mouse.move(last["x"] + 20, last["y"] + 30)
    page.mouse.down()
    page.mouse.move(last["x"] - 10, last["y"] + 30, steps=3)
    page.mouse.move(first["x"] + 5, first["y"] + 30, steps=10)
    page.mouse.up()
    settle(page)
    titles = [s.title for s in scenes.list_scenes(studio.db, local_user(studio.db), pid)]
    assert titles[:2] == ["Morning", "The climb"], titles
    # and scene 2 to the front with its card's button
    climb = scenes.list_scenes(studio.db, local_user(studio.db), pid)[1]
    page.locator(f".st-key-up-{climb.id} button").first.click()
    settle(page)
    titles = [s.title for s in scenes.list_scenes(studio.db, local_user(studio.db), pid)]
    assert titles[0] == "The climb", titles


def _upload(page: Any, base: str, studio: Services, pid: int, folder: Path) -> None:
    for kind, name, file in (
        ("character", "Keeper", "keeper.png"),
        ("music", "Harbour theme", "theme.wav"),
    ):
        visit(page, f"{base}/library?project={pid}")
        page.get_by_text("Upload to the library").click()
        choose(page, "Kind", kind)
        page.get_by_role("textbox", name="Name").fill(name)
        upload(page, folder / file)
        page.get_by_role("button", name="Upload", exact=True).click()
        settle(page)
        assert not alerts(page), alerts(page)
    kinds = sorted(a.kind for a in assets.list_assets(studio.db, local_user(studio.db), pid))
    assert kinds == ["character", "music"]


def _generate(page: Any, base: str, studio: Services, pid: int) -> None:
    visit(page, f"{base}/generate?project={pid}")
    page.get_by_role("button", name="Queue 3 scene(s)").click()
    # progress is on screen while the engine works, then every job has ended
    page.locator('[data-testid="stProgress"]').first.wait_for(timeout=30_000)
    wait_for(lambda: finished(studio, pid), "the takes", timeout=180)
    # the page that queued them says so when they are made
    toasts = page.locator('[data-testid="stToast"]')
    toasts.filter(has_text="see it on the Takes page").first.wait_for(timeout=30_000)
    # a second take of the first scene, from its card, to compare
    visit(page, f"{base}/storyboard?project={pid}")
    page.get_by_role("button", name="Generate more").first.click()
    page.get_by_role("button", name="New take · free draft").click()
    settle(page)
    wait_for(lambda: finished(studio, pid), "the second take", timeout=120)
    made = scenes.list_takes(studio.db, local_user(studio.db), pid)
    assert len(made) == 4 and all(
        jobs.get_job(studio.db, t.job_id).status == JobStatus.succeeded for t in made if t.job_id
    )


def _compare_and_choose(page: Any, base: str, studio: Services, pid: int) -> None:
    visit(page, f"{base}/takes?project={pid}")
    player = page.locator(".vg-player")
    assert player.locator("video").count() == 2  # the scene's two takes, side by side
    player.focus()
    page.keyboard.press("Space")
    page.wait_for_timeout(1200)
    # in sync while they play (read in one tick), not only once paused on one frame
    playing = player.locator("video").evaluate_all(
        "(vs) => vs.map((v) => [v.currentTime, v.paused])"
    )
    assert playing[0][0] > 0.5 and not playing[1][1], playing
    assert abs(playing[0][0] - playing[1][0]) < 3 / 24, playing
    page.keyboard.press("Space")
    settle(page)
    frame = int(player.get_attribute("data-frame") or 0)
    page.keyboard.press("ArrowRight")
    settle(page)
    assert int(player.get_attribute("data-frame") or 0) == frame + 1
    page.get_by_role("button", name="Use this take in the movie").first.click()
    settle(page)
    assert alerts(page, "Success")
    page.get_by_role("radio", name="4 out of 5 stars").first.click()
    page.get_by_role("textbox", name="Note").first.fill("the light is right")
    page.get_by_role("button", name="Save rating and note").first.click()
    settle(page)
    rated = [t for t in scenes.list_takes(studio.db, local_user(studio.db), pid) if t.rating]
    assert [(t.rating, t.note) for t in rated] == [(4, "the light is right")]


def _build_the_cut(page: Any, base: str, studio: Services, pid: int) -> None:
    visit(page, f"{base}/movie?project={pid}")
    before = [s.id for s in scenes.list_scenes(studio.db, local_user(studio.db), pid)]
    page.locator(".vg-clip").nth(2).focus()
    page.keyboard.press("Alt+ArrowLeft")  # the last clip one place earlier, from the keyboard
    settle(page)
    after = [s.id for s in scenes.list_scenes(studio.db, local_user(studio.db), pid)]
    assert after == [before[0], before[2], before[1]], (before, after)
    page.locator(".vg-tr").first.click()
    page.locator(".vg-popover select").select_option("crossfade")
    page.locator(".vg-popover input").fill("0.5")
    page.locator(".vg-popover .vg-apply").click()
    settle(page)
    page.locator(".vg-clip").nth(1).click()
    page.get_by_label("Trim start (s)").fill("9")  # longer than the take: refused
    page.get_by_role("button", name="Apply trims").click()
    settle(page)
    assert any("would leave less than 0.5 s" in a for a in alerts(page)), alerts(page)
    page.locator(".vg-clip").nth(1).click()
    page.get_by_label("Trim start (s)").fill("0.5")
    page.get_by_role("button", name="Apply trims").click()
    settle(page)
    ordered = scenes.list_scenes(studio.db, local_user(studio.db), pid)
    assert (ordered[1].transition, ordered[1].trim_in) == ("crossfade", 0.5)
    page.get_by_label("Title card text (blank: none)").fill("The Lighthouse")
    choose(page, "Music bed", "Harbour theme")
    page.get_by_role("button", name="Save cards and music").click()
    settle(page)
    page.get_by_text("Captions", exact=True).click()
    page.get_by_role("button", name="Draft from the dialogue").first.click()
    settle(page)
    assert scenes.list_scenes(studio.db, local_user(studio.db), pid)[0].captions


def _render_play_download(page: Any, base: str, studio: Services, pid: int, folder: Path) -> Path:
    page.get_by_role("button", name="Render the movie").click()
    # the version appears on the page that queued it, without a reload
    page.get_by_text("Version 1", exact=False).first.wait_for(timeout=240_000)
    settle(page)
    player = page.locator(".vg-player").first
    player.focus()
    page.keyboard.press("Space")
    page.wait_for_timeout(1000)
    page.keyboard.press("Space")
    settle(page)
    assert int(player.get_attribute("data-frame") or 0) > 0
    with page.expect_download() as download:
        page.get_by_role("button", name="MP4").first.click()
    saved = folder / "movie.mp4"
    download.value.save_as(saved)
    return saved
