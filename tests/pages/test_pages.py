"""Every page through Streamlit's AppTest, against a real database and Redis."""

from __future__ import annotations

import asyncio
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from storage import assets, cut, jobs, projects, scenes
from storage.contract import Generated, NewTake
from storage.models import JobStatus, Login, User, utcnow
from storage.settings import Settings, load_settings
from storage.users import local_user
from studio.services import Services
from studio.ui import plain, services
from tests.helpers import make_worker, running, until


def page(
    name: str,
    project_id: int | None = None,
    as_user: User | None = None,
    url_project: str | None = None,
) -> AppTest:
    """A page run as the app runs it for a signed-in user (the local user unless said),
    with the project open (``project_id``) or named in the URL (``url_project``)."""
    app = AppTest.from_string(
        f"from studio.ui import services\nservices.clear()\nfrom pages import {name}\n{name}.render()\n",
        default_timeout=60,
    )
    if project_id is not None:
        app.session_state["project_id"] = project_id
    if url_project is not None:
        app.query_params["project"] = url_project
    app.session_state["user"] = as_user or local_user(Services(load_settings()).db)
    return app.run()


def seeded(studio: Services) -> int:
    user = local_user(studio.db)
    pid = projects.create_project(
        studio.db, user, {"name": "Demo film"}, studio.settings.default_model
    ).id
    scenes.add_scenes(
        studio.db, user, pid, [{"title": "Opening", "prompt": "a sunrise", "duration": 4}]
    )
    return pid


def test_projects_page_creates_and_lists(studio: Services) -> None:
    app = page("projects")
    assert not app.exception
    app.text_input[0].input("My short")
    app.button[0].click().run()  # the form's submit button
    assert not app.exception
    assert any("Created 'My short'" in s.value for s in app.success)
    assert [s.project.name for s in projects.list_projects(studio.db, local_user(studio.db))] == [
        "My short"
    ]
    assert any(h.value == "My short" for h in app.subheader)


def test_projects_page_refuses_a_blank_name_with_the_field(studio: Services) -> None:
    app = page("projects")
    app.button[0].click().run()
    assert any(plain("name: is required") in e.value for e in app.error)


def test_storyboard_page_adds_a_scene_and_shows_the_grid(studio: Services) -> None:
    pid = seeded(studio)
    app = page("storyboard", pid)
    assert not app.exception
    assert any("Opening" in m.value for m in app.markdown)
    assert "No take yet" in [c.value for c in app.caption]


def test_generate_page_queues_and_shows_progress(studio: Services) -> None:
    pid = seeded(studio)
    app = page("generate", pid)
    assert not app.exception
    assert any("Estimated cost at list prices: $0.40" in c.value for c in app.caption)
    queue = next(b for b in app.button if b.label.startswith("Queue"))
    queue.click().run()
    assert any("Queued 1 job(s)" in s.value for s in app.success)
    assert any("position 1 in the queue" in (p.proto.text or "") for p in app.get("progress"))


def test_takes_page_plays_rendered_takes(studio: Services, settings: Settings) -> None:
    pid = seeded(studio)
    queued = studio.jobs.generate(local_user(studio.db), pid)

    async def render_all() -> None:
        async with running(make_worker(settings, studio.db, "pages")):
            await until(lambda: jobs.active_count(studio.db, pid) == 0)

    asyncio.run(render_all())
    assert jobs.get_job(studio.db, queued[0].id).status == "succeeded"
    app = page("takes", pid)
    assert not app.exception
    assert len(app.get("bidi_component")) == 1  # the player, with the scene's take
    assert [t.label for t in app.multiselect] == ["Compare"]
    assert any("Draft preview" in c.value for c in app.caption)
    analytics = page("analytics")
    assert not analytics.exception
    assert analytics.metric[0].label == "Billed in these dates"
    assert len(analytics.get("plotly_chart")) == 1  # spend by day; the first is a draft's
    assert "Drafts or billed" in [s.label for s in analytics.selectbox]


