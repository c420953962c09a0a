"""Rendering a timeline to an MP4 with one ffmpeg encode, showing real encoding progress.

Loudness is normalised to the timeline's target (EBU R128, -14 LUFS by default) in two
steps: an audio-only pass measures the mix (no video is decoded or encoded), then the one
full pass applies ``loudnorm`` with those measurements, linearly. ffmpeg is the static
build inside ``imageio-ffmpeg``; nothing needs installing on the machine.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import imageio_ffmpeg

from engine.assembly.graph import build, has_sound
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


def _video_format(path: Path) -> tuple[object, ...]:
    """What must be equal for H.264 streams to be joined without re-encoding."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        return (ctx.name, ctx.width, ctx.height, ctx.pix_fmt, stream.average_rate, ctx.extradata)


def can_copy(timeline: Timeline) -> bool:
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
    formats = [_video_format(c.path) for c in timeline.clips]
    return all(f[:5] == wanted for f in formats) and len({f[5] for f in formats}) == 1


def ffmpeg() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def check_clips(timeline: Timeline) -> None:
    """Every take opens and has video, or the error names its scene."""
    for number, clip in enumerate(timeline.clips, 1):
        where = f"scene {number} '{clip.title}'"
        if not clip.path.is_file():
            raise AssemblyError("takes", f"{where}: its selected take's file is missing")
        try:
            with av.open(str(clip.path)) as container:
                if not container.streams.video:
                    raise AssemblyError("takes", f"{where}: its take has no video stream")
                next(container.decode(video=0))
        except (av.error.FFmpegError, StopIteration) as exc:
            raise AssemblyError("takes", f"{where}: its take cannot be read ({exc})") from None
        if clip.transition_s >= clip.duration:
            raise AssemblyError(
                "timeline", f"{where}: a {clip.transition_s:g} s transition is longer than the clip"
            )


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


def _measure_loudness(timeline: Timeline, work: Path, progress: Progress,
                      cancelled: Callable[[], bool]) -> dict[str, str]:  # fmt: skip
    graph, _, audio = build(timeline, work, video=False)
    chain = f"{graph.filter};[{audio}]loudnorm=I={timeline.loudness}:TP=-1.5:LRA=11:print_format=json[out]"
    log = _run(
        [*graph.inputs, "-filter_complex", chain, "-map", "[out]", "-f", "null", "-"],
        timeline.duration, "measuring loudness", progress, (0.0, 0.1), cancelled,
    )  # fmt: skip
    found = re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", log)
    if not found:
        raise AssemblyError("measuring loudness", "ffmpeg reported no loudness figures")
    return json.loads(found[-1])


def _sound(
    timeline: Timeline, audio: str, work: Path, progress: Progress, cancelled: Callable[[], bool]
) -> str:
    """The chain that turns the mix into the movie's sound track ``[aout]``, at the target
    loudness (measured first, then applied linearly); silence stays silence."""
    if not has_sound(timeline):
        return f"[{audio}]anull[aout]"
    m = _measure_loudness(timeline, work, progress, cancelled)
    if m["input_i"] in ("-inf", "inf"):
        return f"[{audio}]anull[aout]"
    return (
        f"[{audio}]loudnorm=I={timeline.loudness}:TP=-1.5:LRA=11:"
        f"measured_I={m['input_i']}:measured_TP={m['input_tp']}:"
        f"measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}:"
        f"offset={m['target_offset']}:linear=true,aresample=48000[aout]"
    )


def render(
    timeline: Timeline,
    output: Path,
    progress: Progress = lambda fraction, stage: None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Rendered:
    """One encode of the whole movie; or, when the takes are already in the output format
    and only cut together (``can_copy``), their video copied and only the sound encoded."""
    check_clips(timeline)
    preset = timeline.preset
    copied = can_copy(timeline)
    with tempfile.TemporaryDirectory(prefix="veogen-render-") as tmp:
        work = Path(tmp)
        graph, video, audio = build(timeline, work, video=not copied)
        chain = f"{graph.filter};{_sound(timeline, audio, work, progress, cancelled)}"
        if copied:
            listing = work / "takes.txt"
            listing.write_text("".join(f"file '{c.path.resolve()}'\n" for c in timeline.clips))
            inputs = [*graph.inputs, "-f", "concat", "-safe", "0", "-i", str(listing)]
            video_args = ["-map", f"{graph.count}:v", "-c:v", "copy"]
        else:
            inputs = graph.inputs
            video_args = [
                "-map", f"[{video}]", "-c:v", "libx264", "-preset", "veryfast",
                "-crf", str(preset.crf), "-pix_fmt", "yuv420p", "-r", str(preset.fps),
            ]  # fmt: skip
        _run(
            [
                *inputs,
                "-filter_complex", chain,
                *video_args,
                "-map", "[aout]",
                "-c:a", "aac", "-b:a", "192k", "-ar", "48000",
                "-t", f"{timeline.duration:.3f}",
                "-movflags", "+faststart", "-f", "mp4", "-y", str(output),
            ],
            timeline.duration, "encoding", progress, (0.1, 1.0), cancelled,
        )  # fmt: skip
    progress(1.0, "done")
    return Rendered(
        output, timeline.duration, preset.width, preset.height, output.stat().st_size, copied
    )
