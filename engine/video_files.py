"""Facts about a video file and the stills cut from it, read with PyAV.

Veo hands back MP4 bytes; before a take is recorded we read what it really is (duration,
size, frame rate, codec), cut a poster from its middle and, for continuity, its last frame.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

from engine.backend import BackendError

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
    """Decode ``path`` whole (a damaged file fails here, not in the studio); cut a poster."""
    still: Image.Image | None = None
    count = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            has_audio = bool(container.streams.audio)
            middle = (stream.frames or 1) // 2  # the MP4 header says how many frames
            for frame in container.decode(stream):
                if poster is not None and count in (0, middle):
                    still = frame.to_image()
                count += 1
            rate = float(stream.average_rate or stream.guessed_rate or 24)
            width, height = stream.codec_context.width, stream.codec_context.height
            codec = stream.codec_context.name
    except (av.error.FFmpegError, IndexError) as exc:
        raise BackendError("download", f"the video Veo returned cannot be read ({exc})") from None
    if count == 0:
        raise BackendError("download", "the video Veo returned has no frames")
    if poster is not None and still is not None:
        still.thumbnail((POSTER_WIDTH, POSTER_WIDTH))
        still.save(poster, format="JPEG", quality=85)
    return VideoFacts(
        duration=round(count / rate, 3),
        width=width,
        height=height,
        fps=rate,
        codec=codec,
        bytes=path.stat().st_size,
        has_audio=has_audio,
    )


def last_frame_png(path: Path) -> bytes:
    """The final frame of a take as PNG bytes: the first frame of the scene that follows."""
    last = None
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                last = frame
    except av.error.FFmpegError as exc:
        raise BackendError("continuity", f"cannot read the previous take ({exc})") from None
    if last is None:
        raise BackendError("continuity", "the previous take has no frames")
    out = io.BytesIO()
    last.to_image().save(out, format="PNG")
    return out.getvalue()