def test_pages_without_a_project_say_what_to_do(studio: Services) -> None:
    for name in ("storyboard", "generate", "takes"):
        app = page(name)
        assert not app.exception
        assert app.info[0].value == "Open a project on the Projects page first."
    assert os.environ["VEOGEN_DATA_DIR"] == str(studio.settings.data_dir)


def signed_in_app(claims: dict[str, object] | None) -> AppTest:
    services.clear()  # the services of this test's data folder, not an earlier test's
    app = AppTest.from_file(
        str(Path(__file__).parents[2] / "studio" / "app.py"), default_timeout=60
    )
    app.user = {"is_logged_in": False} if claims is None else {"is_logged_in": True, **claims}
    return app.run()


MARA = {"iss": "https://idp.example", "sub": "mara-1", "iat": 1, "email": "Mara@example.com",
        "name": "Mara"}  # fmt: skip


def test_the_app_signs_in_then_opens_on_the_projects_page(studio: Services) -> None:
    app = signed_in_app(None)  # signed out: the sign-in page, and nothing else
    assert not app.exception
    assert [t.value for t in app.title] == ["VeoGen Studio"]
    app = signed_in_app(MARA)
    assert not app.exception
    assert app.title[0].value == "Projects"
    said = plain("Signed in as Mara (mara@example.com)")
    assert any(said in c.value for c in app.sidebar.caption)
    mara = app.session_state["user"]
    assert (mara.issuer, mara.subject, mara.email) == (
        "https://idp.example",
        "mara-1",
        "mara@example.com",
    )


def test_a_disabled_user_is_shut_out_at_the_next_run(studio: Services) -> None:
    app = signed_in_app(MARA)
    with studio.db.session() as s:
        s.execute(update(User).where(User.email == "mara@example.com").values(disabled=True))
    app.run()
    assert [t.value for t in app.title] == ["VeoGen Studio"]
    assert "disabled" in app.error[0].value


def test_a_login_idle_too_long_signs_in_again(studio: Services) -> None:
    app = signed_in_app(MARA)
    with studio.db.session() as s:
        s.execute(update(Login).values(last_seen_at=utcnow() - timedelta(hours=13)))
    app.run()  # idle past the 12 hours: signed out, and the sign-in page shows
    assert [t.value for t in app.title] == ["VeoGen Studio"]
    assert app.info[0].value == "Signed out after 12 hours away."
    app.run()  # its cookie is refused for good: only a new sign-in gets in
    assert app.info[0].value == "Signed out after 12 hours away."


def test_library_page_lists_uploads_by_kind_and_deletes(studio: Services) -> None:
    pid = seeded(studio)
    image = io.BytesIO()
    Image.new("RGB", (128, 128), "red").save(image, "PNG")
    assets.add_asset(
        studio.db, studio.media, local_user(studio.db), pid, "character", "Mara", image.getvalue()
    )
    app = page("library", pid)
    assert not app.exception
    assert [h.value for h in app.subheader] == ["Characters"]
    assert any("**Mara** · character" in m.value for m in app.markdown)
    next(b for b in app.button if b.label == "Delete").click().run()
    assert not app.exception
    assert assets.list_assets(studio.db, local_user(studio.db), pid) == []


