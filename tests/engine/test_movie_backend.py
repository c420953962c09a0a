"""Rendering a project's movie as an engine job: from selected takes to a kept version."""

from __future__ import annotations

import asyncio
import itertools
import threading
from pathlib import Path

import av
import pytest

from engine.client import JobClient
from storage import assets, cut, jobs, projects, scenes
from storage.captions import caption_lines, draft_captions
from storage.contract import NewMovie
from storage.db import Database
from storage.errors import InvalidInput
from storage.media import LocalMediaStore
from storage.models import JobStatus, Scene, Take, User
from storage.settings import Settings
from storage.users import local_user
from tests.clips import png, sound
from tests.helpers import make_worker, running, until


def run_jobs(settings: Settings, db: Database, ids: list[int]) -> None:
    async def go() -> None:
        async with running(make_worker(settings, db, "movie", concurrency=2)):
            await until(
                lambda: all(JobStatus(j.status).finished for j in jobs.find_jobs(db, ids).values()),
                timeout=120,
            )

    asyncio.run(go())


@pytest.fixture
def film(settings: Settings, sqlite_db: Database) -> tuple[Database, User, int, JobClient]:
    db = sqlite_db
    owner = local_user(db)
    pid = projects.create_project(db, owner, {"name": "Harbour"}, settings.default_model).id
    scenes.add_scenes(
        db,
        owner,
        pid,
        [
            {"title": "Night", "prompt": "a harbour at night", "duration": 4,
             "captions": [{"text": "Midnight", "start": 0.5, "end": 2}]},
            {"title": "Dawn", "prompt": "the harbour at dawn", "duration": 4,
             "transition": {"kind": "crossfade", "duration": 1}},
        ],
    )  # fmt: skip
    client = JobClient(db, settings.redis_url, settings.redis_prefix, drafts=True)
    return db, owner, pid, client


def test_a_render_job_makes_a_version_with_its_captions_and_cut(
    settings: Settings, film: tuple[Database, User, int, JobClient]
) -> None:
    db, owner, pid, client = film
    with pytest.raises(InvalidInput, match=r"no selected take yet: 1\. Night, 2\. Dawn"):
        client.render(owner, pid, {})
    run_jobs(settings, db, [j.id for j in client.generate(owner, pid)])
    media = LocalMediaStore(settings.media_dir)
    bed = assets.add_asset(db, media, owner, pid, "music", "Bed", sound(5))
    cut.update_cut(
        db, owner, pid,
        {"title_card": {"text": "Harbour", "duration": 1}, "music_id": bed.id},
    )  # fmt: skip
    job = client.render(owner, pid, {"preset": "720p", "aspect_ratio": "1:1", "fit": "crop"})
    run_jobs(settings, db, [job.id])
    assert jobs.get_job(db, job.id).status == JobStatus.succeeded
    [movie] = cut.list_movies(db, owner, pid)
    assert (movie.version, movie.width, movie.height) == (1, 720, 720)
    assert movie.duration == pytest.approx(1 + 4 + 4 - 1)
    with av.open(str(media.local_path(movie.media_key))) as video:
        assert abs(float(video.duration / av.time_base) - 8.0) <= 1 / 24 + 0.03
        assert video.streams.audio
    assert (
        media.local_path(movie.captions_srt_key)
        .read_text()
        .startswith("1\n00:00:01,500 --> 00:00:03,000\nMidnight\n")
    )
    assert media.exists(movie.otio_key)
    assert (movie.settings["fit"], movie.settings["copied_s"]) == ("crop", 0.0)
    again = client.render(owner, pid, {"preset": "720p"})
    run_jobs(settings, db, [again.id])
    newest, first = cut.list_movies(db, owner, pid)
    assert (newest.version, first.version) == (2, 1)
    # 16:9 720p is the takes' own format: all but the title card and the crossfade is copied
    assert newest.settings["copied_s"] == 3.0 + 3.0


def test_a_missing_take_fails_the_render_naming_its_scene(
    settings: Settings, film: tuple[Database, User, int, JobClient]
) -> None:
    db, owner, pid, client = film
    run_jobs(settings, db, [j.id for j in client.generate(owner, pid)])
    media = LocalMediaStore(settings.media_dir)
    second = scenes.list_takes(db, owner, pid)[-1]
    media.local_path(second.media_key).unlink()
    job = client.render(owner, pid, {"preset": "720p"})
    run_jobs(settings, db, [job.id])
    failed = jobs.get_job(db, job.id)
    assert (failed.status, failed.error_stage) == (JobStatus.failed, "takes")
    assert "'Dawn': its selected take's file is missing" in failed.error


