"""Rendering an 8 s 720p animatic against its floor and against real time.

The floor encodes the same number of plain frames with the same encoder settings, in the
same run, so the ratio holds on a noisy shared machine. A second baseline re-encodes the
animatic's own frames, decoded into memory beforehand: the encoder's cost for this very
content, so render / that is what painting the frames adds. Run: `python benchmarks/animatic.py`
(`--seconds 2` for a smoke run). Both run on one thread: the encoder is set to one thread.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from engine.animatic import ENCODER_OPTIONS, FPS, AnimaticSpec, render


def floor(path: Path, frames: int, width: int, height: int) -> None:
    """Plain frames (a flat grey that changes each frame) through the same encoder."""
    planes = np.full((height * 3 // 2, width), 128, dtype=np.uint8)
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=FPS, options=ENCODER_OPTIONS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.thread_count = 1
        for index in range(frames):
            planes[:height] = 60 + index % 120
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def reencode(path: Path, frames: list[av.VideoFrame]) -> None:
    """The given frames through the same encoder: the cost of encoding that content."""
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=FPS, options=ENCODER_OPTIONS)
        stream.width, stream.height = frames[0].width, frames[0].height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.thread_count = 1
        for index, frame in enumerate(frames):
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def decoded(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return [frame.reformat(format="yuv420p") for frame in container.decode(video=0)]


def timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    spec = AnimaticSpec(
        "Benchmark",
        "a neon city at night, rain on the street",
        args.seconds,
        1280,
        720,
        seed=42,
        camera="zoom-in",
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        render(spec, out / "a.mp4")
        frames = decoded(out / "a.mp4")
        renders, floors, contents = [], [], []
        for _ in range(args.rounds):
            renders.append(timed(lambda: render(spec, out / "a.mp4", out / "a.jpg")))
            floors.append(timed(lambda: floor(out / "f.mp4", spec.frames, 1280, 720)))
            contents.append(timed(lambda: reencode(out / "c.mp4", frames)))
    r, f, c = (statistics.median(x) for x in (renders, floors, contents))
    print(
        f"animatic {args.seconds:g}s 720p, median of {args.rounds}: render {r:.2f}s, "
        f"floor {f:.2f}s, same frames re-encoded {c:.2f}s"
    )
    print(f"faster than real time: {args.seconds / r:.1f}x (target >= 5x)")
    print(f"render / floor: {r / f:.2f}x (target <= 1.5x)")
    print(f"render / re-encoding its own frames: {r / c:.2f}x")


if __name__ == "__main__":
    main()
