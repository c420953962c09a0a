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
import math
import random
import time

import google.auth.exceptions
import httpx2
from google import genai
from google.auth.credentials import Credentials
from google.genai import errors, types

from engine.backend import GenerateJob
from engine.context import JobContext
from engine.gcs import GcsReader
from engine.quota import QuotaGate, backoff_seconds
from engine.veo_request import Continuity, build_request
from engine.video_files import last_frame_png, probe
from storage.catalog import DRAFTS, VEO, Catalog
from storage.contract import Generated, NewTake
from storage.errors import CredentialsMissing, JobFailed, NotFound
from storage.google import renew
from storage.jobs import NOT_RESENT, UNCONFIRMED
from storage.media import poster_key, take_key
from storage.settings import Settings

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
# A 401 (a token expired mid-generation) is renewed and a 404 (an operation Google's front
# ends do not all know yet) retried this many times in a row before either is believed.
POLL_REFUSALS = 3
# Requests to Veo at once (each takes milliseconds; a thousand jobs need a few), and takes
# being saved at once. A finished operation's poll carries its videos inline and saving a
# take decodes its poster: bounding both keeps memory flat when hundreds finish together.
REQUEST_SLOTS = 16
SAVE_SLOTS = 8
# Veo offers no way to look an operation up again (no list call, and labels are not
# searchable through the API): a request that may have left is only ever resent by a person.
SAFETY_ADVICE = (
    "Rephrase the prompt (no real people's names, brands, violence or minors), "
    "try person generation 'dont_allow', or replace a reference image that shows a real person."
)