def test_storyboard_plans_from_a_script_and_adds_the_scenes(
    studio: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    pid = seeded(studio)
    app = page("storyboard", pid)
    next(t for t in app.text_area if t.label == "Logline or script").input(
        "A fox wakes up in the snow.\n\nThe fox hunts at dusk."
    ).run()
    next(b for b in app.button if b.label == "Plan scenes").click().run()
    assert not app.exception
    assert any("Gemini is not configured" in i.value for i in app.info)
    next(b for b in app.button if b.label == "Add 2 scene(s) to the storyboard").click().run()
    assert not app.exception
    titles = [s.title for s in scenes.list_scenes(studio.db, local_user(studio.db), pid)]
    assert titles == ["Opening", "A fox wakes up", "The fox hunts at dusk"]


def test_improving_a_prompt_shows_a_diff_and_accept_saves_it(
    studio: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    pid = seeded(studio)
    app = page("storyboard", pid)
    next(b for b in app.button if b.label == "Edit").click().run()
    next(b for b in app.button if b.label == "Improve this prompt").click().run()
    assert not app.exception
    assert any(":green[**" in m.value for m in app.markdown)
    next(b for b in app.button if b.label == "Accept").click().run()
    [scene] = scenes.list_scenes(studio.db, local_user(studio.db), pid)
    assert scene.prompt == "a sunrise. Steady locked-off framing, richly detailed."


def test_generate_page_shows_the_budget_and_why_a_job_was_blocked(studio: Services) -> None:
    pid = seeded(studio)
    projects.update_project(studio.db, local_user(studio.db), pid, {"budget": 10})
    [job] = jobs.create_generation_jobs(studio.db, local_user(studio.db), pid, False)
    jobs.claim_job(studio.db, job.id)
    jobs.fail_job(
        studio.db, job.id, "safety", "Veo's safety filters blocked every sample", JobStatus.blocked
    )
    app = page("generate", pid)
    assert not app.exception
    assert any(c.value.startswith(plain("Budget: $10.00 left of $10.00")) for c in app.caption)
    assert any("blocked by safety filters: Veo's safety" in w.value for w in app.warning)


def test_movie_page_renders_a_version_to_play_and_download(
    studio: Services, settings: Settings
) -> None:
    pid = seeded(studio)
    queued = studio.jobs.generate(local_user(studio.db), pid)

    async def work_until_idle() -> None:
        async with running(make_worker(settings, studio.db, "movie-page")):
            await until(lambda: jobs.active_count(studio.db, pid) == 0, timeout=120)

    asyncio.run(work_until_idle())
    assert jobs.get_job(studio.db, queued[0].id).status == "succeeded"
    app = page("movie", pid)
    assert not app.exception
    assert [h.value for h in app.subheader] == ["Timeline", "Cards and music", "Export", "Versions"]
    next(s for s in app.selectbox if s.label == "Preset").set_value("720p").run()
    next(b for b in app.button if b.label == "Render the movie").click().run()
    assert any("Render queued" in s.value for s in app.success)
    asyncio.run(work_until_idle())
    app = page("movie", pid)
    assert not app.exception
    assert any(
        m.value.startswith("**Version 1** · draft cut · 4.0 s · 1280×720") for m in app.markdown
    )
    assert len(app.get("bidi_component")) == 2  # the timeline, and the version's player
    assert len(app.get("download_button")) == 4
    [movie] = cut.list_movies(studio.db, local_user(studio.db), pid)
    studio.media.local_path(movie.captions_srt_key).unlink()
    app = page("movie", pid)
    assert not app.exception
    assert any(c.value == "SRT: file missing" for c in app.caption)
    assert len(app.get("download_button")) == 3


def test_movie_page_drafts_captions_from_the_scene_dialogue(studio: Services) -> None:
    pid = seeded(studio)
    [scene] = scenes.list_scenes(studio.db, local_user(studio.db), pid)
    scenes.update_scene(
        studio.db, local_user(studio.db), scene.id,
        {"prompt": 'a sunrise; the keeper says "Morning already." and "Light the lamp!"'},
    )  # fmt: skip
    app = page("movie", pid)
    next(b for b in app.button if b.label == "Draft from the dialogue").click().run()
    assert not app.exception
    [scene] = scenes.list_scenes(studio.db, local_user(studio.db), pid)
    assert [c["text"] for c in scene.captions] == ["Morning already.", "Light the lamp!"]
    assert scene.captions[0]["start"] == 0.2 and scene.captions[-1]["end"] <= 4


def test_a_refused_rename_stays_in_its_dialog_with_what_was_typed(studio: Services) -> None:
    pid = seeded(studio)
    app = page("projects")
    assert not [t for t in app.text_input if t.label == "New name"]  # no box per card
    next(b for b in app.button if b.label == "Rename").click().run()
    next(t for t in app.text_input if t.label == "New name").set_value("  ")
    next(b for b in app.button if b.label == "Save").click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [plain("name: is required")]  # as Markdown source
    assert next(t for t in app.text_input if t.label == "New name").value == "  "
    assert projects.get_project(studio.db, local_user(studio.db), pid).name == "Demo film"
    next(t for t in app.text_input if t.label == "New name").set_value("Harbour")
    next(b for b in app.button if b.label == "Save").click().run()
    assert (
        not app.error
        and projects.get_project(studio.db, local_user(studio.db), pid).name == "Harbour"
    )
    assert not [t for t in app.text_input if t.label == "New name"]  # the dialog closed
    assert any(h.value == "Harbour" for h in app.subheader)


def test_projects_page_shows_a_page_of_twenty_and_finds_by_name(studio: Services) -> None:
    for n in range(1, 46):
        fields = {"name": f"Film {n:02d}"}
        projects.create_project(
            studio.db, local_user(studio.db), fields, studio.settings.default_model
        )
    app = page("projects")
    assert [h.value for h in app.subheader][:2] == ["Film 45", "Film 44"]
    assert len(app.subheader) == 20
    assert "Projects 1–20 of 45, newest first" in [c.value for c in app.caption]
    next(b for b in app.button if b.label == "Next").click().run()
    assert next(h.value for h in app.subheader) == "Film 25"
    app.number_input(key="projects-page").set_value(3).run()
    assert [h.value for h in app.subheader] == [f"Film {n:02d}" for n in range(5, 0, -1)]
    app.text_input(key="projects-search").input("film 1").run()
    assert [h.value for h in app.subheader] == [f"Film {n:02d}" for n in range(19, 9, -1)]
    assert not [b for b in app.button if b.label == "Next"]  # one page: no pager
    app.text_input(key="projects-search").input("nothing like it").run()
    assert app.info[0].value == "No project’s name contains “nothing like it”."


def test_an_unconfirmed_job_waits_for_a_person_to_send_it_again_or_give_up(
    studio: Services,
) -> None:
    pid = seeded(studio)
    [job] = jobs.create_generation_jobs(studio.db, local_user(studio.db), pid, False)
    jobs.claim_job(studio.db, job.id)
    jobs.fail_job(studio.db, job.id, "unconfirmed", "its answer was lost; it may have been billed")
    app = page("generate", pid)
    assert any(
        w.value.startswith("Unconfirmed: its request may have reached Google") for w in app.warning
    )
    next(b for b in app.button if b.label == "Give up").click().run()
    assert not app.exception
    assert any(s.value == f"Job {job.id} left unsent" for s in app.success)
    given_up = jobs.get_job(studio.db, job.id)
    assert given_up.error_stage == "given up" and given_up.reserved_usd == job.reserved_usd
    assert not any(b.label == "Send again" for b in app.run().button)


def test_billed_work_on_scenes_that_have_takes_waits_for_a_yes(
    studio: Services, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = seeded(studio)
    [job] = jobs.create_generation_jobs(studio.db, local_user(studio.db), pid, True)
    jobs.claim_job(studio.db, job.id)
    made = NewTake(0, "t.mp4", None, 4.0, 1280, 720, 24.0, "h264", 1, None, 0.0)
    jobs.complete_job(studio.db, job.id, Generated((made,)))  # the scene has a take
    monkeypatch.setenv("VEOGEN_DRAFTS", "false")  # Veo: this time it is billed
    app = page("generate", pid)
    assert any("already have takes: new takes of them cost an estimated $0.40" in w.value
               for w in app.warning)  # fmt: skip
    queue = next(b for b in app.button if b.label.startswith("Queue"))
    assert queue.disabled
    next(c for c in app.checkbox if c.label.startswith("Yes, make new takes")).check().run()
    assert not next(b for b in app.button if b.label.startswith("Queue")).disabled
