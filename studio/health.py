"""The studio's own ``/healthz``, ``/readyz`` and ``/metrics``, as routes for Streamlit's app
(``studio/server.py`` adds ``routes`` to its ``st.App``).

``/healthz``: the server answers. ``/readyz``: Redis and SQL both answer (503 otherwise,
and which does not to a trusted caller). ``/metrics``: the process's own (memory, CPU, open
files) and the page runs per page, counted by ``studio/app.py``, to trusted callers only.

These share the studio's public port, so what they tell is kept to a trusted caller: one
bearing ``VEOGEN_METRICS_TOKEN``, or with none set, one on this machine.
"""

from __future__ import annotations

import hmac
import ipaddress
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

# Headers a proxy adds: a request bearing one came from further away than its socket says
# (a proxy on this machine that adds none still looks local: set the token behind one).
FORWARDED = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")
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


@cache
def _token() -> str | None:
    try:
        return load_settings().metrics_token
    except StudioError:  # settings /readyz will name: trust this machine alone meanwhile
        return None


def _trusted(request: Request) -> bool:
    token = _token()
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if any(h in request.headers for h in FORWARDED):  # a proxy here: the client is elsewhere
        return False
    try:
        return request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:  # not an address at all
        return False


def healthz(request: Request) -> Response:
    return PlainTextResponse("ok\n")


def readyz(request: Request) -> Response:
    # a plain function: Starlette runs it in a thread, off the studio's event loop
    try:
        problem = ready(*_connections())
    except StudioError as exc:  # settings it cannot use: said by name
        problem = str(exc)
    if problem:
        told = problem if _trusted(request) else "not ready"
        return PlainTextResponse(told + "\n", status_code=503)
    return PlainTextResponse("ok\n")


def metrics(request: Request) -> Response:
    if not _trusted(request):
        return PlainTextResponse(
            "unauthorized\n",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


routes: list[BaseRoute] = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
