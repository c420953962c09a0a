"""The job log: a line as each job starts and ends, and the job's and its project's ids on
every line written while it runs."""

from __future__ import annotations

import logging

from engine.listeners import JobListener
from storage.contract import Result
from storage.logs import about_job
from storage.models import Job

log = logging.getLogger("veogen.engine")


class JobLog(JobListener):
    def job_started(self, job: Job, queue_wait_s: float) -> None:
        # The worker tells of a start in the job's own task: the ids hold for the rest of it
        # (and for the threads it hands work to), and for no other job's.
        about_job(job.id, job.project_id)
        log.info(
            "job %s: %s by %s started (attempt %d, queued %.1f s)",
            job.id, job.kind, job.backend, job.attempts, queue_wait_s,
        )  # fmt: skip

    def job_succeeded(self, job: Job, result: Result, run_s: float) -> None:
        log.info("job %s: succeeded in %.1f s (%d bytes)", job.id, run_s, result.bytes)

    def job_failed(
        self, job: Job, stage: str, reason: str, blocked: bool, run_s: float | None
    ) -> None:
        log.info("job %s: %s at %s: %s", job.id, "blocked" if blocked else "failed", stage, reason)

    def job_cancelled(self, job: Job, run_s: float) -> None:
        log.info("job %s: cancelled after %.1f s", job.id, run_s)
