"""Facts about a video file and the stills cut from it, read with PyAV.

Veo hands back MP4 bytes; before a take is recorded we read what it really is (duration,
size, frame rate, codec), cut a poster from its middle and, for continuity, its last frame.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
from PIL import Image

from storage.errors import JobFailed

POSTER_WIDTH = 640


@dataclass(frozen=True)
class VideoFacts:
    duration: float
    width: int
    height: int
    fps: float
    codec: str
    bytes: int
    has_audio: bool


def probe(path: Path, poster: Path | None = None) -> VideoFacts:
    """Read the container's facts and decode one frame near the middle for the poster.

    Decoding every frame would cost a second of CPU per take; with hundreds of generations
    finishing together that is the engine's bottleneck, so only the poster frame is decoded.
    """
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            has_audio = bool(container.streams.audio)
            rate = float(stream.average_rate or stream.guessed_rate or 24)
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = (container.duration or 0) / av.time_base
            width, height = stream.codec_context.width, stream.codec_context.height
            codec = stream.codec_context.name
            still = _frame_near(container, stream, duration / 2)
    except (av.error.FFmpegError, IndexError) as exc:
        raise JobFailed("download", f"the video Veo returned cannot be read ({exc})") from None
    if still is None or duration <= 0:
        raise JobFailed("download", "the video Veo returned has no frames")
    if poster is not None:
        still.thumbnail((POSTER_WIDTH, POSTER_WIDTH))
        still.save(poster, format="JPEG", quality=85)
    return VideoFacts(
        duration=round(duration, 3),
        width=width,
        height=height,
        fps=rate,
        codec=codec,
        bytes=path.stat().st_size,
        has_audio=has_audio,
    )


def _frame_near(
    container: av.container.InputContainer, stream: av.VideoStream, seconds: float
) -> Image.Image | None:
    """The first frame at or after ``seconds`` (seeking to the keyframe before it)."""
    if stream.time_base is not None and seconds > 0:
        container.seek(int(seconds / stream.time_base), stream=stream, backward=True)
    first = None
    for frame in container.decode(stream):
        first = first or frame
        if frame.time is None or frame.time >= seconds:
            return _image(frame)
    return _image(first) if first is not None else None


def _image(frame: av.VideoFrame) -> Image.Image:
    image: Image.Image = frame.to_image()
    return image


def frame_jpeg(video: BinaryIO, seconds: float, height: int) -> bytes | None:
    """The frame at ``seconds`` as a small JPEG (None: the video cannot be read there)."""
    try:
        with av.open(video, mode="r") as container:
            image = _frame_near(container, container.streams.video[0], seconds)
    except (av.error.FFmpegError, IndexError):
        return None
    if image is None:
        return None
    width = max(2, round(image.width * height / image.height))
    out = io.BytesIO()
    image.convert("RGB").resize((width, height)).save(out, format="JPEG", quality=75)
    return out.getvalue()


def last_frame_png(path: Path) -> bytes:
    """The final frame of a take as PNG bytes: the first frame of the scene that follows."""
    last = None
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                last = frame
    except av.error.FFmpegError as exc:
        raise JobFailed("continuity", f"cannot read the previous take ({exc})") from None
    if last is None:
        raise JobFailed("continuity", "the previous take has no frames")
    out = io.BytesIO()
    last.to_image().save(out, format="PNG")
    return out.getvalue()
