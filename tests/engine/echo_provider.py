"""A provider defined inside the test suite: its catalog entries and its backend, nothing else.

It behaves as a cloud provider does: it saves a remote operation before making anything
(so a redelivered job resumes it), reports progress, and bills per second.
"""

from __future__ import annotations

from engine.backend import GenerateJob
from engine.context import JobContext
from engine.providers import Provider
from storage.catalog import Billing, ModelSpec, Price, ProviderSpec
from storage.contract import Generated, NewTake
from storage.media import take_key
from tests.clips import mp4_bytes

ECHO = ModelSpec(
    name="echo-1",
    label="Echo 1",
    durations=(2, 4),
    aspect_ratios=("16:9",),
    max_samples=2,
    prices={"720p": Price(0.01, 0.02)},
    first_frame=False,
    last_frame=False,
    reference_images=0,
    extension=False,
)


class EchoBackend:
    def __init__(self) -> None:
        self.resumed: list[str] = []

    async def generate(self, job: GenerateJob, context: JobContext) -> Generated:
        if context.operation is None:
            await context.check_cancelled()
            await context.save_operation(f"echo/operations/{job.id}")
        else:
            self.resumed.append(context.operation)
        takes = []
        for sample in range(job.samples):
            key = take_key(job.project_id, job.scene_id, job.id, sample)
            context.media.write(key, mp4_bytes(job.scene.duration, 320, 180))
            context.progress((sample + 1) / job.samples, f"echoing take {sample + 1}")
            price = ECHO.price_per_second(job.scene.resolution, job.scene.generate_audio)
            takes.append(
                NewTake(
                    sample_index=sample,
                    media_key=key,
                    poster_key=None,
                    duration=job.scene.duration,
                    width=320,
                    height=180,
                    fps=24.0,
                    codec="h264",
                    bytes=len(context.media.read(key)),
                    seed=job.scene.seed,
                    cost_usd=round(price * job.scene.duration, 4),
                )
            )
        return Generated(tuple(takes))


PROVIDER = Provider(
    ProviderSpec("echo", "Echo (test suite)", Billing(True, frozenset({"echo"})), (ECHO,)),
    lambda kit: EchoBackend(),
)
