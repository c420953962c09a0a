"""The Prometheus listener: job events as counters, histograms and gauges on ``/metrics``.

Its metric names are a contract shared with the alert rules and the Grafana dashboards in
``docker/``: rename one there too. What the fleet shares (the queue, quota holds, budgets)
is read at scrape time by ``engine/fleet_gauges.py``; what one engine sees is counted here.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from engine.listeners import EngineState, JobListener
from storage.catalog import VEO
from storage.contract import Result
from storage.models import Job, JobStatus

# A draft renders in seconds, a Veo generation takes minutes (30 at most by default).
DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600)
WAIT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)


class PrometheusListener(JobListener):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.jobs = Counter(
            "veogen_jobs", "Jobs ended, by kind and outcome", ["kind", "outcome"], registry=registry
        )
        self.duration = Histogram(
            "veogen_job_duration_seconds",
            "Time a job ran (generation or assembly), however it ended",
            ["kind"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.wait = Histogram(
            "veogen_queue_wait_seconds",
            "Time from queueing to a job's first start",
            ["kind"],
            buckets=WAIT_BUCKETS,
            registry=registry,
        )
        self.veo_errors = Counter(
            "veogen_veo_errors", "Errors Veo answered, by code", ["code"], registry=registry
        )
        self.bytes_written = Counter(
            "veogen_bytes_written", "Bytes of media written by finished jobs", registry=registry
        )
        # Jobs this engine is running now (for Veo, its operations in flight), as the
        # worker counts them, read at each scrape.
        self.engine: EngineState | None = None
        in_flight = Gauge(
            "veogen_operations_in_flight", "Jobs this engine is running now", registry=registry
        )
        in_flight.set_function(lambda: self.engine.in_flight if self.engine else 0)
        # Liveness: the worker calls every listener's housekeeping every couple of seconds.
        self.last_housekeeping = time.monotonic()
        for kind in ("generate", "render"):  # every series exists from the start, at 0
            for outcome in ("succeeded", "failed", "blocked", "cancelled"):
                self.jobs.labels(kind, outcome)

    def worker_started(self, engine: EngineState) -> None:
        self.engine = engine

    def _ended(self, job: Job, outcome: str, run_s: float | None) -> None:
        self.jobs.labels(job.kind, outcome).inc()
        if run_s is not None:
            self.duration.labels(job.kind).observe(run_s)

    def job_started(self, job: Job, queue_wait_s: float) -> None:
        if job.attempts == 1 and job.operation_name is None:  # not a retry, not a resume
            self.wait.labels(job.kind).observe(queue_wait_s)

    def job_succeeded(self, job: Job, result: Result, run_s: float) -> None:
        self._ended(job, "succeeded", run_s)
        self.bytes_written.inc(result.bytes)

    def job_failed(
        self, job: Job, stage: str, reason: str, blocked: bool, run_s: float | None
    ) -> None:
        self._ended(job, "blocked" if blocked else "failed", run_s)

    def job_cancelled(self, job: Job, run_s: float) -> None:
        self._ended(job, "cancelled", run_s)

    def job_seen_ended(self, job: Job) -> None:
        # Cancelled while queued: no engine ran it, so none counted it. (A job finished by an
        # engine that stopped before acknowledging it was counted by that engine.)
        if job.status == JobStatus.cancelled and job.started_at is None:
            self.jobs.labels(job.kind, "cancelled").inc()

    def provider_error(self, job: Job, code: str) -> None:
        if job.backend == VEO.name:  # the contract names Veo's; other providers' are not
            self.veo_errors.labels(code).inc()

    async def housekeeping(self) -> None:
        self.last_housekeeping = time.monotonic()
