"""Rendering an 8 s 720p animatic against its floor and against real time.

The floor encodes the same number of plain frames with the same encoder settings, in the
same run, so the ratio holds on a noisy shared machine. Run: `python benchmarks/animatic.py`
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
        renders, floors = [], []
        for _ in range(args.rounds):
            renders.append(timed(lambda: render(spec, out / "a.mp4", out / "a.jpg")))
            floors.append(timed(lambda: floor(out / "f.mp4", spec.frames, 1280, 720)))
    r, f = statistics.median(renders), statistics.median(floors)
    print(
        f"animatic {args.seconds:g}s 720p: median render {r:.2f}s, floor {f:.2f}s over {args.rounds} rounds"
    )
    print(f"faster than real time: {args.seconds / r:.1f}x (target >= 5x)")
    print(f"render / floor: {r / f:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
