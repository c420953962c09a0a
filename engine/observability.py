"""Wiring an engine's observability: the Prometheus listener, the fleet's gauges, the
process's own metrics, and the endpoints that serve them with the health checks."""

from __future__ import annotations

import time

import redis
from prometheus_client import CollectorRegistry, Info, ProcessCollector

from engine.endpoints import Endpoints
from engine.fleet_gauges import FleetGauges
from engine.keys import Keys
from engine.prometheus_listener import PrometheusListener
from engine.readiness import ready
from storage.db import Database
from storage.settings import Settings

# The worker gives its listeners a turn every couple of seconds; this long without one,
# its loop is stuck and the engine is not alive in any way that matters.
LIVE_WITHIN_S = 60.0


def alive(listener: PrometheusListener) -> str | None:
    quiet = time.monotonic() - listener.last_housekeeping
    if quiet > LIVE_WITHIN_S:
        return f"the worker's loop has not turned for {quiet:.0f} s"
    return None


def observe(
    settings: Settings, url: str, db: Database, keys: Keys, name: str
) -> tuple[PrometheusListener, Endpoints]:
    """The listener to add to the worker, and the endpoints, already listening on
    ``VEOGEN_ENGINE_METRICS_ADDRESS:VEOGEN_ENGINE_METRICS_PORT``."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    Info("veogen_engine", "This engine's name, as its logs give it", registry=registry).info(
        {"engine": name}
    )
    listener = PrometheusListener(registry)
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    registry.register(FleetGauges(client, keys, db))
    endpoints = Endpoints(
        registry,
        {"/healthz": lambda: alive(listener), "/readyz": lambda: ready(client, url, db)},
    )
    endpoints.start(settings.engine_metrics_address, settings.engine_metrics_port)
    return listener, endpoints
