"""Listeners on the worker: what else happens when a job starts, moves, ends.

The shape of dramatiq's middleware: a listener overrides the hooks it cares about, and the
worker calls every listener's hook at each point of a job's life, knowing nothing of what
they do (metrics, Prometheus, notifications). A listener's failure is logged and never
stops a job. What the worker itself keeps (its jobs in flight, its slots) a listener reads
through the ``EngineState`` it is given at the start, rather than keeping a copy.
"""

from __future__ import annotations

from typing import Protocol

from storage.contract import Result
from storage.models import Job


class EngineState(Protocol):
    """The worker's own record, read-only."""

    @property
    def concurrency(self) -> int:
        """Jobs it runs at once, at most."""

    @property
    def in_flight(self) -> int:
        """Jobs it runs now."""


class JobListener:
    def worker_started(self, engine: EngineState) -> None:
        """The worker begins consuming; ``engine`` tells its state from now on."""

    def job_started(self, job: Job, queue_wait_s: float) -> None:
        """A delivery of ``job`` began running (``job.attempts`` counts them)."""

    def job_progress(self, job: Job, fraction: float) -> None:
        """The job passed another quarter of its work."""

    def job_succeeded(self, job: Job, result: Result, run_s: float) -> None: ...

    def job_failed(
        self, job: Job, stage: str, reason: str, blocked: bool, run_s: float | None
    ) -> None:
        """Ended without a result (``run_s`` None: it never ran); ``blocked``: refused by a
        provider's safety filters."""

    def job_cancelled(self, job: Job, run_s: float) -> None:
        """Cancelled by a user while it ran."""

    def provider_error(self, job: Job, code: str) -> None:
        """The job's provider answered an error (``code``: its HTTP status, or its
        operation's error code), whether the backend retries it or fails the job."""

    def job_seen_ended(self, job: Job) -> None:
        """Delivered after it had ended: cancelled while queued, or finished by an engine
        that stopped before it could acknowledge it (its own record may be lost with it)."""

    async def job_settled(self) -> None:
        """The job's outcome is in SQL and its delivery is about to be acknowledged: make
        what was recorded about it durable now."""

    async def housekeeping(self) -> None:
        """Called every couple of seconds while the worker runs, and once as it stops."""
