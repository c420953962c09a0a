"""The assembler as an engine backend: a render job's cut in, a movie version out."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import av

from engine.assembly.exports import exports
from engine.assembly.render import render
from engine.assembly.timeline import Caption, Card, Clip, Music, Preset, Timeline
from engine.backend import RenderJob
from engine.context import JobContext
from storage.contract import CardSpec, CutSnapshot, NewMovie
from storage.media import MediaStore, movie_key


def _has_audio(path: Path) -> bool:
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.audio)
    except (av.error.FFmpegError, OSError):
        return False  # the render's own check names the scene whose take is unreadable


def _card(spec: CardSpec | None) -> Card | None:
    return Card(spec.text, spec.duration, spec.background) if spec else None


def timeline_from(cut: CutSnapshot, media: MediaStore) -> Timeline:
    clips = []
    for clip in cut.clips:
        path = media.local_path(clip.media_key)
        clips.append(
            Clip(
                path=path,
                duration=clip.duration,
                title=clip.title,
                has_audio=_has_audio(path),
                transition=clip.transition,
                transition_s=clip.transition_seconds,
                captions=tuple(Caption(c.text, c.start, c.end) for c in clip.captions),
                trim_in=clip.trim_in,
            )
        )
    music = cut.music
    return Timeline(
        clips=tuple(clips),
        preset=Preset.of(cut.preset, cut.aspect_ratio, cut.fit),
        fit=cut.fit,
        title=_card(cut.title_card),
        end=_card(cut.end_card),
        music=Music(media.local_path(music.media_key), music.fade_in, music.fade_out)
        if music
        else None,
        keep_clip_audio=cut.keep_clip_audio,
        burn_captions=cut.burn_captions,
    )


class MovieBackend:
    async def render(self, job: RenderJob, context: JobContext) -> NewMovie:
        media = context.media
        timeline = await asyncio.to_thread(timeline_from, job.cut, media)
        started = time.monotonic()
        keys = {kind: movie_key(job.project_id, job.id, kind) for kind in ("srt", "vtt", "otio")}
        key = movie_key(job.project_id, job.id, "mp4")
        with media.writing(key) as temp:
            rendered = await asyncio.to_thread(
                render, timeline, temp, context.progress, lambda: context.cancelled
            )
        for kind, text in exports(timeline, job.cut.name).items():
            media.write(keys[kind], text.encode())  # the context removes all if this fails
        return NewMovie(
            media_key=key,
            captions_srt_key=keys["srt"],
            captions_vtt_key=keys["vtt"],
            otio_key=keys["otio"],
            duration=rendered.duration,
            width=rendered.width,
            height=rendered.height,
            bytes=rendered.bytes,
            render_s=round(time.monotonic() - started, 2),
            copied_s=rendered.copied,
        )
