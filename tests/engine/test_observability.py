"""The engine's Prometheus metrics, health and readiness, on real Redis and SQL."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
import redis
from prometheus_client import CollectorRegistry

from engine.client import JobClient
from engine.endpoints import Endpoints
from engine.keys import GROUP, Keys
from engine.observability import alive, observe
from engine.prometheus_listener import PrometheusListener
from engine.quota import QuotaGate
from engine.redis_server import engine_client
from storage import jobs, projects, scenes
from storage.db import Database
from storage.errors import SettingsError
from storage.models import JobStatus
from storage.settings import Settings, load_settings
from storage.users import local_user
from tests.engine.test_veo_backend import veo_env
from tests.fake_google import FakeGoogle
from tests.helpers import make_worker, running, until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_jobs(
    settings: Settings, db: Database, ids: list[int], listener: PrometheusListener
) -> None:
    async def run() -> None:
        worker = make_worker(settings, db, "obs-test", listeners=(listener,), concurrency=4)
        async with running(worker):
            await until(
                lambda: all(JobStatus(j.status).finished for j in jobs.find_jobs(db, ids).values())
            )

    asyncio.run(run())


def test_jobs_are_counted_by_kind_and_outcome_with_their_times_and_bytes(
    settings: Settings, sqlite_db: Database
) -> None:
    owner = local_user(sqlite_db)
    pid = projects.create_project(
        sqlite_db, owner, {"name": "Counted"}, "veo-3.1-fast-generate-001"
    ).id
    scenes.add_scenes(
        sqlite_db, owner, pid, [{"prompt": f"shot {i}", "duration": 4} for i in range(3)]
    )
    client = JobClient(sqlite_db, settings.redis_url or "", settings.redis_prefix, drafts=True)
    ids = [job.id for job in client.generate(owner, pid)]
    client.cancel(owner, ids[2])  # cancelled while queued: no engine runs it
    registry = CollectorRegistry()
    listener = PrometheusListener(registry)
    run_jobs(settings, sqlite_db, ids, listener)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("veogen_jobs_total", kind="generate", outcome="succeeded") == 2
    assert value("veogen_jobs_total", kind="generate", outcome="cancelled") == 1
    assert value("veogen_jobs_total", kind="generate", outcome="failed") == 0
    assert value("veogen_job_duration_seconds_count", kind="generate") == 2
    assert value("veogen_queue_wait_seconds_count", kind="generate") == 2
    assert (value("veogen_bytes_written_total") or 0) > 10_000  # two real MP4s
    assert value("veogen_operations_in_flight") == 0


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    server = FakeGoogle(generation_seconds=0.3, video_seconds_scale=0.25).start()
    yield server
    server.stop()


def test_veo_errors_are_counted_by_code_whether_retried_or_not(
    settings: Settings, sqlite_db: Database, fake: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "film-co")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us-central1")
    veo = veo_env(settings, fake)
    owner = local_user(sqlite_db)
    model = "veo-3.1-generate-001"
    pid = projects.create_project(sqlite_db, owner, {"name": "Veo", "model": model}, model).id
    scenes.add_scene(sqlite_db, owner, pid, {"prompt": "rain on glass", "duration": 4})
    fake.submit_errors = [(429, "Quota exceeded"), (503, "busy")]
    fake.poll_errors = [(500, "internal")]
    ids = [
        j.id
        for j in JobClient(sqlite_db, veo.redis_url or "", veo.redis_prefix, False).generate(
            owner, pid
        )
    ]
    registry = CollectorRegistry()
    run_jobs(veo, sqlite_db, ids, PrometheusListener(registry))
    counted = {
        code: registry.get_sample_value("veogen_veo_errors_total", {"code": code})
        for code in ("429", "503", "500")
    }
    assert counted == {"429": 1, "503": 1, "500": 1}
    assert (
        registry.get_sample_value("veogen_jobs_total", {"kind": "generate", "outcome": "succeeded"})
        == 1
    )


def test_operations_in_flight_are_the_workers_own_count(
    settings: Settings, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "film-co")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us-central1")
    slow = FakeGoogle(generation_seconds=3, video_seconds_scale=0.25).start()
    veo = veo_env(settings, slow)
    owner = local_user(sqlite_db)
    model = "veo-3.1-fast-generate-001"
    pid = projects.create_project(sqlite_db, owner, {"name": "Flight", "model": model}, model).id
    scenes.add_scenes(sqlite_db, owner, pid, [{"prompt": p, "duration": 4} for p in "ab"])
    client = JobClient(sqlite_db, veo.redis_url or "", veo.redis_prefix, drafts=False)
    ids = [job.id for job in client.generate(owner, pid)]
    registry = CollectorRegistry()
    listener = PrometheusListener(registry)

    def in_flight() -> float | None:
        return registry.get_sample_value("veogen_operations_in_flight")

    async def run() -> list[float | None]:
        worker = make_worker(veo, sqlite_db, "flight", listeners=(listener,), concurrency=4)
        async with running(worker):
            await until(lambda: slow.peak_in_flight == 2)
            during = [in_flight(), float(worker.in_flight)]
            await until(
                lambda: all(
                    JobStatus(j.status).finished for j in jobs.find_jobs(sqlite_db, ids).values()
                )
            )
        return [*during, in_flight()]

    try:
        assert asyncio.run(run()) == [2, 2, 0]
    finally:
        slow.stop()


def scrape(port: int) -> dict[str, float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, number = line.rpartition(" ")
            samples[name] = float(number)
    return samples


def test_the_endpoints_serve_the_fleets_gauges_health_and_readiness(
    settings: Settings, sqlite_db: Database
) -> None:
    port = free_port()
    url, keys = settings.redis_url or "", Keys(settings.redis_prefix)
    owned = load_settings({**settings.as_env(), "VEOGEN_ENGINE_METRICS_PORT": str(port)})
    queue = redis.Redis.from_url(url)
    queue.xgroup_create(keys.stream, GROUP, id="0", mkstream=True)
    owner = local_user(sqlite_db)
    model = "veo-3.1-fast-generate-001"
    budget = {"name": "Budgeted", "model": model, "budget": 10}
    pid = projects.create_project(sqlite_db, owner, budget, model).id
    scenes.add_scenes(
        sqlite_db, owner, pid, [{"prompt": "a", "duration": 4}, {"prompt": "b", "duration": 4}]
    )
    queued = JobClient(sqlite_db, url, settings.redis_prefix, drafts=False).generate(owner, pid)
    asyncio.run(QuotaGate(engine_client(url), keys).hold(30))
    listener, endpoints = observe(owned, url, sqlite_db, keys, "obs-test")
    try:
        samples = scrape(port)
        assert samples["veogen_queue_depth"] == 2 and samples["veogen_queue_pending"] == 0
        assert samples["veogen_quota_holds"] == 1 and 0 <= samples["veogen_quota_hold_seconds"] < 5
        spent = sum(job.reserved_usd for job in queued)
        assert samples[f'veogen_project_spend_ratio{{project="{pid}"}}'] == pytest.approx(
            spent / 10
        )
        assert samples['veogen_engine_info{engine="obs-test"}'] == 1
        assert samples["process_resident_memory_bytes"] > 0
        assert samples['veogen_jobs_total{kind="render",outcome="failed"}'] == 0
        for path in ("/healthz", "/readyz"):
            answer = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)
            assert (answer.status_code, answer.text) == (200, "ok\n")
        listener.last_housekeeping = time.monotonic() - 120  # the worker's loop is stuck
        stuck = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert stuck.status_code == 503 and "has not turned for 120 s" in stuck.text
        with pytest.raises(SettingsError, match="VEOGEN_ENGINE_METRICS_PORT: cannot listen on"):
            observe(owned, url, sqlite_db, keys, "second")  # the same port, taken
    finally:
        endpoints.stop()
        queue.delete(keys.stream, keys.quota_hold, keys.quota_held_since)


def test_readiness_says_which_of_redis_and_sql_is_unreachable(
    settings: Settings, sqlite_db: Database
) -> None:
    dead_redis = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    dead_sql = Database(f"postgresql+psycopg://veogen:hunter2@127.0.0.1:{free_port()}/veogen")
    for url, db, said in (
        (dead_redis, sqlite_db, "queue: Redis at redis://***@127.0.0.1"),
        (settings.redis_url or "", dead_sql, "(VEOGEN_DATABASE_URL)"),
    ):
        port = free_port()
        owned = load_settings({**settings.as_env(), "VEOGEN_ENGINE_METRICS_PORT": str(port)})
        _, endpoints = observe(owned, url, db, Keys(settings.redis_prefix), "obs-test")
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=30)
            assert answer.status_code == 503 and said in answer.text
            assert "hunter2" not in answer.text
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
            assert "veogen_jobs_total" in httpx.get(f"http://127.0.0.1:{port}/metrics").text
        finally:
            endpoints.stop()


def test_liveness_follows_the_workers_housekeeping() -> None:
    listener = PrometheusListener(CollectorRegistry())
    assert alive(listener) is None
    asyncio.run(listener.housekeeping())
    assert alive(listener) is None
    listener.last_housekeeping -= 61
    assert "the worker's loop has not turned" in (alive(listener) or "")


def test_an_unknown_path_names_the_ones_there_are() -> None:
    endpoints = Endpoints(CollectorRegistry(), {"/healthz": lambda: None})
    port = endpoints.start("127.0.0.1", 0)
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/nothing", timeout=10)
        assert (answer.status_code, answer.text) == (404, "no such page: /metrics, /healthz\n")
    finally:
        endpoints.stop()
