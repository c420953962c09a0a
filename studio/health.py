"""The studio's own ``/healthz``, ``/readyz`` and ``/metrics``, as routes for Streamlit's app
(``studio/server.py`` adds ``routes`` to its ``st.App``).

``/healthz``: the server answers. ``/readyz``: Redis and SQL both answer (503 and which
does not, otherwise). ``/metrics``: the process's own (memory, CPU, open files) and the
page runs per page, counted by ``studio/app.py``.
"""

from __future__ import annotations

from functools import cache

import redis
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    ProcessCollector,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from engine import queue_address, ready
from storage.db import Database
from storage.errors import StudioError
from storage.settings import load_settings

registry = CollectorRegistry()
ProcessCollector(registry=registry)
page_runs = Counter(
    "veogen_studio_page_runs", "Runs of a studio page (each click reruns it)", ["page"],
    registry=registry,
)  # fmt: skip


def count_page_run(page: str) -> None:
    page_runs.labels(page or "projects").inc()


@cache
def _connections() -> tuple[redis.Redis, str, Database]:
    """What readiness asks, made once per process from the settings."""
    settings = load_settings()
    url = queue_address(settings)
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    return client, url, Database(settings.db_url)


def healthz(request: Request) -> Response:
    return PlainTextResponse("ok\n")


def readyz(request: Request) -> Response:
    # a plain function: Starlette runs it in a thread, off the studio's event loop
    try:
        problem = ready(*_connections())
    except StudioError as exc:  # settings it cannot use: said by name
        problem = str(exc)
    if problem:
        return PlainTextResponse(problem + "\n", status_code=503)
    return PlainTextResponse("ok\n")


def metrics(request: Request) -> Response:
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


routes: list[BaseRoute] = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
