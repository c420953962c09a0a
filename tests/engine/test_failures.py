"""Failures a user meets in the engine: a full disk during a render."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
from pathlib import Path

import pytest

from engine.client import JobClient
from storage import jobs, projects, scenes
from storage.db import Database
from storage.models import JobStatus
from storage.settings import Settings
from storage.users import local_user
from tests.helpers import make_worker, running, until


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
