"""The engine's job client: the only part of the engine the studio and the CLI import.

Submitting writes the jobs to SQL first (the source of truth) and then their ids to the
Redis stream; if the stream cannot be reached the jobs are failed at the "queue" stage,
so nothing waits forever for a delivery that never happened.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import redis

from engine.keys import PROGRESS_TTL_S, Keys
from engine.redis_server import connect
from storage import cut
from storage import jobs as job_store
from storage.db import Database
from storage.errors import QueueUnavailable
from storage.models import Job, User


@dataclass(frozen=True)
class Progress:
    fraction: float
    stage: str
    engine: str


class JobClient:
    """Queues, cancels and watches jobs. ``drafts``: generations are local animatic drafts
    rather than their models' providers' (billed) work."""

    def __init__(self, db: Database, redis_url: str, prefix: str, drafts: bool) -> None:
        self.db = db
        self.redis_url = redis_url
        self.keys = Keys(prefix)
        self.drafts = drafts
        self._redis: redis.Redis | None = None

    @property
    def queue(self) -> redis.Redis:
        if self._redis is None:
            self._redis = connect(self.redis_url)
        return self._redis

    def plan(
        self,
        actor: User,
        project_id: int,
        scene_ids: list[int] | None = None,
        takes: int | None = None,
    ) -> job_store.Plan:
        """What ``generate`` would queue and spend (and whether the budget allows it)."""
        return job_store.plan_generation(self.db, actor, project_id, self.drafts, scene_ids, takes)

    def generate(
        self,
        actor: User,
        project_id: int,
        scene_ids: list[int] | None = None,
        takes: int | None = None,
        changes: dict[int, dict[str, Any]] | None = None,
        once: dict[int, dict[str, Any]] | None = None,
    ) -> list[Job]:
        """Queue one generation job per scene, saved with ``changes`` to those scenes (and
        made with ``once``, for these jobs only); raises before saving anything if Redis
        is down."""
        queue = self.queue
        created = job_store.create_generation_jobs(
            self.db, actor, project_id, self.drafts, scene_ids, takes, changes, once
        )
        self._submit(queue, created)
        return created

    def render(self, actor: User, project_id: int, settings: dict[str, Any]) -> Job:
        """Queue a render of the project's movie with these export settings."""
        queue = self.queue
        job = cut.create_render_job(self.db, actor, project_id, settings)
        self._submit(queue, [job])
        return job

    def _submit(self, queue: redis.Redis, created: list[Job]) -> None:
        """Their ids onto the stream, or every one failed at the "queue" stage."""
        try:
            with queue.pipeline(transaction=False) as pipe:
                for job in created:
                    pipe.xadd(self.keys.stream, {"job_id": job.id})
                pipe.execute()
        except (redis.RedisError, OSError) as exc:
            for job in created:
                job_store.fail_job(
                    self.db, job.id, "queue", f"the queue could not be reached: {exc}"
                )
            raise QueueUnavailable(
                f"queue: could not submit {len(created)} job(s): {exc}"
            ) from None

    def retry(self, actor: User, job_id: int) -> Job:
        """Send a job whose request may have been billed again: a person's choice. With
        Redis away it stays queued in SQL, and the reconciler delivers it once Redis is back."""
        job = job_store.retry_unconfirmed(self.db, actor, job_id)
        with contextlib.suppress(QueueUnavailable, redis.RedisError, OSError):
            self.queue.xadd(self.keys.stream, {"job_id": job.id})
        return job

    def give_up(self, actor: User, job_id: int) -> Job:
        """Leave a job whose request may have been billed unsent; its reservation stays."""
        return job_store.give_up(self.db, actor, job_id)

    def cancel(self, actor: User, job_id: int) -> Job:
        job = job_store.cancel_job(self.db, actor, job_id)
        # A running job's engine sees this within a second and stops rendering. If Redis is
        # away, SQL already says cancelled and the engine checks it before keeping a result.
        with contextlib.suppress(redis.RedisError, OSError):
            self.queue.set(self.keys.cancel(job_id), 1, ex=PROGRESS_TTL_S)
        return job

    def progress(self, job_ids: list[int]) -> dict[int, Progress]:
        if not job_ids:
            return {}
        try:
            with self.queue.pipeline(transaction=False) as pipe:
                for job_id in job_ids:
                    pipe.hgetall(self.keys.progress(job_id))
                replies = pipe.execute()
        except (redis.RedisError, OSError) as exc:
            raise QueueUnavailable(
                f"queue: live progress is unavailable while Redis is away ({exc}); the jobs "
                "go on and their outcome is kept"
            ) from None
        out = {}
        for job_id, reply in zip(job_ids, replies, strict=True):
            if reply:
                out[job_id] = Progress(
                    fraction=float(reply.get(b"fraction", 0)),
                    stage=reply.get(b"stage", b"").decode(),
                    engine=reply.get(b"engine", b"").decode(),
                )
        return out

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
