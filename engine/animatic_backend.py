"""The animatic backend: renders each take locally as a labelled draft preview."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine.animatic import AnimaticSpec, render
from engine.backend import JobProgress, Outcome
from storage import catalog
from storage.media import MediaStore, explain_os_error
from storage.models import Job


def take_seed(job: Job, sample: int) -> int:
    """The scene's seed when it has one (so a take can be reproduced), else one per job."""
    base = job.params.get("seed")
    return (int(base) if base is not None else job.id * 7919) + sample


class AnimaticBackend:
    name = "animatic"

    async def generate(self, job: Job, media: MediaStore, progress: JobProgress) -> Outcome:
        params = job.params
        width, height = catalog.frame_size(params["resolution"], params["aspect_ratio"])
        previous = params.get("previous") or {}
        takes = []
        for sample in range(job.takes):
            seed = take_seed(job, sample)
            spec = AnimaticSpec(
                title=params["title"],
                prompt=params["prompt"],
                duration=params["duration"],
                width=width,
                height=height,
                seed=seed,
                style=params["style"],
                camera=params["camera"],
                palette_prompt=previous.get("prompt"),
                palette_seed=previous.get("seed"),
            )
            key = media.take_key(job.project_id, job.scene_id or 0, job.id, sample, "mp4")
            poster_key = key.removesuffix(".mp4") + ".jpg"

            def report(fraction: float, sample: int = sample) -> None:
                progress.update(
                    (sample + fraction) / job.takes, f"rendering take {sample + 1} of {job.takes}"
                )

            result = await asyncio.to_thread(self._render_one, spec, media, key, poster_key, report)
            takes.append(
                {
                    "sample_index": sample,
                    "backend": self.name,
                    "model": job.model,
                    "is_draft": True,
                    "media_key": key,
                    "poster_key": poster_key,
                    "duration": result.duration,
                    "width": result.width,
                    "height": result.height,
                    "fps": result.fps,
                    "codec": result.codec,
                    "bytes": result.bytes,
                    "seed": seed,
                    "params": dict(params),
                    "cost_usd": 0.0,
                }
            )
        return Outcome(takes)

    @staticmethod
    def _render_one(spec: AnimaticSpec, media: MediaStore, key: str, poster_key: str, report):  # type: ignore[no-untyped-def]
        video, poster = media.temp_path(key), media.temp_path(poster_key)
        try:
            result = render(spec, video, poster, report)
            media.commit(poster, poster_key)
            media.commit(video, key)
            return result
        except OSError as exc:
            raise explain_os_error(exc, Path(video).parent) from None
        finally:
            video.unlink(missing_ok=True)
            poster.unlink(missing_ok=True)
