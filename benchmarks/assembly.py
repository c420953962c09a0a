"""Assembling a movie from 20 scenes of 8 s 1080p takes: our assembler against MoviePy.

Two projects, each rendered in the same run by our assembler and by MoviePy (the peers'
way: every frame decoded into numpy, composited, piped to an encoder), each in a child
process so the peak memory of its whole process tree (ffmpeg children included) is read:

(a) cuts only, also against the floor of a plain copy of the input files
    (``ffmpeg -f concat -c copy``): target within 3x of the copy;
(b) 19 crossfades, a title card and a music bed: target at least 10x faster than MoviePy;
    also ours with smart rendering off (every frame encoded), for what copying saves.

The takes are animatic renders (real, moving H.264 at 24 fps), all with the same encoder
settings, as Veo's takes are. Run: `python benchmarks/assembly.py` (about ten minutes, most
of it MoviePy); `--scenes 3 --seconds 2 --resolution 720p` for a smoke run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np

from engine.animatic import AnimaticSpec
from engine.animatic import render as render_animatic
from engine.assembly.cards import card_png
from engine.assembly.render import ffmpeg, render
from engine.assembly.timeline import Card, Clip, Music, Preset, Timeline

CROSSFADE_S = 0.5
TITLE_S = 3.0


def make_takes(folder: Path, count: int, seconds: float, width: int, height: int) -> list[Path]:
    paths = []
    for index in range(count):
        path = folder / f"take{index:02d}.mp4"
        spec = AnimaticSpec(f"Scene {index + 1}", f"shot {index} of the harbour", seconds,
                            width, height, seed=index, camera="dolly-in")  # fmt: skip
        render_animatic(spec, path)
        paths.append(path)
    return paths


def make_music(path: Path, seconds: float) -> Path:
    t = np.arange(int(seconds * 48000)) / 48000
    tone = 0.2 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes((tone * 32767).astype("<i2").tobytes())
    return path


def timeline(
    takes: list[Path], seconds: float, preset: Preset, fancy: bool, music: Path
) -> Timeline:
    kind, overlap = ("crossfade", CROSSFADE_S) if fancy else ("cut", 0.0)
    clips = tuple(  # the title card cuts to the first scene: 19 crossfades between 20 scenes
        Clip(path, seconds, path.stem, transition=kind, transition_s=overlap)
        if i
        else Clip(path, seconds, path.stem)
        for i, path in enumerate(takes)
    )
    if not fancy:
        return Timeline(clips=clips, preset=preset)
    return Timeline(
        clips=clips, preset=preset, title=Card("The Harbour", TITLE_S), music=Music(music)
    )


# -- the three ways, each run in a child process ------------------------------------------


def ours(job: dict, copy: bool = True) -> None:
    preset = Preset.of(job["resolution"])
    plan = timeline(
        [Path(p) for p in job["takes"]], job["seconds"], preset, job["fancy"], Path(job["music"])
    )
    result = render(plan, Path(job["output"]), copy=copy)
    print(json.dumps({"copied_s": result.copied}))


def ours_encoded(job: dict) -> None:
    """Ours with smart rendering off: every frame encoded (what takes in another format
    get)."""
    ours(job, copy=False)


def floor(job: dict) -> None:
    listing = Path(job["output"]).with_suffix(".txt")
    listing.write_text("".join(f"file '{p}'\n" for p in job["takes"]))
    subprocess.run(
        [ffmpeg(), "-hide_banner", "-loglevel", "error", "-f", "concat", "-safe", "0",
         "-i", str(listing), "-c", "copy", "-y", job["output"]], check=True,
    )  # fmt: skip


def moviepy(job: dict) -> None:
    from moviepy import (
        AudioFileClip,
        CompositeVideoClip,
        ImageClip,
        VideoFileClip,
        afx,
        concatenate_videoclips,
        vfx,
    )

    preset = Preset.of(job["resolution"])
    clips = [VideoFileClip(p) for p in job["takes"]]
    if not job["fancy"]:
        movie = concatenate_videoclips(clips)
    else:
        still = card_png("The Harbour", "#000000", preset.width, preset.height,
                         Path(job["output"]).with_suffix(".png"))  # fmt: skip
        layers = [ImageClip(str(still)).with_duration(TITLE_S)]
        start = TITLE_S
        for index, clip in enumerate(clips):
            if index:
                start -= CROSSFADE_S
                clip = clip.with_effects([vfx.CrossFadeIn(CROSSFADE_S)])
            layers.append(clip.with_start(start))
            start += clip.duration
        movie = CompositeVideoClip(layers, size=(preset.width, preset.height))
        music = AudioFileClip(job["music"]).with_duration(movie.duration)
        movie = movie.with_audio(music.with_effects([afx.AudioFadeIn(2), afx.AudioFadeOut(3)]))
    movie.write_videofile(job["output"], fps=preset.fps, codec="libx264", preset="veryfast",
                          audio=job["fancy"], audio_codec="aac", logger=None)  # fmt: skip


WAYS = {"ours": ours, "ours_encoded": ours_encoded, "floor": floor, "moviepy": moviepy}


def _tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (MoviePy runs one ffmpeg per
    clip, so its footprint is the sum, not its own process's)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rss = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
            total += int(rss.split()[1])
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue  # it ended meanwhile
    return total / 1024


def measure(way: str, job: dict) -> dict[str, float]:
    """Run one way in a child; its wall time and the peak memory of its process tree."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", way, json.dumps(job)], stdout=subprocess.PIPE
    )
    peak = [0.0]

    def sample() -> None:
        while child.poll() is None:
            peak[0] = max(peak[0], _tree_rss_mb(child.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = child.stdout.read().decode() if child.stdout else ""
    status = child.wait()
    elapsed = time.perf_counter() - started
    sampler.join()
    if status != 0:
        raise RuntimeError(f"{way} failed ({status})")
    extra = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    return {"seconds": round(elapsed, 2), "peak_mb": round(peak[0]), **extra}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--resolution", default="1080p")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.child:
        WAYS[args.child[0]](json.loads(args.child[1]))
        return
    preset = Preset.of(args.resolution)
    with tempfile.TemporaryDirectory(prefix="veogen-bench-") as tmp:
        folder = Path(tmp)
        takes = make_takes(folder, args.scenes, args.seconds, preset.width, preset.height)
        music = make_music(folder / "bed.wav", args.scenes * args.seconds + TITLE_S)
        base = {"takes": [str(p) for p in takes], "seconds": args.seconds,
                "resolution": args.resolution, "music": str(music)}  # fmt: skip
        results: dict[str, dict[str, dict[str, float]]] = {"a": {}, "b": {}}
        for project, fancy, ways in (
            ("a", False, ("floor", "ours", "moviepy")),
            ("b", True, ("ours", "ours_encoded", "moviepy")),
        ):
            for way in ways:
                job = {**base, "fancy": fancy, "output": str(folder / f"{project}-{way}.mp4")}
                results[project][way] = measure(way, job)
    a, b = results["a"], results["b"]
    summary = {
        "scenes": args.scenes, "seconds": args.seconds, "resolution": args.resolution,
        "a": a, "b": b,
        "a_ours_vs_copy": round(a["ours"]["seconds"] / a["floor"]["seconds"], 2),
        "a_moviepy_vs_ours": round(a["moviepy"]["seconds"] / a["ours"]["seconds"], 1),
        "b_moviepy_vs_ours": round(b["moviepy"]["seconds"] / b["ours"]["seconds"], 1),
        "b_encoded_vs_smart": round(b["ours_encoded"]["seconds"] / b["ours"]["seconds"], 1),
    }  # fmt: skip
    if args.json:
        print(json.dumps(summary))
        return
    print(f"{args.scenes} scenes of {args.seconds:g} s at {args.resolution}")
    for project, label in (("a", "cuts only"), ("b", "crossfades, title, music")):
        for way, run in results[project].items():
            copied = f"  {run['copied_s']:g} s copied" if "copied_s" in run else ""
            print(
                f"  ({project}) {label:26s} {way:12s} {run['seconds']:8.2f} s  "
                f"peak {run['peak_mb']:5.0f} MB{copied}"
            )
    print(f"(a) ours / plain copy: {summary['a_ours_vs_copy']}x (target <= 3)")
    print(f"(a) MoviePy / ours: {summary['a_moviepy_vs_ours']}x")
    print(f"(b) MoviePy / ours: {summary['b_moviepy_vs_ours']}x (target >= 10)")
    print(f"(b) ours, every frame encoded / ours: {summary['b_encoded_vs_smart']}x")


if __name__ == "__main__":
    main()
