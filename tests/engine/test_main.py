"""Starting an engine: what it says when it cannot do its work."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from engine.client import JobClient
from storage import jobs, projects, scenes
from storage.db import Database
from storage.metrics_files import segments
from storage.models import JobStatus
from storage.settings import Settings
from storage.users import local_user


def test_an_engine_with_veo_and_no_credentials_says_so_in_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VEOGEN_DATA_DIR": str(tmp_path),
        "VEOGEN_DRAFTS": "false",
        "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "missing.json"),
        "VEOGEN_GOOGLE_CREDENTIALS_FILE": str(tmp_path / "missing.json"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "studio.cli", "engine"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "VEOGEN_GOOGLE_CREDENTIALS_FILE: cannot use" in done.stderr.strip().splitlines()[-1]


def test_an_engine_writes_its_metrics_without_loading_pandas(
    settings: Settings, tmp_path: Path
) -> None:
    """pyarrow would load pandas (45 MB) at the engine's first metrics flush, to ask whether
    the rows are pandas objects; the engine refuses it, and the flush works without."""
    db = Database(settings.db_url)
    db.migrate()
    owner = local_user(db)
    pid = projects.create_project(db, owner, {"name": "Lean"}, settings.default_model).id
    scenes.add_scene(db, owner, pid, {"prompt": "a lighthouse", "duration": 4})
    [job] = JobClient(db, settings.redis_url or "", settings.redis_prefix, True).generate(
        owner, pid
    )
    log = tmp_path / "engine.log"
    with log.open("w") as out:
        engine = subprocess.Popen(
            [sys.executable, "-m", "studio.cli", "engine"],
            env={**os.environ, **settings.as_env()},
            stderr=out,
        )
        try:
            deadline = time.monotonic() + 120
            while not segments(settings.metrics_dir):  # written as the job settled
                assert time.monotonic() < deadline, "no metrics were written"
                time.sleep(0.2)
            loaded = Path(f"/proc/{engine.pid}/maps").read_text()
        finally:
            engine.terminate()
            assert engine.wait(timeout=60) == 0
    assert jobs.get_job(db, job.id).status == JobStatus.succeeded
    assert "pyarrow" in loaded and "/pandas/" not in loaded
    assert "Traceback" not in log.read_text()
    db.dispose()