def test_the_cut_is_validated_with_the_field_and_limit(
    film: tuple[Database, User, int, JobClient], tmp_path: Path
) -> None:
    db, owner, pid, client = film
    with pytest.raises(InvalidInput) as err:
        cut.update_cut(
            db, owner, pid, {"title_card": {"text": "", "duration": 30, "background": "mauve-ish"}}
        )
    assert "title_card.text: is required" in str(err.value)
    assert "title_card.duration: 30 s is out of range; allowed: 1 to 10 s" in str(err.value)
    assert "title_card.background: 'mauve-ish' is not a colour" in str(err.value)
    [night, _] = scenes.list_scenes(db, owner, pid)
    cut.update_cut(db, owner, pid, {"title_card": {"text": "Harbour", "duration": 1}})
    scenes.update_scene(db, owner, night.id, {"transition": {"kind": "crossfade", "duration": 1.5}})
    with pytest.raises(
        InvalidInput,
        match=r"title_card.duration: 1 s is shorter than the 1.5 s crossfade out of it into "
        r"scene 1 'Night'",
    ):
        client.render(owner, pid, {})
    with pytest.raises(
        InvalidInput, match=r"transition.duration: 3 s is out of range; allowed: 0.2 to 2 s"
    ):
        scenes.update_scene(db, owner, night.id, {"transition": {"kind": "wipe", "duration": 3}})
    with pytest.raises(
        InvalidInput, match=r"captions\[1\]: 3-9 s must lie within the scene \(0 to 4 s\)"
    ):
        scenes.update_scene(
            db, owner, night.id, {"captions": [{"text": "x", "start": 3, "end": 9}]}
        )
    with pytest.raises(
        InvalidInput,
        match=r"file: cannot be decoded as sound \(Invalid data found when processing input\)",
    ):
        assets.add_asset(
            db, LocalMediaStore(tmp_path), owner, pid, "music", "Noise", b"RIFF....not a wav"
        )


def test_captions_are_drafted_from_dialogue_else_notes_and_fit_the_scene() -> None:
    assert caption_lines('she whispers "Not yet." then “Now.”', "ignored") == (
        "dialogue",
        ["Not yet.", "Now."],
    )
    source, lines = caption_lines("a quiet harbour", "Gulls wheel overhead. A bell rings!\nFog.")
    assert (source, lines) == ("notes", ["Gulls wheel overhead.", "A bell rings!", "Fog."])
    drafted = draft_captions(lines, 8)
    assert [c["start"] for c in drafted] == [0.25, 3.46, 6.68]  # 7.5 s shared 3:3:1 by words
    assert all(c["start"] < c["end"] <= 8 for c in drafted)
    assert all(a["end"] < b["start"] for a, b in itertools.pairwise(drafted))
    assert draft_captions([], 8) == [] and caption_lines("", "") == ("notes", [])


def test_a_music_bed_is_never_an_ingredient_or_a_frame(
    film: tuple[Database, User, int, JobClient], tmp_path: Path
) -> None:
    db, owner, pid, _ = film
    media = LocalMediaStore(tmp_path)
    bed = assets.add_asset(db, media, owner, pid, "music", "harbour", sound(2))
    # the prompts say "harbour": a sound is not sent to Veo as a reference image
    run_scene = scenes.list_scenes(db, owner, pid)[0]
    with db.session() as s:
        assert assets.references_for(s, s.get(scenes.Scene, run_scene.id), db.catalog) == []
    with pytest.raises(InvalidInput, match=rf"first_frame_id: asset {bed.id} is a sound"):
        scenes.update_scene(db, owner, run_scene.id, {"first_frame_id": bed.id})
    assets.add_asset(db, media, owner, pid, "character", "harbour", png())  # no name clash
    with pytest.raises(InvalidInput, match=r"music_id: True is not an asset id"):
        cut.update_cut(db, owner, pid, {"music_id": True})


def test_renders_finishing_together_get_one_version_each(db: Database, owner: User) -> None:
    pid = projects.create_project(db, owner, {"name": "Race"}, "veo-3.1-fast-generate-001").id
    [scene] = scenes.add_scenes(db, owner, pid, [{"prompt": "a race", "duration": 4}])
    with db.session() as s:  # a selected take on record is all a render job needs to queue
        take = Take(
            scene_id=scene.id,
            backend="animatic",
            model=scene.model,
            media_key="t.mp4",
            duration=4,
            width=1280,
            height=720,
            fps=24,
            codec="h264",
            bytes=1,
            params={},
        )
        s.add(take)
        s.flush()
        s.get(Scene, scene.id).selected_take_id = take.id
    renders = [cut.create_render_job(db, owner, pid, {}) for _ in range(6)]
    for job in renders:
        jobs.claim_job(db, job.id)
    made = NewMovie("m.mp4", "m.srt", "m.vtt", "m.otio", duration=4.0, width=1280, height=720,
                    bytes=1, render_s=1.0, copied_s=4.0)  # fmt: skip
    start, versions = threading.Barrier(len(renders)), []

    def finish(job_id: int) -> None:
        start.wait()
        movie = cut.complete_render(db, job_id, made)
        versions.append(movie.version if movie else None)

    threads = [threading.Thread(target=finish, args=(job.id,)) for job in renders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(versions) == [1, 2, 3, 4, 5, 6]  # type: ignore[type-var]
    cancelled = cut.create_render_job(db, owner, pid, {})
    jobs.claim_job(db, cancelled.id)
    jobs.cancel_job(db, owner, cancelled.id)
    assert cut.complete_render(db, cancelled.id, made) is None
    assert len(cut.list_movies(db, owner, pid)) == 6
