from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from engine.animatic import FPS, AnimaticSpec, camera_window, palette, render
from storage.catalog import CAMERA_MOVES, frame_size


def probe(path: Path) -> tuple[float, int, int, str, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        duration = float(stream.duration * stream.time_base)
        return duration, stream.width, stream.height, stream.codec_context.name, frames


@pytest.mark.parametrize(
    ("duration", "resolution", "aspect", "camera"),
    [
        (4, "720p", "16:9", "zoom-in"),
        (6, "720p", "9:16", "orbit"),
        (4, "1080p", "16:9", "pan-left"),
        (1, "4k", "16:9", "zoom-in"),  # Veo 3.1 drafts at 4K too
    ],
)
def test_renders_an_h264_mp4_of_the_requested_shape(
    tmp_path: Path, duration: int, resolution: str, aspect: str, camera: str
) -> None:
    width, height = frame_size(resolution, aspect)
    spec = AnimaticSpec(
        "Title", "a neon city at night", duration, width, height, seed=3, camera=camera
    )
    seen: list[float] = []
    result = render(spec, tmp_path / "a.mp4", tmp_path / "a.jpg", seen.append)
    got_duration, got_w, got_h, codec, frames = probe(tmp_path / "a.mp4")
    assert abs(got_duration - duration) <= 0.1
    assert (got_w, got_h, codec, frames) == (width, height, "h264", duration * FPS)
    assert result.bytes == (tmp_path / "a.mp4").stat().st_size
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert (tmp_path / "a.jpg").read_bytes()[:2] == b"\xff\xd8"


def test_same_prompt_and_seed_render_the_same_frames(tmp_path: Path) -> None:
    spec = AnimaticSpec("T", "forest river", 1, 640, 360, seed=9)
    render(spec, tmp_path / "a.mp4")
    render(spec, tmp_path / "b.mp4")
    other = AnimaticSpec("T", "forest river", 1, 640, 360, seed=10)
    render(other, tmp_path / "c.mp4")

    def first_frame(name: str) -> np.ndarray:
        with av.open(str(tmp_path / name)) as c:
            return next(c.decode(video=0)).to_ndarray(format="rgb24")

    assert np.array_equal(first_frame("a.mp4"), first_frame("b.mp4"))
    assert not np.array_equal(first_frame("a.mp4"), first_frame("c.mp4"))


def test_prompt_words_steer_the_palette_and_noir_is_grey() -> None:
    assert not np.array_equal(palette("sunset", 1, "cinematic"), palette("ocean", 1, "cinematic"))
    grey = palette("sunset", 1, "noir").astype(int)
    assert (grey.max(axis=1) - grey.min(axis=1)).max() <= 1


@pytest.mark.parametrize("camera", CAMERA_MOVES)
def test_every_camera_window_stays_inside_the_canvas(camera: str) -> None:
    for u in np.linspace(0, 1, 25):
        x, y, w, h = camera_window(camera, float(u), (1280, 720), (1664, 936))
        assert x >= 0 and y >= 0 and x + w <= 1664 and y + h <= 936
        assert x % 2 == y % 2 == w % 2 == h % 2 == 0
        assert abs(w / h - 16 / 9) < 0.01
