"""A running job's context: everything a backend may do besides its own work.

Backends hold no database. Through the context a backend reports progress and sees a
cancel (one convention: ``progress`` raises ``JobCancelled`` once the job is cancelled;
code running in a thread may read ``cancelled`` instead), tells the errors its provider
answered (for the engine's metrics), saves the handle of remote work the moment it exists
and reads it back when resumed, finds the previous scene's take, and reads and writes
media by key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from engine.quota import backoff_seconds
from storage import jobs as job_store
from storage.contract import TakeRef
from storage.db import Database
from storage.errors import JobCancelled, JobFailed, JobLost, StudioError
from storage.media import MediaStore
from storage.models import Job, JobStatus

log = logging.getLogger("veogen.engine")

SAVE_TRIES = 10


def _epoch(moment: datetime | None) -> float | None:
    return moment.replace(tzinfo=UTC).timestamp() if moment else None


class _Noted:
    """The media store, noting each key written through it: a job that ends without a
    result (failed, cancelled) then leaves none of its files behind."""

    def __init__(self, store: MediaStore) -> None:
        self.store = store
        self.written: list[str] = []

    def exists(self, key: str) -> bool:
        return self.store.exists(key)

    def read(self, key: str) -> bytes:
        return self.store.read(key)

    def open(self, key: str) -> BinaryIO:
        return self.store.open(key)

    @contextmanager
    def writing(self, key: str) -> Iterator[Path]:
        self.written.append(key)
        with self.store.writing(key) as temp:
            yield temp

    def write(self, key: str, data: bytes) -> None:
        self.written.append(key)
        self.store.write(key, data)

    def delete(self, key: str) -> None:
        self.store.delete(key)

    def delete_prefix(self, prefix: str) -> None:
        self.store.delete_prefix(prefix)

    def local_path(self, key: str) -> Path:
        return self.store.local_path(key)

    def playback(self, key: str) -> str:
        return self.store.playback(key)


class JobContext:
    def __init__(
        self,
        db: Database,
        job: Job,
        media: MediaStore,
        provider_error: Callable[[str], None] = lambda code: None,
    ) -> None:
        self._db, self._job_id = db, job.id
        # Tells the worker's listeners of each error the provider answered (retried or not).
        self.provider_error = provider_error
        self._noted = _Noted(media)
        self.media: MediaStore = self._noted
        # The remote operation saved by an earlier attempt, and when it was accepted:
        # a backend that finds one resumes it instead of starting (and paying) again.
        self.operation: str | None = job.operation_name
        self.submitted_at: float | None = _epoch(job.submitted_at)
        # An earlier attempt began sending its request and saved no operation: the
        # provider may have billed it, so it is never sent again without a person.
        self.submission_began = job.submitting_at is not None
        self.started_at: float = _epoch(job.started_at) or time.time()
        self.fraction = 0.0
        self.stage = "starting"
        self._cancelled = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Called by the worker when it sees the cancel; the backend stops at its next step."""
        self._cancelled = True

    def progress(self, fraction: float, stage: str | None = None) -> None:
        """Record progress (from any thread); raises ``JobCancelled`` once cancelled."""
        if self._cancelled:
            raise JobCancelled()
        self.fraction = max(self.fraction, min(1.0, fraction))
        if stage:
            self.stage = stage

    async def sleep(self, seconds: float) -> None:
        """Wait, noticing a cancel within half a second."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(0.5, left))
            self.progress(self.fraction)

    async def check_cancelled(self) -> None:
        """Raise ``JobCancelled`` if SQL says so, even when Redis never carried the cancel."""
        current = await asyncio.to_thread(job_store.find_jobs, self._db, [self._job_id])
        job = current.get(self._job_id)
        if job is None or job.status == JobStatus.cancelled:
            self._cancelled = True
            raise JobCancelled()

    async def begin_submission(self) -> None:
        """Say, before a request leaves, that it may be billed from now on; raises
        ``JobCancelled`` if the job stopped running meanwhile (it must not leave then)."""
        running: list[bool] = []
        await self._retrying(
            "note the submission",
            lambda: running.append(job_store.begin_submission(self._db, self._job_id)),
        )
        if not running[-1]:
            await self.check_cancelled()
            raise JobLost()
        self.submission_began = True

    async def end_submission(self) -> None:
        """The provider refused the request outright: nothing started, nothing to pay."""
        await self._retrying(
            "note the refusal", lambda: job_store.end_submission(self._db, self._job_id)
        )
        self.submission_began = False

    async def save_operation(self, name: str) -> None:
        """Write the remote operation's name down before anything else: it is what makes a
        restart resume instead of paying again, so a database blip is retried."""
        await self._retrying(
            f"record operation {name}",
            lambda: job_store.save_operation(self._db, self._job_id, name),
        )
        self.operation, self.submitted_at = name, time.time()
        log.info("job %s: operation %s", self._job_id, name)

    async def _retrying(self, what: str, write: Callable[[], None]) -> None:
        for attempt in range(SAVE_TRIES):
            try:
                await asyncio.to_thread(write)
                return
            except StudioError as exc:
                log.warning("job %s: cannot %s yet (%s)", self._job_id, what, exc)
                await asyncio.sleep(backoff_seconds(attempt, 0.5, cap=10))
        raise JobFailed("storage", f"the database cannot {what}")

    def discard_media(self) -> None:
        """Remove every file this job wrote: it ended without a result to keep them for."""
        for key in self._noted.written:
            self._noted.store.delete(key)

    async def previous_take(self, scene_id: int) -> tuple[TakeRef | None, bool]:
        """That scene's selected take, and whether a job of it is still queued or running."""
        take, pending = await asyncio.to_thread(job_store.selected_take, self._db, scene_id)
        return (TakeRef(take.id, take.media_key, take.backend) if take else None), pending
