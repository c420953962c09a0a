"""A smart-rendered movie (copied GOPs spliced with encoded windows) plays in Chromium and
shows the same pictures there as PyAV decodes."""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import numpy as np
import pytest

from engine.animatic import AnimaticSpec
from engine.animatic import render as render_animatic
from engine.assembly.render import render
from engine.assembly.timeline import Card, Clip, Preset, Timeline

CHROMIUM = "/usr/bin/chromium"

PAGE = """<!doctype html><video id="v" muted playsinline></video>
<canvas id="c" width="320" height="180"></canvas>"""

# Load the movie whole (a blob seeks; Python's test server answers no ranges), seek to each
# time, draw the frame at 320x180 and average its colour; then play it through.
SCRIPT = """async (times) => {
  const v = document.getElementById("v"), c = document.getElementById("c");
  v.src = URL.createObjectURL(await (await fetch("movie.mp4")).blob());
  const ctx = c.getContext("2d", {willReadFrequently: true});
  const once = (name) => new Promise((ok) => v.addEventListener(name, ok, {once: true}));
  if (v.readyState < 1) await once("loadedmetadata");
  const means = [];
  for (const t of times) {
    v.currentTime = t;
    await once("seeked");
    ctx.drawImage(v, 0, 0, 320, 180);
    const px = ctx.getImageData(0, 0, 320, 180).data, sum = [0, 0, 0];
    for (let i = 0; i < px.length; i += 4) for (let k = 0; k < 3; k++) sum[k] += px[i + k];
    means.push(sum.map((s) => s / (px.length / 4)));
  }
  v.currentTime = 0;
  v.playbackRate = 4;
  const ended = once("ended");
  await v.play();
  await ended;
  return {duration: v.duration, error: v.error && v.error.message, means};
}"""


def test_a_smart_rendered_movie_plays_in_chromium(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"browser test: no Chromium at {CHROMIUM} (Debian's package 'chromium')")
    takes = []
    for i in range(2):
        takes.append(tmp_path / f"take{i}.mp4")
        spec = AnimaticSpec(f"Scene {i}", "neon city", 3, 1280, 720, seed=i, camera="orbit")
        render_animatic(spec, takes[-1])
    timeline = Timeline(
        clips=(
            Clip(takes[0], 3, "A"),
            Clip(takes[1], 3, "B", transition="crossfade", transition_s=1.0),
        ),
        preset=Preset.of("720p"),
        title=Card("Neon", 1.0),
    )
    movie = render(timeline, tmp_path / "movie.mp4")
    assert movie.copied == 4.0  # A 0-2 s and B 1-3 s; the card and the crossfade encoded
    (tmp_path / "index.html").write_text(PAGE)
    # in the title card, A copied, the crossfade window, B copied, the last frame: each
    # the middle of a frame, so no rounding can show its neighbour
    shown = [12, 36, 84, 110, 143]
    times = [(n + 0.5) / 24 for n in shown]
    with av.open(str(movie.path)) as container:
        pictures = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    # served over HTTP: a canvas that has drawn a file:// video cannot be read back
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
            seen = page.evaluate(SCRIPT, times)
        finally:
            browser.close()
            server.shutdown()
    assert seen["error"] is None
    assert abs(seen["duration"] - timeline.duration) <= 1 / 24 + 0.03
    for n, mean in zip(shown, seen["means"], strict=True):
        expected = pictures[n].reshape(-1, 3).mean(axis=0)
        assert np.abs(np.array(mean) - expected).max() < 8, (n, mean, expected)
