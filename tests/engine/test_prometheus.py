"""A real Prometheus (Debian's package) scrapes a real engine while it renders animatic
drafts through real Redis, and its HTTP API reads the job counters back."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from engine.client import JobClient
from storage import jobs, projects, scenes
from storage.db import Database
from storage.models import JobStatus
from storage.settings import Settings
from storage.users import local_user

PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(
    PROMETHEUS is None,
    reason="prometheus is not installed (Debian's prometheus package; `make observability` "
    "installs it as root): the real-Prometheus test skips",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def eventually(read: Callable[[], object], expected: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (seen := read()) != expected:
        assert time.monotonic() < deadline, f"still {seen!r}, waiting for {expected!r}"
        time.sleep(0.5)


@pytest.fixture
def engine_port(settings: Settings, tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, **settings.as_env(), "VEOGEN_ENGINE_METRICS_PORT": str(port)}
    log = (tmp_path / "engine.log").open("w")
    engine = subprocess.Popen(
        [sys.executable, "-m", "studio.cli", "engine"], env=env, stderr=log, cwd=tmp_path
    )
    try:
        eventually(lambda: _answers(f"http://127.0.0.1:{port}/readyz"), True)
        yield port
    finally:
        engine.terminate()
        engine.wait(timeout=60)
        log.close()


@pytest.fixture
def prometheus(engine_port: int, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: veogen-engine\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{engine_port}']\n"
    )
    log = (tmp_path / "prometheus.log").open("w")
    server = subprocess.Popen(
        [
            str(PROMETHEUS),
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: _answers(f"{url}/-/ready"), True)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def query(prometheus: str, promql: str) -> float | None:
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": promql}, timeout=10)
    answer.raise_for_status()
    result = answer.json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def test_prometheus_reads_the_job_counters_of_a_working_engine(
    settings: Settings, prometheus: str
) -> None:
    db = Database(settings.db_url)
    owner = local_user(db)
    pid = projects.create_project(db, owner, {"name": "Scraped"}, "veo-3.1-fast-generate-001").id
    scenes.add_scenes(db, owner, pid, [{"prompt": f"shot {i}", "duration": 4} for i in range(3)])
    client = JobClient(db, settings.redis_url or "", settings.redis_prefix, drafts=True)
    ids = [job.id for job in client.generate(owner, pid)]
    eventually(lambda: {j.status for j in jobs.find_jobs(db, ids).values()}, {JobStatus.succeeded})
    succeeded = 'sum(veogen_jobs_total{job="veogen-engine",outcome="succeeded"})'
    eventually(lambda: query(prometheus, succeeded), 3.0)
    assert query(prometheus, 'up{job="veogen-engine"}') == 1.0
    assert query(prometheus, 'sum(veogen_jobs_total{outcome="failed"})') == 0.0
    assert query(prometheus, "sum(veogen_job_duration_seconds_count)") == 3.0
    assert query(prometheus, "veogen_queue_depth") == 0.0
    assert (query(prometheus, "veogen_bytes_written_total") or 0) > 10_000
    db.dispose()
