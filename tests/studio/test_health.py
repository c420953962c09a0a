"""The studio's /healthz, /readyz and /metrics routes, through Starlette's test client."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from studio import health


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, redis_url: str) -> Iterator[TestClient]:
    monkeypatch.setenv("VEOGEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VEOGEN_REDIS_URL", redis_url)
    monkeypatch.delenv("VEOGEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("VEOGEN_METRICS_TOKEN", raising=False)
    health._connections.cache_clear()
    health._token.cache_clear()
    yield TestClient(Starlette(routes=health.routes), client=("127.0.0.1", 50000))
    health._connections.cache_clear()
    health._token.cache_clear()


def test_the_studio_is_healthy_and_ready_with_redis_and_sql(client: TestClient) -> None:
    for path in ("/healthz", "/readyz"):
        answer = client.get(path)
        assert (answer.status_code, answer.text) == (200, "ok\n")


def test_readiness_names_what_does_not_answer(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("VEOGEN_REDIS_URL", f"redis://:hunter2@127.0.0.1:{port}/0")
    health._connections.cache_clear()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.text.startswith(
        f"queue: Redis at redis://***@127.0.0.1:{port}/0 is not reachable"
    )
    monkeypatch.setenv("VEOGEN_REDIS_URL", "http://redis")
    health._connections.cache_clear()
    refused = client.get("/readyz")
    assert refused.status_code == 503 and refused.text.startswith("VEOGEN_REDIS_URL:")
    assert client.get("/healthz").status_code == 200  # alive all the same


def test_metrics_count_page_runs_beside_the_process_own(client: TestClient) -> None:
    before = health.registry.get_sample_value("veogen_studio_page_runs_total", {"page": "review"})
    health.count_page_run("review")
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    assert f'veogen_studio_page_runs_total{{page="review"}} {(before or 0) + 1}' in answer.text
    assert "process_resident_memory_bytes" in answer.text


def test_metrics_and_why_not_ready_are_told_only_to_a_trusted_caller(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = TestClient(Starlette(routes=health.routes), client=("203.0.113.9", 50000))
    refused = stranger.get("/metrics")
    assert (refused.status_code, refused.text) == (401, "unauthorized\n")
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 401  # from this machine, for someone elsewhere
    assert stranger.get("/healthz").status_code == 200
    monkeypatch.setenv("VEOGEN_METRICS_TOKEN", "s3cret-token")
    health._token.cache_clear()
    assert client.get("/metrics").status_code == 401  # a token set: this machine needs it too
    bearer = {"Authorization": "Bearer s3cret-token"}
    assert stranger.get("/metrics", headers=bearer).status_code == 200
    wrong = stranger.get("/metrics", headers={"Authorization": "Bearer s3cret-tokeN"})
    assert wrong.status_code == 401
    with socket.socket() as s:  # nothing listens there
        s.bind(("127.0.0.1", 0))
        monkeypatch.setenv("VEOGEN_REDIS_URL", f"redis://127.0.0.1:{s.getsockname()[1]}/0")
    health._connections.cache_clear()
    unready = stranger.get("/readyz")
    assert (unready.status_code, unready.text) == (503, "not ready\n")
    assert "not reachable" in stranger.get("/readyz", headers=bearer).text
