"""Rendering a timeline to an MP4 with one ffmpeg encode, showing real encoding progress.

Loudness is normalised to the timeline's target (EBU R128, -14 LUFS by default) in two
steps: an audio-only pass measures the mix (no video is decoded or encoded), then the one
full pass applies ``loudnorm`` with those measurements, linearly. ffmpeg is the static
build inside ``imageio-ffmpeg``; nothing needs installing on the machine.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import av
import imageio_ffmpeg

from engine.assembly.graph import build_audio, build_video, has_sound
from engine.assembly.smart import (
    BT709_TAGS,
    EPS,
    Ranges,
    Take,
    copy_ranges,
    copy_source,
    extract,
    matching_encoder,
    probe,
)
from engine.assembly.timeline import Timeline
from storage.errors import JobCancelled, JobFailed

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Rendered:
    path: Path
    duration: float
    width: int
    height: int
    bytes: int
    copied: float  # seconds of the picture copied from the takes, not re-encoded


def ffmpeg() -> str:
    path: str = imageio_ffmpeg.get_ffmpeg_exe()
    return path


def check_clips(timeline: Timeline) -> list[Take]:
    """Every take opens and decodes, or the error names its scene."""
    takes = []
    for number, clip in enumerate(timeline.clips, 1):
        where = f"scene {number} '{clip.title}'"
        if not clip.path.is_file():
            raise JobFailed("takes", f"{where}: its selected take's file is missing")
        try:
            takes.append(probe(clip.path).trimmed(clip.trim_in))
        except IndexError:
            raise JobFailed("takes", f"{where}: its take has no video stream") from None
        except (av.error.FFmpegError, StopIteration) as exc:
            raise JobFailed("takes", f"{where}: its take cannot be read ({exc})") from None
    parts = timeline.parts()
    scene = 0
    for k, part in enumerate(parts):
        scene += part.clip is not None
        out = parts[k + 1].overlap if k + 1 < len(parts) else 0.0
        if part.overlap + out > part.length + EPS:
            where = f"scene {scene} '{part.name}'" if part.clip else part.name
            raise JobFailed(
                "timeline",
                f"{where}: its transitions in ({part.overlap:.2f} s) and out ({out:.2f} s) "
                f"are longer together than its {part.length:g} s",
            )
    return takes


def _run(args: list[str], total: float, stage: str, progress: Progress, share: tuple[float, float],
         cancelled: Callable[[], bool]) -> str:  # fmt: skip
    """Run ffmpeg, reporting ``out_time`` as a fraction of ``total`` within ``share``."""
    low, high = share
    with tempfile.TemporaryFile("w+") as errors:
        child = subprocess.Popen(
            [ffmpeg(), "-hide_banner", "-nostats", "-progress", "pipe:1", *args],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        assert child.stdout is not None
        try:
            for line in child.stdout:
                if cancelled():
                    raise JobCancelled()
                if line.startswith("out_time_us=") and line.strip() != "out_time_us=N/A":
                    done = int(line.split("=", 1)[1]) / 1e6
                    progress(low + (high - low) * min(1.0, done / total), stage)
        except BaseException:  # a cancel, or a progress callback that raised
            child.kill()  # ffmpeg must not live on
            child.wait()
            raise
        child.wait()
        errors.seek(0)
        log = errors.read()
    if child.returncode != 0:
        tail = "; ".join(line for line in log.strip().splitlines()[-3:] if line.strip())
        raise JobFailed(stage, f"ffmpeg failed: {tail[-600:]}")
    return log


def _measure_loudness(
    timeline: Timeline, progress: Progress, cancelled: Callable[[], bool]
) -> dict[str, str]:
    graph, audio = build_audio(timeline)
    target = f"loudnorm=I={timeline.loudness}:TP=-1.5:LRA=11:print_format=json"
    log = _run(
        ["-filter_complex", f"{graph.filter};[{audio}]{target}[out]", "-map", "[out]",
         "-f", "null", "-"],
        timeline.duration, "measuring loudness", progress, (0.0, 0.05), cancelled,
    )  # fmt: skip
    found = re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", log)
    if not found:
        raise JobFailed("measuring loudness", "ffmpeg reported no loudness figures")
    figures: dict[str, str] = json.loads(found[-1])
    return figures


def _sound(timeline: Timeline, progress: Progress, cancelled: Callable[[], bool]) -> str:
    """The graph that makes the movie's sound track ``[aout]`` at the target loudness
    (measured first, then applied linearly); silence stays silence."""
    graph, audio = build_audio(timeline)
    if not has_sound(timeline):
        return f"{graph.filter};[{audio}]anull[aout]"
    m = _measure_loudness(timeline, progress, cancelled)
    if m["input_i"] in ("-inf", "inf"):
        return f"{graph.filter};[{audio}]anull[aout]"
    return (
        f"{graph.filter};[{audio}]loudnorm=I={timeline.loudness}:TP=-1.5:LRA=11:"
        f"measured_I={m['input_i']}:measured_TP={m['input_tp']}:"
        f"measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}:"
        f"offset={m['target_offset']}:linear=true,aresample=48000[aout]"
    )


@dataclass(frozen=True)
class Chunk:
    """A stretch of the movie made on its own: ``piece`` played from ``offset``; when
    ``copied`` it is that stretch of the piece's one take, copied as it is."""

    piece: Timeline
    offset: float
    length: float
    copied: bool = False


