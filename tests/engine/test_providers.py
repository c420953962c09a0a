"""A provider is its catalog entries and a backend: one defined here runs a job end to end
through a real engine process, with nothing else registered anywhere."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from engine.backend import GenerateJob
from engine.context import JobContext
from engine.providers import Provider, load_providers
from storage import jobs, projects, scenes
from storage.contract import Generated
from storage.errors import JobFailed, SettingsError
from storage.models import JobStatus
from storage.settings import Settings
from storage.users import local_user
from studio.services import Services
from tests.engine.echo_provider import PROVIDER, EchoBackend
from tests.helpers import make_worker, running, until

ROOT = Path(__file__).parents[2]
ECHO = "tests.engine.echo_provider:PROVIDER"


def test_a_provider_from_the_test_suite_runs_a_job_through_a_real_engine(
    settings: Settings, tmp_path: Path
) -> None:
    settings = dataclasses.replace(settings, providers=ECHO, drafts=False)
    studio = Services(settings)
    owner = local_user(studio.db)
    assert studio.catalog.model("echo-1").provider == "echo"
    pid = projects.create_project(studio.db, owner, {"name": "Echoes", "budget": 1}, "echo-1").id
    scenes.add_scene(studio.db, owner, pid, {"prompt": "a bell", "duration": 4, "takes": 2})
    [job] = studio.jobs.generate(owner, pid)
    assert (job.backend, job.estimated_cost_usd, job.reserved_usd) == ("echo", 0.16, 0.16)
    env = {
        **os.environ,
        **settings.as_env(),
        "PYTHONPATH": str(ROOT),
        # no Google credentials here: Veo cannot start, and the engine runs the echo alone
        "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "missing.json"),
    }
    engine = subprocess.Popen(
        [sys.executable, "-m", "studio.cli", "engine"], env=env, cwd=tmp_path,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not JobStatus(jobs.get_job(studio.db, job.id).status).finished:
            assert time.monotonic() < deadline and engine.poll() is None, "the engine stopped"
            time.sleep(0.2)
    finally:
        engine.terminate()
        _, log = engine.communicate(timeout=60)
    done = jobs.get_job(studio.db, job.id)
    assert done.status == JobStatus.succeeded, done.error
    assert done.operation_name == f"echo/operations/{job.id}"
    assert done.reserved_usd == pytest.approx(0.16)  # what its takes cost
    assert "the veo provider cannot start" in log
    takes = scenes.list_takes(studio.db, owner, pid)
    assert sorted(t.sample_index for t in takes) == [0, 1]
    for take in takes:
        assert (take.backend, take.is_draft, take.cost_usd) == ("echo", False, 0.08)
        with av.open(str(studio.media.local_path(take.media_key))) as video:
            assert video.streams.video[0].codec_context.name == "h264"


def test_a_provider_that_cannot_be_loaded_is_refused_by_name(settings: Settings) -> None:
    broken = dataclasses.replace(settings, providers="tests.engine.nowhere:PROVIDER")
    with pytest.raises(
        SettingsError, match=r"VEOGEN_PROVIDERS: cannot load 'tests\.engine\.nowhere"
    ):
        load_providers(broken)
    wrong = dataclasses.replace(settings, providers="tests.engine.echo_provider:ECHO")
    with pytest.raises(SettingsError, match="is not a Provider"):
        load_providers(wrong)


class Broken(EchoBackend):
    """Writes its takes, then fails: as a provider whose last download breaks."""

    async def generate(self, job: GenerateJob, context: JobContext) -> Generated:
        await super().generate(job, context)
        raise JobFailed("download", "the second sample came back empty")


def test_a_job_that_fails_leaves_none_of_its_files_behind(settings: Settings) -> None:
    settings = dataclasses.replace(settings, providers=ECHO, drafts=False)
    studio = Services(settings)
    owner = local_user(studio.db)
    pid = projects.create_project(studio.db, owner, {"name": "Echoes"}, "echo-1").id
    scenes.add_scene(studio.db, owner, pid, {"prompt": "a bell", "duration": 2, "takes": 2})
    [job] = studio.jobs.generate(owner, pid)
    broken = [Provider(PROVIDER.spec, lambda kit: Broken())]

    async def run() -> None:
        async with running(make_worker(settings, studio.db, "broken", providers=broken)):
            await until(lambda: JobStatus(jobs.get_job(studio.db, job.id).status).finished)

    asyncio.run(run())
    failed = jobs.get_job(studio.db, job.id)
    assert (failed.status, failed.error_stage) == (JobStatus.failed, "download")
    assert not [p for p in settings.media_dir.rglob("*") if p.is_file()]
