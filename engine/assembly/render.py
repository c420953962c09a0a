"""Rendering a timeline to an MP4 with one ffmpeg encode, showing real encoding progress.

Loudness is normalised to the timeline's target (EBU R128, -14 LUFS by default) in two
steps: an audio-only pass measures the mix (no video is decoded or encoded), then the one
full pass applies ``loudnorm`` with those measurements, linearly. ffmpeg is the static
build inside ``imageio-ffmpeg``; nothing needs installing on the machine.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import av
import imageio_ffmpeg

from engine.assembly.graph import build_audio, build_video, has_sound
from engine.assembly.timeline import Timeline

Progress = Callable[[float, str], None]


class AssemblyError(Exception):
    """The movie cannot be made; ``stage`` and the message say where and why."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage, self.reason = stage, reason


class RenderCancelled(Exception):
    pass


@dataclass(frozen=True)
class Rendered:
    path: Path
    duration: float
    width: int
    height: int
    bytes: int
    copied: bool  # the video was stream-copied from the takes, not re-encoded


VideoFormat = tuple[object, ...]


def can_copy(timeline: Timeline, formats: list[VideoFormat]) -> bool:
    """Every piece is a take already in the output format, joined by cuts, with nothing to
    draw on it: then the video is the takes' own frames, copied, and only sound is mixed."""
    if timeline.title or timeline.end or not timeline.clips:
        return False
    if timeline.burn_captions and any(c.captions for c in timeline.clips):
        return False
    if any(c.transition != "cut" for c in timeline.clips[1:]):
        return False
    preset = timeline.preset
    wanted = ("h264", preset.width, preset.height, "yuv420p", preset.fps)
    return all(f[:5] == wanted for f in formats) and len({f[5] for f in formats}) == 1


def ffmpeg() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def check_clips(timeline: Timeline) -> list[VideoFormat]:
    """Every take opens and decodes, or the error names its scene; returns each take's
    format: what must be equal for H.264 streams to join without re-encoding."""
    formats = []
    for number, clip in enumerate(timeline.clips, 1):
        where = f"scene {number} '{clip.title}'"
        if not clip.path.is_file():
            raise AssemblyError("takes", f"{where}: its selected take's file is missing")
        try:
            with av.open(str(clip.path)) as container:
                if not container.streams.video:
                    raise AssemblyError("takes", f"{where}: its take has no video stream")
                stream = container.streams.video[0]
                next(container.decode(stream))
                ctx = stream.codec_context
                formats.append(
                    (
                        ctx.name,
                        ctx.width,
                        ctx.height,
                        ctx.pix_fmt,
                        stream.average_rate,
                        ctx.extradata,
                    )
                )
        except (av.error.FFmpegError, StopIteration) as exc:
            raise AssemblyError("takes", f"{where}: its take cannot be read ({exc})") from None
        if clip.transition_s >= clip.duration:
            raise AssemblyError(
                "timeline", f"{where}: a {clip.transition_s:g} s transition is longer than the clip"
            )
    return formats


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
        for line in child.stdout:
            if cancelled():
                child.kill()
                child.wait()
                raise RenderCancelled()
            if line.startswith("out_time_us=") and line.strip() != "out_time_us=N/A":
                done = int(line.split("=", 1)[1]) / 1e6
                progress(low + (high - low) * min(1.0, done / total), stage)
        child.wait()
        errors.seek(0)
        log = errors.read()
    if child.returncode != 0:
        tail = "; ".join(line for line in log.strip().splitlines()[-3:] if line.strip())
        raise AssemblyError(stage, f"ffmpeg failed: {tail[-600:]}")
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
        raise AssemblyError("measuring loudness", "ffmpeg reported no loudness figures")
    return json.loads(found[-1])


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
    """A stretch of the movie encoded on its own: ``piece`` played from ``offset``."""

    piece: Timeline
    offset: float
    length: float


def chunks(timeline: Timeline) -> list[Chunk]:
    """The movie cut into stretches that each need only the takes on screen in them.

    Boundaries fall on the cuts and in the middle of each take's stretch clear of
    transitions (on a frame), so no transition is split and a chunk holds two takes at
    most: memory stays the same however long the movie. Encoded with the same settings,
    the chunks join by stream copy.
    """
    parts, starts, fps = timeline.parts(), timeline.starts(), timeline.preset.fps
    bounds = {0.0, timeline.duration}
    for k, (part, start) in enumerate(zip(parts, starts, strict=True)):
        if k and part.transition == "cut":
            bounds.add(start)
        clear_from = start + part.overlap
        clear_to = start + part.length - (parts[k + 1].overlap if k + 1 < len(parts) else 0.0)
        if clear_to - clear_from > 2 / fps:
            bounds.add((clear_from + clear_to) / 2)
    edges = sorted({round(b * fps) / fps for b in bounds})
    pieces = []
    for t0, t1 in itertools.pairwise(edges):
        inside = [
            k
            for k in range(len(parts))
            if starts[k] < t1 - 1e-6 and starts[k] + parts[k].length > t0 + 1e-6
        ]
        first, last = inside[0], inside[-1]
        span = parts[first : last + 1]
        piece = replace(
            timeline,
            clips=tuple(p.clip for p in span if p.clip is not None),
            title=timeline.title if span[0].card is timeline.title and first == 0 else None,
            end=timeline.end if span[-1].card is timeline.end and last == len(parts) - 1 else None,
        )
        pieces.append(Chunk(piece, t0 - starts[first], t1 - t0))
    return pieces


def _encode_chunks(
    timeline: Timeline, work: Path, progress: Progress, cancelled: Callable[[], bool]
) -> list[Path]:
    preset, total = timeline.preset, timeline.duration
    files, done = [], 0.0
    for number, chunk in enumerate(chunks(timeline)):
        graph, video = build_video(chunk.piece, work)
        window = f"trim=start={chunk.offset:.4f}:duration={chunk.length:.4f},setpts=PTS-STARTPTS"
        path = work / f"chunk{number:04d}.mp4"
        share = (0.05 + 0.9 * done / total, 0.05 + 0.9 * (done + chunk.length) / total)
        _run(
            [
                "-filter_complex", f"{graph.filter};[{video}]{window}[out]", "-map", "[out]",
                "-c:v", "libx264", "-preset", "veryfast", "-crf", str(preset.crf),
                "-pix_fmt", "yuv420p", "-r", str(preset.fps), "-t", f"{chunk.length:.4f}",
                "-f", "mp4", "-y", str(path),
            ],
            chunk.length, "encoding", progress, share, cancelled,
        )  # fmt: skip
        files.append(path)
        done += chunk.length
    return files


def render(
    timeline: Timeline,
    output: Path,
    progress: Progress = lambda fraction, stage: None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Rendered:
    """Every frame encoded once, in chunks that join by stream copy; or, when the takes are
    already in the output format and only cut together (``can_copy``), their own frames
    copied. The sound is mixed and encoded in the final step that joins the video."""
    formats = check_clips(timeline)
    preset = timeline.preset
    copied = can_copy(timeline, formats)
    with tempfile.TemporaryDirectory(prefix="veogen-render-") as tmp:
        work = Path(tmp)
        sound = _sound(timeline, progress, cancelled)
        videos = (
            [c.path.resolve() for c in timeline.clips]
            if copied
            else _encode_chunks(timeline, work, progress, cancelled)
        )
        listing = work / "video.txt"
        listing.write_text("".join(f"file '{path}'\n" for path in videos))
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
