"""The worker: delivery, cancels, reclaiming a dead engine's jobs, listeners, a full disk."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
from pathlib import Path

import av
import pytest
import redis

from engine.client import JobClient
from engine.keys import GROUP, Keys
from engine.listeners import JobListener
from storage import jobs, projects, scenes
from storage.contract import Result
from storage.db import Database
from storage.errors import QueueUnavailable
from storage.metrics_reader import MetricsReader
from storage.models import Job, JobStatus, User
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


class Diary(JobListener):
    """Notes every hook; a second one raises from every hook, and changes nothing."""

    def __init__(self, broken: bool = False) -> None:
        self.seen: list[tuple[str, int]] = []
        self.broken = broken

    def _note(self, hook: str, job_id: int) -> None:
        if self.broken:
            raise RuntimeError("a listener that fails")
        self.seen.append((hook, job_id))

    def job_started(self, job: Job, queue_wait_s: float) -> None:
        self._note("started", job.id)

    def job_progress(self, job: Job, fraction: float) -> None:
        self._note("progress", job.id)

    def job_succeeded(self, job: Job, result: Result, run_s: float) -> None:
        self._note(f"succeeded with {result.seconds:g} s", job.id)

    def job_cancelled(self, job: Job, run_s: float) -> None:
        self._note("cancelled", job.id)

    def job_seen_ended(self, job: Job) -> None:
        self._note(f"seen {job.status}", job.id)


def test_listeners_hear_each_job_and_a_failing_one_stops_nothing(settings: Settings, setup) -> None:  # type: ignore[no-untyped-def]
    db, user, pid, client = setup
    done, dropped = client.generate(user, pid)
    client.cancel(user, dropped.id)
    diary, broken = Diary(), Diary(broken=True)
    worker = make_worker(settings, db, "heard")
    worker.listeners += [broken, diary]

    async def scenario() -> None:
        async with running(worker):
            await until(lambda: jobs.active_count(db, pid) == 0)

    asyncio.run(scenario())
    assert jobs.get_job(db, done.id).status == JobStatus.succeeded
    assert ("started", done.id) in diary.seen and ("succeeded with 4 s", done.id) in diary.seen
    assert ("seen cancelled", dropped.id) in diary.seen and (
        "started",
        dropped.id,
    ) not in diary.seen
    assert not broken.seen


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


@pytest.fixture
def tiny_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 16 KiB file system, too small for one take."""
    mount = tmp_path / "media"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)], capture_output=True
        ).returncode
    ):
        pytest.skip("mounting a small tmpfs needs root (it stands in for a full disk)")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_fails_the_job_at_the_storage_stage_and_keeps_nothing(
    settings: Settings, sqlite_db: Database, tiny_disk: Path
) -> None:
    settings = dataclasses.replace(settings, data_dir=tiny_disk.parent)  # media_dir is the mount
    user = local_user(sqlite_db)
    pid = projects.create_project(sqlite_db, user, {"name": "Full"}, settings.default_model).id
    scenes.add_scene(sqlite_db, user, pid, {"prompt": "sea", "duration": 8})
    client = JobClient(sqlite_db, settings.redis_url or "", settings.redis_prefix, drafts=True)
    [job] = client.generate(user, pid)
    worker = make_worker(settings, sqlite_db, "full")

    async def scenario() -> None:
        async with running(worker):
            await until(lambda: jobs.active_count(sqlite_db, pid) == 0)

    asyncio.run(scenario())
    failed = jobs.get_job(sqlite_db, job.id)
    assert (failed.status, failed.error_stage) == (JobStatus.failed, "storage")
    assert "is full" in (failed.error or "")
    assert [p for p in tiny_disk.rglob("*") if p.is_file()] == []


def test_an_engine_stops_though_a_cancel_never_comes_out_of_a_redis_call(
    settings: Settings, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen with redis-py 8.2: the pulse, cancelled inside a call, ran on and the engine
    never stopped. Here every SET takes long and turns a cancel into a Redis error."""
    worker = make_worker(settings, sqlite_db, "w1")
    swallowing = True

    async def slow_set(*_: object, **__: object) -> bool:
        try:
            await asyncio.sleep(3)
        except asyncio.CancelledError:
            if swallowing:
                raise redis.ConnectionError("cancelled mid-call") from None
            raise
        return True

    monkeypatch.setattr(worker.queue, "set", slow_set)

    async def scenario() -> bool:
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop, grace_s=5))
        await asyncio.sleep(1)  # the pulse is inside its first SET
        stop.set()
        done, _ = await asyncio.wait({task}, timeout=20)
        if not done:  # let the test end: cancels come out again, and the engine stops
            nonlocal swallowing
            swallowing = False
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await worker.queue.aclose()
        return bool(done)

    assert asyncio.run(scenario()), "the engine did not stop"
