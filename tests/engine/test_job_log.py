"""A real engine's log: JSON lines naming the engine, each job's start and end with the
job's and project's ids, and none of the secrets it was given."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from engine.client import JobClient
from storage import jobs, projects, scenes
from storage.db import Database
from storage.models import JobStatus
from storage.settings import Settings
from storage.users import local_user

SECRETS = {
    "VEOGEN_GOOGLE_ACCESS_TOKEN": "ya29.engine-token-never-logged",
    "VEOGEN_GEMINI_API_KEY": "AIza-engine-key-never-logged",
    "VEOGEN_SMTP_PASSWORD": "engine-smtp-password-never-logged",
}


def test_an_engine_logs_json_lines_about_each_job_and_no_secret(
    settings: Settings, tmp_path: Path
) -> None:
    db = Database(settings.db_url)
    db.migrate()
    owner = local_user(db)
    pid = projects.create_project(db, owner, {"name": "Logged"}, "veo-3.1-fast-generate-001").id
    scenes.add_scene(db, owner, pid, {"prompt": "a lamp", "duration": 4})
    [job] = JobClient(db, settings.redis_url or "", settings.redis_prefix, drafts=True).generate(
        owner, pid
    )
    env = {
        **os.environ,
        **settings.as_env(),
        "VEOGEN_SMTP_HOST": "127.0.0.1",
        "VEOGEN_SMTP_FROM": "studio@example.com",
        "VEOGEN_SMTP_USER": "studio",
        **SECRETS,
    }
    engine = subprocess.Popen(
        [sys.executable, "-m", "studio.cli", "engine"], env=env, cwd=tmp_path,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not JobStatus(jobs.get_job(db, job.id).status).finished:
            assert time.monotonic() < deadline and engine.poll() is None, "the engine stopped"
            time.sleep(0.2)
    finally:
        engine.terminate()
        _, log = engine.communicate(timeout=60)
    assert jobs.get_job(db, job.id).status == JobStatus.succeeded
    for secret in SECRETS.values():
        assert secret not in log
    lines = [json.loads(line) for line in log.splitlines()]  # every line is JSON
    assert {line["component"] for line in lines} == {"engine"}
    assert len({line["engine"] for line in lines}) == 1
    about = [line for line in lines if line.get("job_id") == job.id]
    assert [line["message"].split(":")[1].split()[0] for line in about] == ["generate", "succeeded"]
    assert {line["project_id"] for line in about} == {pid}
    db.dispose()
