"""Failures a user meets: a full disk during a render, and settings that cannot be used."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
from pathlib import Path

import pytest

from engine.client import JobClient
from engine.keys import Keys
from storage import jobs, projects, scenes
from storage.db import Database
from storage.models import JobStatus
from storage.users import local_user
from studio.config import Settings, SettingsError, load_settings
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
    [job] = JobClient(
        sqlite_db, settings.redis_url, Keys(settings.redis_prefix), "animatic"
    ).generate(user, pid)
    worker = make_worker(settings, sqlite_db, "full")

    async def scenario() -> None:
        async with running(worker):
            await until(lambda: jobs.active_count(sqlite_db, pid) == 0)

    asyncio.run(scenario())
    failed = jobs.get_job(sqlite_db, job.id)
    assert (failed.status, failed.error_stage) == (JobStatus.failed, "storage")
    assert "is full" in (failed.error or "")
    assert [p for p in tiny_disk.rglob("*") if p.is_file()] == []


def test_settings_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "veogen.toml").write_text(
        'backend = "animatic"\nengine_concurrency = 7\nredis_prefix = "file"\n'
    )
    settings = load_settings({"VEOGEN_DATA_DIR": str(tmp_path), "VEOGEN_REDIS_PREFIX": "env"})
    assert (settings.engine_concurrency, settings.redis_prefix) == (7, "env")
    assert settings.db_url == f"sqlite:///{tmp_path / 'veogen.db'}"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"VEOGEN_BACKEND": "sora"},
            "VEOGEN_BACKEND: 'sora' is not a backend; allowed: animatic, veo",
        ),
        (
            {"VEOGEN_ENGINE_CONCURRENCY": "many"},
            "VEOGEN_ENGINE_CONCURRENCY: 'many' is not a whole number",
        ),
    ],
)
def test_bad_settings_name_the_variable(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"VEOGEN_DATA_DIR": str(tmp_path), **environ})
