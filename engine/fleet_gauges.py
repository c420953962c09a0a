"""What the whole fleet shares, read when Prometheus scrapes: the queue, the quota holds and
the projects' spending against their budgets.

Every engine reports the same values (alert rules and dashboards take their ``max``). The
queue and the holds are one Redis round trip a scrape (``fleet_state``, which the engine's
samples read too); spending is one grouped SQL query, asked at most every ``SPEND_TTL_S``
seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from engine.fleet_state import read_fleet
from engine.keys import Keys
from storage.db import Database
from storage.errors import StudioError
from storage.spending import spend_ratios

log = logging.getLogger("veogen.engine")

SPEND_TTL_S = 30.0


class FleetGauges(Collector):
    def __init__(self, client: redis.Redis, keys: Keys, db: Database) -> None:
        """``client``: a synchronous Redis client (scrapes are served off the event loop)."""
        self.client, self.keys, self.db = client, keys, db
        self._spend: dict[int, float] = {}
        self._spend_read = -SPEND_TTL_S

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            yield from self._queue()
        except (redis.RedisError, OSError) as exc:  # /readyz says so; the scrape goes on
            log.warning("metrics: cannot read the queue (%s)", exc)
        yield from self._spending()

    def _queue(self) -> Iterator[GaugeMetricFamily]:
        fleet = read_fleet(self.client, self.keys)
        yield GaugeMetricFamily(
            "veogen_queue_depth", "Jobs waiting for an engine", value=fleet.queue_depth
        )
        yield GaugeMetricFamily(
            "veogen_queue_pending",
            "Jobs delivered to an engine and not yet acknowledged",
            value=fleet.pending,
        )
        yield GaugeMetricFamily(
            "veogen_quota_holds", "Veo quota holds in force now (0 or 1)", value=int(fleet.held)
        )
        yield GaugeMetricFamily(
            "veogen_quota_hold_seconds",
            "How long Veo's quota has been held, holds under a minute apart as one "
            "(0: not held now)",
            value=fleet.held_s,
        )

    def _spending(self) -> Iterator[GaugeMetricFamily]:
        if time.monotonic() - self._spend_read >= SPEND_TTL_S:
            try:
                self._spend = spend_ratios(self.db)
                self._spend_read = time.monotonic()
            except StudioError as exc:
                log.warning("metrics: cannot read spending (%s)", exc)
        family = GaugeMetricFamily(
            "veogen_project_spend_ratio",
            "What a project spent or reserved, as a share of its budget",
            labels=["project"],
        )
        for project, ratio in sorted(self._spend.items()):
            family.add_metric([str(project)], ratio)
        yield family
