"""The Veo backend: one generation per job, submitted once, polled until it is done.

Resume, never resubmit: the operation name is written to the job row the moment Veo
returns it, and a job that already has one (redelivered after its engine died) only polls.
Each job polls its own operation in this process's event loop, so one engine keeps
hundreds of generations in flight; the interval backs off from ``veo_poll_seconds`` to
``veo_poll_max_seconds`` and the whole wait is bounded by ``veo_timeout_seconds``, counted
from the job's first start so a restart does not reset it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from datetime import UTC
from typing import Any

import google.auth.exceptions
import httpx2
from google import genai
from google.genai import errors, types

from engine.backend import BackendError, JobCancelled, JobProgress, Outcome
from engine.google_client import GcsReader
from engine.quota import QuotaGate, backoff_seconds
from engine.veo_request import Continuity, build_request
from engine.video_files import last_frame_png, probe
from storage import catalog
from storage import jobs as job_store
from storage.db import Database
from storage.errors import StudioError
from storage.media import MediaStore, explain_os_error
from storage.models import Job, JobStatus, utcnow
from studio.config import Settings

log = logging.getLogger("veogen.veo")

# Network failures: any is safe to retry for a poll; for a submission only those where the
# request surely never left (a connection that did not open) are.
TRANSIENT = (httpx2.TransportError, OSError, google.auth.exceptions.TransportError)
NOT_SENT = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.PoolTimeout,
    google.auth.exceptions.TransportError,
)
CONTINUITY_WAIT_S = 1.0
# Requests to Veo at once (each takes milliseconds; a thousand jobs need a few), and takes
# being saved at once. A finished operation's poll carries its videos inline and saving a
# take decodes its poster: bounding both keeps memory flat when hundreds finish together.
REQUEST_SLOTS = 16
SAVE_SLOTS = 8
SAFETY_ADVICE = (
    "Rephrase the prompt (no real people's names, brands, violence or minors), "
    "try person generation 'dont_allow', or replace a reference image that shows a real person."
)


class VeoBackend:
    name = "veo"

    def __init__(
        self,
        settings: Settings,
        db: Database,
        client: genai.Client,
        gate: QuotaGate,
        gcs: GcsReader | None = None,
    ) -> None:
        self.settings, self.db, self.client, self.gate, self.gcs = settings, db, client, gate, gcs
        self._requests = asyncio.Semaphore(REQUEST_SLOTS)
        self._saves = asyncio.Semaphore(SAVE_SLOTS)

    async def generate(self, job: Job, media: MediaStore, progress: JobProgress) -> Outcome:
        name = job.operation_name
        if name is None:
            progress.update(0.0, "preparing the request")
            continuity = await self._continuity(job, media, progress)
            try:
                source, config = await asyncio.to_thread(
                    build_request, job.params, job.takes, media, continuity, self._output_uri(job)
                )
            except FileNotFoundError as exc:
                raise BackendError(
                    "request", f"an image this scene uses was deleted from the library ({exc})"
                ) from None
            name = await self._submit(job, source, config, progress)
            await self._save_operation(job, name)
            submitted = time.time()
        else:
            progress.update(0.05, "resuming the Veo operation")
            submitted = (job.submitted_at or job.started_at or utcnow()).replace(tzinfo=UTC)
            submitted = submitted.timestamp()
        return await self._wait_and_collect(job, name, media, progress, submitted)

    async def _save_operation(self, job: Job, name: str) -> None:
        """Write the operation name down before anything else: it is what makes a restart
        resume instead of paying again, so a database blip is retried, not given up on."""
        for attempt in range(10):
            try:
                await asyncio.to_thread(job_store.save_operation, self.db, job.id, name)
                log.info("job %s: Veo operation %s", job.id, name)
                return
            except StudioError as exc:
                log.warning("job %s: cannot save operation %s yet (%s)", job.id, name, exc)
                await asyncio.sleep(backoff_seconds(attempt, 0.5, cap=10))
        raise BackendError(
            "storage", f"Veo accepted operation {name} but the database cannot record it"
        )

    def _output_uri(self, job: Job) -> str | None:
        bucket = self.settings.veo_output_gcs_uri
        return f"{bucket.rstrip('/')}/veogen/job-{job.id}/" if bucket else None

    async def _continuity(self, job: Job, media: MediaStore, progress: JobProgress) -> Continuity:
        """The take to extend, or the previous scene's take (waiting for it while its own job
        is still running)."""
        extend = job.params.get("extend_take")
        if extend:
            path = media.path(extend["media_key"])
            if not path.is_file():
                raise BackendError("continuity", f"take {extend['take_id']} to extend is missing")
            return Continuity(video_mp4=await asyncio.to_thread(path.read_bytes))
        mode, previous = job.params.get("continuity"), job.params.get("previous")
        if mode not in ("previous", "extend") or not previous:
            return Continuity()
        deadline = time.monotonic() + self.settings.veo_timeout_seconds
        while True:
            take, pending = await asyncio.to_thread(
                job_store.selected_take, self.db, previous["scene_id"]
            )
            if take is not None or not pending:
                break
            if time.monotonic() > deadline:
                raise BackendError(
                    "continuity",
                    f"waited {self.settings.veo_timeout_seconds:.0f} s for the take of "
                    f"'{previous['title']}'; generate it first",
                )
            progress.update(0.0, f"waiting for the take of '{previous['title']}'")
            await self._sleep(CONTINUITY_WAIT_S, progress)
        if take is None:
            raise BackendError(
                "continuity",
                f"'{previous['title']}' has no selected take to continue from; generate it first",
            )
        path = media.path(take.media_key)
        if mode == "previous":
            return Continuity(first_frame_png=await asyncio.to_thread(last_frame_png, path))
        if take.backend != self.name:
            raise BackendError(
                "continuity",
                f"the selected take of '{previous['title']}' is an animatic draft; "
                "extension needs a Veo take (select one, or use continuity 'previous')",
            )
        return Continuity(video_mp4=await asyncio.to_thread(path.read_bytes))

    async def _submit(
        self,
        job: Job,
        source: types.GenerateVideosSource,
        config: types.GenerateVideosConfig,
        progress: JobProgress,
    ) -> str:
        """Submit once. Retried only when Veo surely did not start it: 429, 5xx, or a
        connection that never opened. A request whose answer was lost is not resent."""
        retries = self.settings.veo_retries
        last: BaseException | None = None
        for attempt in range(retries + 1):
            while (held := await self.gate.remaining()) > 0:
                progress.update(0.0, f"waiting {held:.0f} s for Veo quota to recover")
                await self._sleep(held + random.uniform(0, 0.1), progress)
            current = (await asyncio.to_thread(job_store.find_jobs, self.db, [job.id]))[job.id]
            if current.status == JobStatus.cancelled:
                raise JobCancelled()  # seen in SQL even if the Redis flag never arrived
            progress.update(0.02, "submitting to Veo")
            try:
                async with self._requests:
                    operation = await self.client.aio.models.generate_videos(
                        model=job.model, source=source, config=config
                    )
            except errors.APIError as exc:
                delay = backoff_seconds(attempt, self.settings.veo_retry_seconds)
                if exc.code == 429:
                    await self.gate.hold(delay)
                elif exc.code >= 500:
                    progress.update(0.0, f"Veo server error {exc.code}; retrying in {delay:.0f} s")
                    await self._sleep(delay, progress)
                else:
                    raise BackendError("submit", _refusal(exc)) from None
                last = exc
                continue
            except NOT_SENT as exc:
                delay = backoff_seconds(attempt, self.settings.veo_retry_seconds)
                progress.update(0.0, f"cannot reach Veo ({exc}); retrying in {delay:.0f} s")
                await self._sleep(delay, progress)
                last = exc
                continue
            except TRANSIENT as exc:
                raise BackendError(
                    "unconfirmed",
                    f"the request may have reached Veo but its answer was lost "
                    f"({type(exc).__name__}: {exc}); it is not resent, so it is never paid "
                    "twice, and its estimate stays reserved",
                ) from None
            if not operation.name:
                raise BackendError("submit", "Veo accepted the request but named no operation")
            return operation.name
        raise BackendError("submit", f"gave up after {retries + 1} tries: {_describe(last)}")

    async def _wait_and_collect(
        self, job: Job, name: str, media: MediaStore, progress: JobProgress, submitted: float
    ) -> Outcome:
        timeout = self.settings.veo_timeout_seconds
        interval = self.settings.veo_poll_seconds
        handle = types.GenerateVideosOperation(name=name)
        # just submitted: it cannot be done yet; resumed: it may have finished meanwhile
        wait = interval if time.time() - submitted < interval else 0.0
        while True:
            await self._sleep(wait, progress)
            elapsed = time.time() - submitted
            progress.update(
                0.05 + 0.85 * (1 - math.exp(-elapsed / 90)),
                f"Veo is generating ({elapsed:.0f} s)",
            )
            operation = None
            try:
                async with self._requests:
                    operation = await self.client.aio.operations.get(handle)
                    if operation.done:
                        # a finished poll carries its videos: holding the request slot until
                        # a save slot is free bounds how many sit in memory at once
                        await self._saves.acquire()
            except errors.APIError as exc:
                if exc.code != 429 and exc.code < 500:
                    raise BackendError("poll", _refusal(exc)) from None
            except TRANSIENT:
                pass  # polling is safe to repeat; the next poll comes soon
            if operation is not None and operation.done:
                try:
                    return await self._collect(job, operation, media, progress)
                finally:
                    self._saves.release()
            if time.time() - submitted > timeout:
                raise BackendError(
                    "timeout",
                    f"Veo did not finish within {timeout:.0f} s (operation {name}); "
                    "it may still finish at Google, and its estimate stays reserved",
                )
            interval = wait = min(self.settings.veo_poll_max_seconds, interval * 1.5)

    async def _collect(
        self,
        job: Job,
        operation: types.GenerateVideosOperation,
        media: MediaStore,
        progress: JobProgress,
    ) -> Outcome:
        if operation.error:
            message = operation.error.get("message") or "no message"
            raise BackendError(
                "veo", f"the generation failed: {message} (code {operation.error.get('code')})"
            )
        response = operation.response or operation.result
        videos = list(response.generated_videos or []) if response else []
        filtered = (response.rai_media_filtered_count or 0) if response else 0
        reasons = list(response.rai_media_filtered_reasons or []) if response else []
        if not videos:
            if filtered or reasons:
                raise BackendError(
                    "safety",
                    f"Veo's safety filters blocked every sample: {_reasons(reasons)}. "
                    + SAFETY_ADVICE,
                    status=JobStatus.blocked,
                )
            raise BackendError("veo", "Veo finished but returned no video")
        price = catalog.price_per_second(job.model, bool(job.params.get("generate_audio")))
        takes = []
        for index, generated in enumerate(videos):
            progress.update(0.9 + 0.1 * index / len(videos), f"saving take {index + 1}")
            takes.append(await self._save(job, index, generated, media, price))
        notice = None
        blocked = filtered or max(0, job.takes - len(videos))
        if blocked:
            notice = (
                f"{blocked} of {job.takes} samples were blocked by safety filters: "
                f"{_reasons(reasons)}. {SAFETY_ADVICE}"
            )
        return Outcome(takes, notice)

    async def _save(
        self,
        job: Job,
        index: int,
        generated: types.GeneratedVideo,
        media: MediaStore,
        price: float,
    ) -> dict[str, Any]:
        video = generated.video
        if video is None:
            raise BackendError("download", f"sample {index + 1} came back without a video")
        data = video.video_bytes
        if data is None and video.uri:
            if self.gcs is None:
                raise BackendError("download", f"sample {index + 1} is at {video.uri}: no GCS")
            data = await self.gcs.read(video.uri)
        if not data:
            raise BackendError("download", f"sample {index + 1} came back empty")
        key = media.take_key(job.project_id, job.scene_id or 0, job.id, index, "mp4")
        poster_key = key.removesuffix(".mp4") + ".jpg"
        temp, poster = media.temp_path(key), media.temp_path(poster_key)
        try:
            await asyncio.to_thread(temp.write_bytes, data)
            facts = await asyncio.to_thread(probe, temp, poster)
            media.commit(poster, poster_key)
            media.commit(temp, key)
        except OSError as exc:
            raise explain_os_error(exc, temp.parent) from None
        finally:
            temp.unlink(missing_ok=True)
            poster.unlink(missing_ok=True)
        return {
            "sample_index": index,
            "backend": self.name,
            "model": job.model,
            "is_draft": False,
            "media_key": key,
            "poster_key": poster_key,
            "duration": facts.duration,
            "width": facts.width,
            "height": facts.height,
            "fps": facts.fps,
            "codec": facts.codec,
            "bytes": facts.bytes,
            "seed": job.params.get("seed"),
            "params": dict(job.params),
            # Veo bills the seconds asked for, at the price with or without sound
            "cost_usd": round(price * job.params["duration"], 4),
        }

    @staticmethod
    async def _sleep(seconds: float, progress: JobProgress) -> None:
        """Sleep in short steps so a cancel is noticed within half a second."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(0.5, left))
            progress.update(progress.fraction)


REFUSALS = {
    400: "Veo refused the request",
    401: "Google refused the credentials",
    403: "Google denied permission",
    404: "Veo does not know this model or operation",
}


def _refusal(exc: errors.APIError) -> str:
    what = REFUSALS
    return f"{what.get(exc.code, 'Veo answered an error')} ({exc.code} {exc.status}): {exc.message}"


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, errors.APIError):
        return f"{exc.code} {exc.status}: {exc.message}"
    return str(exc)


def _reasons(reasons: list[str]) -> str:
    return "; ".join(reasons) if reasons else "no reason given"
