from __future__ import annotations

import asyncio

import av
import pytest
import redis

from engine.client import JobClient
from engine.keys import GROUP, Keys
from engine.redis_server import QueueUnavailable
from storage import jobs, projects, scenes
from storage.db import Database
from storage.metrics_reader import MetricsReader
from storage.models import JobStatus, User
from storage.settings import Settings
from storage.users import local_user
from tests.helpers import make_worker, running, until


@pytest.fixture
def setup(settings: Settings, sqlite_db: Database) -> tuple[Database, User, int, JobClient]:
    user = local_user(sqlite_db)
    pid = projects.create_project(sqlite_db, user, {"name": "Q"}, settings.default_model).id
    scenes.add_scenes(
        sqlite_db, user, pid, [{"prompt": "sea", "duration": 4}, {"prompt": "sky", "duration": 4}]
    )
    client = JobClient(sqlite_db, settings.redis_url, settings.redis_prefix, drafts=True)
    return sqlite_db, user, pid, client


def test_jobs_run_to_takes_with_progress_and_metrics(settings: Settings, setup) -> None:  # type: ignore[no-untyped-def]
    db, user, pid, client = setup
    queued = client.generate(user, pid, takes=2)
    assert jobs.queue_positions(db, [j.id for j in queued]) == {queued[0].id: 1, queued[1].id: 2}

    async def scenario() -> None:
        async with running(make_worker(settings, db, "w1", concurrency=2)):
            await until(lambda: jobs.active_count(db, pid) == 0)

    asyncio.run(scenario())
    assert [jobs.get_job(db, j.id).status for j in queued] == [JobStatus.succeeded] * 2
    takes = scenes.list_takes(db, user, pid)
    assert len(takes) == 4 and all(t.is_draft for t in takes)
    with av.open(str(settings.media_dir / takes[0].media_key)) as video:
        assert video.streams.video[0].codec_context.name == "h264"
    assert client.progress([queued[0].id])[queued[0].id].fraction == 1.0
    events = (
        MetricsReader(settings.metrics_dir)
        .query("SELECT event, count(*) AS n FROM events GROUP BY 1")
        .set_index("event")["n"]
        .to_dict()
    )
    assert events["queued"] == events["started"] == events["succeeded"] == 2


def test_a_job_cancelled_while_queued_never_renders(settings: Settings, setup) -> None:  # type: ignore[no-untyped-def]
    db, user, pid, client = setup
    first, second = client.generate(user, pid)
    client.cancel(user, first.id)

    async def scenario() -> None:
        async with running(make_worker(settings, db, "w1")):
            await until(lambda: jobs.active_count(db, pid) == 0)

    asyncio.run(scenario())
    assert jobs.get_job(db, first.id).status == JobStatus.cancelled
    assert jobs.get_job(db, first.id).attempts == 0
    assert jobs.get_job(db, second.id).status == JobStatus.succeeded


def test_a_dead_engines_job_is_reclaimed_and_run_once(settings: Settings, setup) -> None:  # type: ignore[no-untyped-def]
    db, user, pid, client = setup
    [job] = client.generate(user, pid, [scenes.list_scenes(db, user, pid)[0].id])
    keys = Keys(settings.redis_prefix)
    queue = redis.Redis.from_url(settings.redis_url)
    queue.xgroup_create(keys.stream, GROUP, id="0", mkstream=True)
    # A consumer takes the message and dies without acknowledging it.
    assert queue.xreadgroup(GROUP, "dead-engine", {keys.stream: ">"}, count=1)
    jobs.claim_job(db, job.id)

    async def scenario() -> None:
        async with running(make_worker(settings, db, "w2", claim_idle_s=0.5)):
            await until(lambda: jobs.active_count(db, pid) == 0)

    asyncio.run(scenario())
    done = jobs.get_job(db, job.id)
    assert (done.status, done.attempts) == (JobStatus.succeeded, 2)
    assert len(scenes.list_takes(db, user, pid)) == 1
    assert queue.xpending(keys.stream, GROUP)["pending"] == 0


def test_unreachable_redis_refuses_before_saving_jobs(sqlite_db: Database) -> None:
    user = local_user(sqlite_db)
    pid = projects.create_project(sqlite_db, user, {"name": "Q"}, "veo-3.1-fast-generate-001").id
    scenes.add_scene(sqlite_db, user, pid, {"prompt": "sea"})
    client = JobClient(sqlite_db, "redis://127.0.0.1:1/0", "x", drafts=True)
    with pytest.raises(QueueUnavailable, match=r"Redis at redis://127.0.0.1:1/0 is not reachable"):
        client.generate(user, pid)
    assert jobs.list_jobs(sqlite_db, user, pid) == []