class VeoBackend:
    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        client: genai.Client,
        gate: QuotaGate,
        credentials: Credentials,
        gcs: GcsReader | None = None,
    ) -> None:
        self.settings, self.catalog, self.client = settings, catalog, client
        self.gate, self.credentials, self.gcs = gate, credentials, gcs
        self._requests = asyncio.Semaphore(REQUEST_SLOTS)
        self._saves = asyncio.Semaphore(SAVE_SLOTS)

    async def generate(self, job: GenerateJob, context: JobContext) -> Generated:
        name = context.operation
        if name is None:
            context.progress(0.0, "preparing the request")
            continuity = await self._continuity(job, context)
            spec = self.catalog.model(job.scene.model)
            try:
                source, config = await asyncio.to_thread(
                    build_request,
                    job.scene,
                    spec,
                    job.samples,
                    context.media,
                    continuity,
                    self._output_uri(job),
                )
            except NotFound as exc:
                raise JobFailed(
                    "request", f"an image this scene uses was deleted from the library ({exc})"
                ) from None
            name = await self._submit(job, source, config, context)
            await context.save_operation(name)
            submitted = time.time()
        else:
            context.progress(0.05, "resuming the Veo operation")
            submitted = context.submitted_at or context.started_at
        return await self._wait_and_collect(job, name, context, submitted)

    def _output_uri(self, job: GenerateJob) -> str | None:
        bucket = self.settings.veo_output_gcs_uri
        return f"{bucket.rstrip('/')}/veogen/job-{job.id}/" if bucket else None

    async def _continuity(self, job: GenerateJob, context: JobContext) -> Continuity:
        """The take to extend, or the previous scene's take (waiting for it while its own job
        is still running)."""
        media, scene = context.media, job.scene
        if scene.extend_take:
            if not media.exists(scene.extend_take.media_key):
                raise JobFailed(
                    "continuity", f"take {scene.extend_take.take_id} to extend is missing"
                )
            return Continuity(
                video_mp4=await asyncio.to_thread(media.read, scene.extend_take.media_key)
            )
        mode, previous = scene.continuity, scene.previous
        if mode not in ("previous", "extend") or previous is None:
            return Continuity()
        deadline = time.monotonic() + self.settings.veo_timeout_seconds
        while True:
            take, pending = await context.previous_take(previous.scene_id)
            if take is not None or not pending:
                break
            if time.monotonic() > deadline:
                raise JobFailed(
                    "continuity",
                    f"waited {self.settings.veo_timeout_seconds:.0f} s for the take of "
                    f"'{previous.title}'; generate it first",
                )
            context.progress(0.0, f"waiting for the take of '{previous.title}'")
            await context.sleep(CONTINUITY_WAIT_S)
        if take is None:
            raise JobFailed(
                "continuity",
                f"'{previous.title}' has no selected take to continue from; generate it first",
            )
        if mode == "previous":
            path = media.local_path(take.media_key)
            return Continuity(first_frame_png=await asyncio.to_thread(last_frame_png, path))
        if take.backend != VEO.name:
            made_by = "an animatic draft" if take.backend == DRAFTS.name else take.backend
            raise JobFailed(
                "continuity",
                f"the selected take of '{previous.title}' is {made_by}; "
                "extension needs a Veo take (select one, or use continuity 'previous')",
            )
        return Continuity(video_mp4=await asyncio.to_thread(media.read, take.media_key))

    async def _submit(
        self,
        job: GenerateJob,
        source: types.GenerateVideosSource,
        config: types.GenerateVideosConfig,
        context: JobContext,
    ) -> str:
        """Submit once. Retried only when Veo surely did not start it: 429, 5xx, or a
        connection that never opened. A request whose answer was lost is not resent."""
        retries = self.settings.veo_retries
        last: BaseException | None = None
        for attempt in range(retries + 1):
            while (held := await self.gate.remaining()) > 0:
                context.progress(0.0, f"waiting {held:.0f} s for Veo quota to recover")
                await context.sleep(held + random.uniform(0, 0.1))
            await context.check_cancelled()  # seen in SQL even if the Redis flag never came
            context.progress(0.02, "submitting to Veo")
            try:
                async with self._requests:
                    await context.begin_submission()  # from here on it may be billed
                    operation = await self.client.aio.models.generate_videos(
                        model=job.scene.model, source=source, config=config
                    )
            except errors.APIError as exc:
                context.provider_error(str(exc.code))
                await context.end_submission()  # refused outright: nothing started
                delay = backoff_seconds(attempt, self.settings.veo_retry_seconds)
                if exc.code == 429:
                    await self.gate.hold(delay)
                elif exc.code == 401:  # refused before it started: nothing to pay
                    await self._renew()
                elif exc.code >= 500:
                    context.progress(0.0, f"Veo server error {exc.code}; retrying in {delay:.0f} s")
                    await context.sleep(delay)
                else:
                    raise JobFailed("submit", _refusal(exc)) from None
                last = exc
                continue
            except NOT_SENT as exc:
                await context.end_submission()
                delay = backoff_seconds(attempt, self.settings.veo_retry_seconds)
                context.progress(0.0, f"cannot reach Veo ({exc}); retrying in {delay:.0f} s")
                await context.sleep(delay)
                last = exc
                continue
            except TRANSIENT as exc:
                raise JobFailed(
                    UNCONFIRMED,
                    f"the request may have reached Veo but its answer was lost "
                    f"({type(exc).__name__}: {exc}); {NOT_RESENT}",
                ) from None
            if not operation.name:
                raise JobFailed("submit", "Veo accepted the request but named no operation")
            return operation.name
        raise JobFailed("submit", f"gave up after {retries + 1} tries: {_describe(last)}")

    async def _wait_and_collect(
        self, job: GenerateJob, name: str, context: JobContext, submitted: float
    ) -> Generated:
        timeout = self.settings.veo_timeout_seconds
        interval = self.settings.veo_poll_seconds
        handle = types.GenerateVideosOperation.model_validate({"name": name})
        # just submitted: it cannot be done yet; resumed: it may have finished meanwhile
        wait = interval if time.time() - submitted < interval else 0.0
        refusals = 0  # 401s and 404s in a row: a token to renew, an operation not yet seen
        while True:
            await context.sleep(wait)
            elapsed = time.time() - submitted
            context.progress(
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
                refusals = 0
            except errors.APIError as exc:
                context.provider_error(str(exc.code))
                refusals += exc.code in (401, 404)
                if exc.code in (401, 404) and refusals > POLL_REFUSALS:
                    raise JobFailed("poll", _refusal(exc)) from None
                if exc.code == 401:
                    await self._renew()  # the token expired while Veo was generating
                elif exc.code != 404 and exc.code != 429 and exc.code < 500:
                    raise JobFailed("poll", _refusal(exc)) from None
            except TRANSIENT:
                pass  # polling is safe to repeat; the next poll comes soon
            if operation is not None and operation.done:
                try:
                    return await self._collect(job, operation, context)
                finally:
                    self._saves.release()
            if time.time() - submitted > timeout:
                raise JobFailed(
                    "timeout",
                    f"Veo did not finish within {timeout:.0f} s (operation {name}); "
                    "it may still finish at Google, and its estimate stays reserved",
                )
            interval = wait = min(self.settings.veo_poll_max_seconds, interval * 1.5)

    async def _renew(self) -> None:
        try:
            await asyncio.to_thread(renew, self.credentials)
        except CredentialsMissing as exc:
            raise JobFailed("credentials", str(exc)) from None

    async def _collect(
        self, job: GenerateJob, operation: types.GenerateVideosOperation, context: JobContext
    ) -> Generated:
        if operation.error:
            context.provider_error(f"operation {operation.error.get('code')}")
            message = operation.error.get("message") or "no message"
            raise JobFailed(
                "veo", f"the generation failed: {message} (code {operation.error.get('code')})"
            )
        response = operation.response or operation.result
        videos = list(response.generated_videos or []) if response else []
        filtered = (response.rai_media_filtered_count or 0) if response else 0
        reasons = list(response.rai_media_filtered_reasons or []) if response else []
        if not videos:
            if filtered or reasons:
                raise JobFailed(
                    "safety",
                    f"Veo's safety filters blocked every sample: {_reasons(reasons)}. "
                    + SAFETY_ADVICE,
                    blocked=True,
                )
            raise JobFailed("veo", "Veo finished but returned no video")
        scene = job.scene
        spec = self.catalog.model(scene.model)
        price = spec.price_per_second(scene.resolution, scene.generate_audio)
        takes = []
        for index, generated in enumerate(videos):
            context.progress(0.9 + 0.1 * index / len(videos), f"saving take {index + 1}")
            takes.append(await self._save(job, index, generated, context, price))
        notice = None
        blocked = filtered or max(0, job.samples - len(videos))
        if blocked:
            notice = (
                f"{blocked} of {job.samples} samples were blocked by safety filters: "
                f"{_reasons(reasons)}. {SAFETY_ADVICE}"
            )
        return Generated(tuple(takes), notice)

    async def _save(
        self,
        job: GenerateJob,
        index: int,
        generated: types.GeneratedVideo,
        context: JobContext,
        price: float,
    ) -> NewTake:
        video = generated.video
        if video is None:
            raise JobFailed("download", f"sample {index + 1} came back without a video")
        data = video.video_bytes
        if data is None and video.uri:
            if self.gcs is None:
                raise JobFailed("download", f"sample {index + 1} is at {video.uri}: no GCS")
            data = await self.gcs.read(video.uri)
        if not data:
            raise JobFailed("download", f"sample {index + 1} came back empty")
        key = take_key(job.project_id, job.scene_id, job.id, index)
        media = context.media
        with media.writing(key) as temp, media.writing(poster_key(key)) as poster:
            await asyncio.to_thread(temp.write_bytes, data)
            facts = await asyncio.to_thread(probe, temp, poster)
        return NewTake(
            sample_index=index,
            media_key=key,
            poster_key=poster_key(key),
            duration=facts.duration,
            width=facts.width,
            height=facts.height,
            fps=facts.fps,
            codec=facts.codec,
            bytes=facts.bytes,
            seed=job.scene.seed,
            # Veo bills the seconds asked for, at the price with or without sound
            cost_usd=round(price * job.scene.duration, 4),
        )


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
