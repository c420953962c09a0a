"""Killing an engine mid-generation never pays twice: the next engine resumes the operation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from engine.client import JobClient
from storage import jobs, projects, scenes
from storage.db import Database
from storage.metrics_reader import MetricsReader
from storage.models import JobStatus
from storage.settings import Settings
from storage.users import local_user
from tests.engine.test_veo_backend import veo_env
from tests.fake_google import FakeGoogle

MODEL = "veo-3.1-fast-generate-001"


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def crash_site(settings: Settings, fake: FakeGoogle) -> tuple[Settings, dict[str, str], Database]:
    """Settings for engines that talk to ``fake``, the environment to start them with, and
    the database they share with the test."""
    veo = veo_env(settings, fake, VEOGEN_CLAIM_IDLE_SECONDS="2")
    env = {
        **os.environ,
        **veo.as_env(),
        "GOOGLE_CLOUD_PROJECT": "film-co",
        "GOOGLE_CLOUD_LOCATION": "us-central1",
    }
    db = Database(veo.db_url)
    db.migrate()
    return veo, env, db


def test_sigkill_after_submission_resumes_with_one_submission_per_job(settings: Settings) -> None:
    fake = FakeGoogle(generation_seconds=6.0, video_seconds_scale=0.25).start()
    try:
        veo, env, db = crash_site(settings, fake)
        owner = local_user(db)
        pid = projects.create_project(db, owner, {"name": "Crash", "model": MODEL}, MODEL).id
        scenes.add_scenes(
            db, owner, pid, [{"prompt": f"shot {i}", "duration": 4, "takes": 2} for i in range(3)]
        )
        client = JobClient(db, veo.redis_url, veo.redis_prefix, drafts=False)
        ids = [job.id for job in client.generate(owner, pid)]

        def engine() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "studio.cli", "engine", "--concurrency", "4"], env=env
            )

        first = engine()
        try:
            wait_for(
                lambda: all(j.operation_name for j in jobs.find_jobs(db, ids).values()),
                timeout=60,
                what="every job's operation name in SQL",
            )
            assert len(fake.submissions) == 3 and fake.in_flight == 3
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        second = engine()
        try:
            wait_for(
                lambda: all(
                    j.status == JobStatus.succeeded for j in jobs.find_jobs(db, ids).values()
                ),
                timeout=90,
                what="the second engine to finish every job",
            )
        finally:
            second.terminate()
            assert second.wait(timeout=60) == 0
        assert len(fake.submissions) == 3, "a resumed job must not submit again"
        takes = scenes.list_takes(db, owner, pid)
        assert sorted((t.job_id, t.sample_index) for t in takes) == sorted(
            (job_id, sample) for job_id in ids for sample in (0, 1)
        )
        # resuming an operation Veo accepted is not a new attempt
        assert all(j.attempts == 1 for j in jobs.find_jobs(db, ids).values())
        ended = MetricsReader(veo.metrics_dir).query(
            "SELECT job_id, count(*) AS n FROM events "
            "WHERE event IN ('succeeded', 'failed', 'blocked', 'cancelled') GROUP BY 1"
        )
        assert dict(zip(ended["job_id"], ended["n"], strict=True)) == dict.fromkeys(ids, 1)
        db.dispose()
    finally:
        fake.stop()


def test_an_engine_killed_mid_submission_never_sends_again_and_a_person_decides(
    settings: Settings,
) -> None:
    fake = FakeGoogle(generation_seconds=0.5, video_seconds_scale=0.25, submit_seconds=3.0)
    fake.start()
    try:
        veo, env, db = crash_site(settings, fake)
        owner = local_user(db)
        pid = projects.create_project(db, owner, {"name": "Crash", "model": MODEL}, MODEL).id
        scenes.add_scene(db, owner, pid, {"prompt": "a lighthouse", "duration": 4})
        client = JobClient(db, veo.redis_url or "", veo.redis_prefix, drafts=False)
        [job] = client.generate(owner, pid)
        command = [sys.executable, "-m", "studio.cli", "engine"]
        first = subprocess.Popen(command, env=env)
        try:  # killed while Google holds the request and its answer is on the way
            wait_for(lambda: len(fake.submissions) == 1, timeout=60, what="the submission")
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        second = subprocess.Popen(command, env=env)
        try:
            wait_for(
                lambda: jobs.get_job(db, job.id).status == JobStatus.failed,
                timeout=60,
                what="the redelivered job to stop and wait for a person",
            )
            waiting = jobs.get_job(db, job.id)
            assert waiting.error_stage == "unconfirmed" and "never paid twice" in (
                waiting.error or ""
            )
            assert waiting.reserved_usd == waiting.estimated_cost_usd  # may have been billed
            time.sleep(3)  # nothing is sent behind the person's back
            assert len(fake.submissions) == 1
            fake.submit_seconds = 0.0
            client.retry(owner, job.id)  # the person decides to send it again
            wait_for(
                lambda: jobs.get_job(db, job.id).status == JobStatus.succeeded,
                timeout=60,
                what="the job sent again",
            )
        finally:
            second.terminate()
            assert second.wait(timeout=60) == 0
        assert len(fake.submissions) == 2  # the second by a person's choice, and only that
        db.dispose()
    finally:
        fake.stop()
