"""The assembler as an engine backend: a render job's snapshot in, a movie version out."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import av

from engine.assembly.exports import write_exports
from engine.assembly.render import AssemblyError, RenderCancelled, render
from engine.assembly.timeline import Caption, Card, Clip, Music, Preset, Timeline
from engine.backend import BackendError, JobCancelled, JobProgress, Outcome
from storage.media import MediaStore, explain_os_error
from storage.models import Job


def _has_audio(path: Path) -> bool:
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.audio)
    except (av.error.FFmpegError, OSError):
        return False  # the render's own check names the scene whose take is unreadable


def timeline_from(params: dict[str, Any], media: MediaStore) -> Timeline:
    clips = []
    for raw in params["clips"]:
        path = media.path(raw["media_key"])
        clips.append(
            Clip(
                path=path,
                duration=raw["duration"],
                title=raw["title"],
                has_audio=_has_audio(path),
                transition=raw["transition"],
                transition_s=raw["transition_seconds"],
                captions=tuple(Caption(c["text"], c["start"], c["end"]) for c in raw["captions"]),
            )
        )
    music = params.get("music")
    return Timeline(
        clips=tuple(clips),
        preset=Preset.of(params["preset"], params["aspect_ratio"], params["fit"]),
        fit=params["fit"],
        title=Card(**params["title_card"]) if params.get("title_card") else None,
        end=Card(**params["end_card"]) if params.get("end_card") else None,
        music=Music(media.path(music["media_key"]), music["fade_in"], music["fade_out"])
        if music
        else None,
        keep_clip_audio=params["keep_clip_audio"],
        burn_captions=params["burn_captions"],
    )


def movie_key(job: Job, extension: str) -> str:
    return f"projects/{job.project_id}/movies/job{job.id}.{extension}"


class MovieBackend:
    name = "assembler"

    async def generate(self, job: Job, media: MediaStore, progress: JobProgress) -> Outcome:
        timeline = await asyncio.to_thread(timeline_from, job.params, media)
        key = movie_key(job, "mp4")
        temp = media.temp_path(key)
        started = time.monotonic()

        def report(fraction: float, stage: str) -> None:
            progress.fraction = max(progress.fraction, fraction)
            progress.stage = stage

        try:
            rendered = await asyncio.to_thread(
                render, timeline, temp, report, lambda: progress.cancelled
            )
            exports = await asyncio.to_thread(write_exports, timeline, temp, job.params["name"])
            keys = {kind: movie_key(job, kind) for kind in exports}
            for kind, path in exports.items():
                media.commit(path, keys[kind])
            media.commit(temp, key)
        except RenderCancelled:
            raise JobCancelled() from None
        except AssemblyError as exc:
            raise BackendError(exc.stage, exc.reason) from None
        except OSError as exc:
            raise explain_os_error(exc, temp.parent) from None
        finally:
            temp.unlink(missing_ok=True)
            for extension in ("srt", "vtt", "otio"):
                temp.with_suffix(f".{extension}").unlink(missing_ok=True)
        return Outcome(
            [],
            movie={
                "media_key": key,
                "captions_srt_key": keys["srt"],
                "captions_vtt_key": keys["vtt"],
                "otio_key": keys["otio"],
                "duration": rendered.duration,
                "width": rendered.width,
                "height": rendered.height,
                "bytes": rendered.bytes,
                "render_s": round(time.monotonic() - started, 2),
                "copied_s": rendered.copied,
            },
        )
