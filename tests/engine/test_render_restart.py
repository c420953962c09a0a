"""An engine killed while it renders a movie: another engine renders it again, and the
project gets one version, not two and not none."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import av

from engine.client import JobClient
from storage import cut, jobs, projects, scenes
from storage.db import Database
from storage.media import LocalMediaStore
from storage.models import JobStatus
from storage.settings import Settings, load_settings
from storage.users import local_user
from tests.helpers import make_worker, running, until


def test_a_render_killed_midway_is_rendered_again_once(settings: Settings) -> None:
    settings = load_settings({**settings.as_env(), "VEOGEN_CLAIM_IDLE_SECONDS": "2"})
    db = Database(settings.db_url)
    db.migrate()
    owner = local_user(db)
    fields = {"name": "Killed cut", "resolution": "1080p"}
    pid = projects.create_project(db, owner, fields, settings.default_model).id
    shots = [{"prompt": f"shot {i}", "duration": 8} for i in range(3)]
    scenes.add_scenes(db, owner, pid, shots)
    client = JobClient(db, settings.redis_url or "", settings.redis_prefix, drafts=True)
    takes = [j.id for j in client.generate(owner, pid)]

    async def make_takes() -> None:
        async with running(make_worker(settings, db, "takes")):
            await until(lambda: jobs.active_count(db, pid) == 0)

    asyncio.run(make_takes())
    ordered = scenes.list_scenes(db, owner, pid)
    cut.edit_timeline(
        db,
        owner,
        pid,
        {s.id: {"transition": {"kind": "crossfade", "duration": 1}} for s in ordered[1:]},
    )
    render = client.render(owner, pid, {"preset": "1080p", "burn_captions": True})
    env = {**os.environ, **settings.as_env()}
    command = [sys.executable, "-m", "studio.cli", "engine"]
    first = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 60
        while rendered(client, render.id) < 0.2:
            assert time.monotonic() < deadline, "the render never got going"
            time.sleep(0.1)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    assert jobs.get_job(db, render.id).status == JobStatus.running  # cut off mid-render
    second = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 120
        while not JobStatus(jobs.get_job(db, render.id).status).finished:
            assert time.monotonic() < deadline, "the render was never finished"
            time.sleep(0.2)
    finally:
        second.terminate()
        assert second.wait(timeout=60) == 0
    done = jobs.get_job(db, render.id)
    assert (done.status, done.attempts) == (JobStatus.succeeded, 2), done.error
    [movie] = cut.list_movies(db, owner, pid)  # one version
    path = LocalMediaStore(settings.media_dir).local_path(movie.media_key)
    with av.open(str(path)) as video:
        assert abs(float(video.duration / av.time_base) - 22.0) < 0.1  # 3 x 8 s, 2 crossfades
    assert len(takes) == 3
    db.dispose()


def rendered(client: JobClient, job_id: int) -> float:
    progress = client.progress([job_id]).get(job_id)
    return progress.fraction if progress else 0.0