def chunks(timeline: Timeline, copies: Ranges | None = None) -> list[Chunk]:
    """The movie cut into stretches that each need only the takes on screen in them.

    Boundaries fall on the cuts, on the edges of the stretches copied from takes
    (``copies``: part index -> ranges in its own time) and in the middle of each take's
    stretch clear of transitions (on a frame), so no transition is split and an encoded
    chunk holds two takes at most: memory stays the same however long the movie.
    """
    parts, starts, fps = timeline.parts(), timeline.starts(), timeline.preset.fps
    spans = [(starts[k] + a, starts[k] + b) for k, rs in (copies or {}).items() for a, b in rs]
    bounds = {0.0, timeline.duration}
    for k, (part, start) in enumerate(zip(parts, starts, strict=True)):
        if k and part.transition == "cut":
            bounds.add(start)
        clear_from = start + part.overlap
        clear_to = start + part.length - (parts[k + 1].overlap if k + 1 < len(parts) else 0.0)
        if clear_to - clear_from > 2 / fps:
            bounds.add((clear_from + clear_to) / 2)
    bounds = {b for b in bounds if not any(s0 + EPS < b < s1 - EPS for s0, s1 in spans)}
    edges = sorted({round(b * fps) / fps for b in bounds | {e for span in spans for e in span}})
    pieces = []
    for t0, t1 in itertools.pairwise(edges):
        inside = [
            k
            for k in range(len(parts))
            if starts[k] < t1 - EPS and starts[k] + parts[k].length > t0 + EPS
        ]
        copied = any(s0 - EPS <= t0 and t1 <= s1 + EPS for s0, s1 in spans)
        first, last = inside[0], inside[-1]
        span = parts[first : last + 1]
        piece = replace(
            timeline,
            clips=tuple(p.clip for p in span if p.clip is not None),
            title=timeline.title if span[0].card is timeline.title and first == 0 else None,
            end=timeline.end if span[-1].card is timeline.end and last == len(parts) - 1 else None,
        )
        pieces.append(Chunk(piece, t0 - starts[first], t1 - t0, copied))
    return pieces


class _Unmatched(Exception):
    """An encoded window's parameter sets differ from the copied takes'."""


