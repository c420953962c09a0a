"""Real test media: H.264 clips of flat frames that change (with an optional AAC tone),
WAV sounds and PNG images."""

from __future__ import annotations

import io
import wave

import av
import numpy as np
from PIL import Image


def png(width: int = 320, height: int = 180, color: str = "teal", kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, kind)
    return out.getvalue()


def sound(seconds: float) -> bytes:
    """A WAV tone of ``seconds``: a music bed."""
    out = io.BytesIO()
    samples = (0.2 * np.sin(np.arange(int(seconds * 48000)) * 0.05) * 32767).astype("<i2")
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(samples.tobytes())
    return out.getvalue()


def mp4_bytes(
    seconds: float,
    width: int = 320,
    height: int = 180,
    audio: bool = False,
    fps: int = 24,
    tone_hz: float = 440.0,
    level: float = 0.1,
) -> bytes:
    """A real H.264 MP4 (and AAC, if asked) of ``seconds``: what Veo sends back."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream("aac", rate=48000) if audio else None
        frames = round(seconds * fps)
        for index in range(frames):
            shade = np.full((height, width, 3), (index * 5) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(shade, format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            samples = int(seconds * 48000)
            tone = (level * np.sin(np.arange(samples) * tone_hz * 2 * np.pi / 48000)).astype(
                np.float32
            )
            chunk = 1024
            for start in range(0, samples, chunk):
                piece = tone[start : start + chunk].reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 48000, start
                container.mux(sound.encode(frame))
            container.mux(sound.encode(None))
    return out.getvalue()
