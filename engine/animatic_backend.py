"""The animatic backend: renders each take locally as a labelled draft preview."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from engine.animatic import AnimaticSpec, RenderResult, render
from engine.backend import GenerateJob
from engine.context import JobContext
from storage import catalog
from storage.contract import Generated, NewTake
from storage.media import MediaStore, poster_key, take_key


def take_seed(job: GenerateJob, sample: int) -> int:
    """The scene's seed when it has one (so a take can be reproduced), else one per job."""
    base = job.scene.seed
    return (int(base) if base is not None else job.id * 7919) + sample


class AnimaticBackend:
    async def generate(self, job: GenerateJob, context: JobContext) -> Generated:
        scene = job.scene
        width, height = catalog.frame_size(scene.resolution, scene.aspect_ratio)
        previous = scene.previous
        takes = []
        for sample in range(job.samples):
            seed = take_seed(job, sample)
            spec = AnimaticSpec(
                title=scene.title,
                prompt=scene.prompt,
                duration=scene.duration,
                width=width,
                height=height,
                seed=seed,
                style=scene.style,
                camera=scene.camera,
                palette_prompt=previous.prompt if previous else None,
                palette_seed=previous.seed if previous else None,
            )
            key = take_key(job.project_id, job.scene_id, job.id, sample)

            def report(fraction: float, sample: int = sample) -> None:
                context.progress(
                    (sample + fraction) / job.samples,
                    f"rendering take {sample + 1} of {job.samples}",
                )

            result = await asyncio.to_thread(_render_one, spec, context.media, key, report)
            takes.append(
                NewTake(
                    sample_index=sample,
                    media_key=key,
                    poster_key=poster_key(key),
                    duration=result.duration,
                    width=result.width,
                    height=result.height,
                    fps=result.fps,
                    codec=result.codec,
                    bytes=result.bytes,
                    seed=seed,
                    cost_usd=0.0,
                )
            )
        return Generated(tuple(takes))


def _render_one(
    spec: AnimaticSpec, media: MediaStore, key: str, report: Callable[[float], None]
) -> RenderResult:
    with media.writing(key) as video, media.writing(poster_key(key)) as poster:
        return render(spec, video, poster, report)