def _make_chunks(
    timeline: Timeline,
    plan: list[Chunk],
    work: Path,
    progress: Progress,
    cancelled: Callable[[], bool],
    source: Take | None,
    takes: dict[Path, Take],
) -> list[Path]:
    """Each chunk to its own file: copied ones packet for packet, the others encoded with
    ``source``'s parameter sets (or the preset's settings when nothing is copied)."""
    preset, total = timeline.preset, timeline.duration
    encoder = (matching_encoder(source) if source else None) or [
        "-c:v", "libx264", "-preset", "veryfast", "-crf", str(preset.crf)
    ]  # fmt: skip
    tags = source.tags if source else BT709_TAGS
    files, done = [], 0.0
    for number, chunk in enumerate(plan):
        if cancelled():
            raise JobCancelled()
        path = work / f"chunk{number:04d}.mp4"
        share = (0.05 + 0.9 * done / total, 0.05 + 0.9 * (done + chunk.length) / total)
        done += chunk.length
        if chunk.copied:
            clip = chunk.piece.clips[0]
            start = chunk.offset + takes[clip.path].trim_in
            extract(clip.path, start, start + chunk.length, path)
            files.append(path)
            progress(share[1], "encoding")
            continue
        # Seek the first take to where the chunk starts, but never past its last frame (a
        # take shorter than its scene is held on that frame); trim the rest.
        first = chunk.piece.parts()[0].clip
        skip = (
            min(chunk.offset, max(0.0, takes[first.path].end - 1 / preset.fps))
            if first
            else chunk.offset
        )
        graph, video = build_video(chunk.piece, work, skip=skip)
        window = (
            f"trim=start={chunk.offset - skip:.4f}:duration={chunk.length:.4f},{tags},"
            "setpts=PTS-STARTPTS"
        )
        _run(
            [
                "-filter_complex", f"{graph.filter};[{video}]{window}[out]", "-map", "[out]",
                *encoder, "-pix_fmt", "yuv420p", "-r", str(preset.fps),
                "-t", f"{chunk.length:.4f}", "-f", "mp4", "-y", str(path),
            ],
            chunk.length, "encoding", progress, share, cancelled,
        )  # fmt: skip
        try:
            made = probe(path)
        except (IndexError, StopIteration, av.error.FFmpegError):
            raise JobFailed("encoding", f"chunk {number} came out without a picture") from None
        if source and made.extradata != source.extradata:
            raise _Unmatched()
        files.append(path)
    return files


def _picture(
    timeline: Timeline, takes: list[Take], work: Path, progress: Progress,
    cancelled: Callable[[], bool], copy: bool,
) -> tuple[list[Path], float]:  # fmt: skip
    """The movie's video as files that join by stream copy, and how many seconds of it
    were copied from the takes. Takes cut together whole are used as they are."""
    preset = timeline.preset
    wanted = ("h264", preset.width, preset.height, "yuv420p", preset.fps)
    source = copy_source(takes, wanted) if copy else None
    copies = copy_ranges(timeline, takes, source) if source else {}
    source = source if copies else None  # nothing to match when nothing is copied
    plan = chunks(timeline, copies)
    copied = sum(c.length for c in plan if c.copied)
    by_path = {clip.path: take for clip, take in zip(timeline.clips, takes, strict=True)}
    if all(c.copied and c.offset < EPS and by_path[c.piece.clips[0].path].whole_copy(c.length)
           for c in plan):  # fmt: skip
        return [c.piece.clips[0].path.resolve() for c in plan], copied
    try:
        return _make_chunks(timeline, plan, work, progress, cancelled, source, by_path), copied
    except _Unmatched:
        everything = chunks(timeline)
        return _make_chunks(timeline, everything, work, progress, cancelled, None, by_path), 0.0


def render(
    timeline: Timeline,
    output: Path,
    progress: Progress = lambda fraction, stage: None,
    cancelled: Callable[[], bool] = lambda: False,
    copy: bool = True,
) -> Rendered:
    """Every frame encoded at most once, in chunks that join by stream copy; where takes
    are already in the output format, the stretches with nothing drawn on them are their
    own frames, copied (unless ``copy`` is False). The sound is mixed and encoded in the
    final step that joins the video."""
    check = check_clips(timeline)
    preset = timeline.preset
    # the pid in the name tells a sweeping engine whether this render's process still runs
    with tempfile.TemporaryDirectory(prefix=f"veogen-render-{os.getpid()}-") as tmp:
        work = Path(tmp)
        sound = _sound(timeline, progress, cancelled)
        videos, copied = _picture(timeline, check, work, progress, cancelled, copy)
        listing = work / "video.txt"
        quoted = (str(path).replace("'", "'\\''") for path in videos)  # concat's quoting
        listing.write_text("".join(f"file '{path}'\n" for path in quoted))
        _run(
            [
                "-f", "concat", "-safe", "0", "-i", str(listing),
                "-filter_complex", sound,
                "-map", "0:v", "-c:v", "copy", "-map", "[aout]",
                "-c:a", "aac", "-b:a", "192k", "-ar", "48000",
                "-t", f"{timeline.duration:.3f}",
                "-movflags", "+faststart", "-f", "mp4", "-y", str(output),
            ],
            timeline.duration, "joining", progress, (0.95, 1.0), cancelled,
        )  # fmt: skip
    progress(1.0, "done")
    return Rendered(
        output, timeline.duration, preset.width, preset.height, output.stat().st_size, copied
    )
