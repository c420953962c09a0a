"""The timeline as one ffmpeg filter graph: every clip normalised, joined and encoded once.

Each clip is brought to the preset's frame rate, size (padded or cropped), pixel format and
48 kHz stereo (silence where a clip has no sound); runs of cuts are joined by one concat,
transitions by ``xfade``/``acrossfade``; captions are overlaid, music is faded, lowered
under the clips' sound and mixed; loudness is normalised last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.assembly.cards import caption_png, card_png
from engine.assembly.timeline import Part, Timeline

XFADE = {"crossfade": "fade", "fade_black": "fadeblack", "wipe": "wipeleft"}
AUDIO_FORMAT = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"


@dataclass
class Graph:
    inputs: list[str] = field(default_factory=list)  # ffmpeg arguments before -filter_complex
    chains: list[str] = field(default_factory=list)
    count: int = 0

    def add_input(self, *args: str) -> int:
        self.inputs += [*args]
        self.count += 1
        return self.count - 1

    @property
    def filter(self) -> str:
        return ";".join(self.chains)


def _fit(timeline: Timeline) -> str:
    w, h = timeline.preset.width, timeline.preset.height
    if timeline.fit == "crop":
        return f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}"
    return f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2"


def _part_video(
    g: Graph, timeline: Timeline, part: Part, index: int, work: Path, video: bool
) -> str:
    preset = timeline.preset
    if part.card is not None:
        still = card_png(
            part.card.text, part.card.background, preset.width, preset.height,
            work / f"card{index}.png",
        )  # fmt: skip
        source = g.add_input(
            "-loop", "1", "-framerate", str(preset.fps), "-t", f"{part.length}", "-i", str(still)
        )
        fit = f"scale={preset.width}:{preset.height}"
    else:
        assert part.clip is not None
        source = g.add_input("-i", str(part.clip.path))
        fit = _fit(timeline)
    if not video:
        return ""  # the input is still added, so audio inputs keep their numbers
    g.chains.append(
        f"[{source}:v]fps={preset.fps},{fit},setsar=1,format=yuv420p,"
        f"trim=duration={part.length:.3f},setpts=PTS-STARTPTS,settb=1/{preset.fps}[v{index}]"
    )
    return f"v{index}"


def _part_audio(g: Graph, timeline: Timeline, part: Part, index: int, source: int | None) -> str:
    if (
        source is not None
        and part.clip is not None
        and part.clip.has_audio
        and timeline.keep_clip_audio
    ):
        g.chains.append(
            f"[{source}:a]{AUDIO_FORMAT},apad,atrim=duration={part.length:.3f},"
            f"asetpts=PTS-STARTPTS[a{index}]"
        )
    else:
        g.chains.append(f"anullsrc=r=48000:cl=stereo,atrim=duration={part.length:.3f}[a{index}]")
    return f"a{index}"


def _join(
    g: Graph, parts: list[Part], video: list[str], audio: list[str], with_video: bool, fps: int
) -> tuple[str, str]:
    """Runs of cuts in one concat each; each transition an xfade over the run so far."""
    runs: list[list[int]] = []
    for index, part in enumerate(parts):
        if index == 0 or part.transition != "cut":
            runs.append([])
        runs[-1].append(index)
    done_v = done_a = ""
    length = 0.0
    for number, run in enumerate(runs):
        if len(run) == 1:
            run_v, run_a = video[run[0]], audio[run[0]]
        elif with_video:
            run_v, run_a = f"rv{number}", f"ra{number}"
            pairs = "".join(f"[{video[i]}][{audio[i]}]" for i in run)
            g.chains.append(f"{pairs}concat=n={len(run)}:v=1:a=1[{run_v}c][{run_a}]")
            # xfade needs both sides on one time base; concat hands out microseconds
            g.chains.append(f"[{run_v}c]settb=1/{fps}[{run_v}]")
        else:
            run_v, run_a = "", f"ra{number}"
            pairs = "".join(f"[{audio[i]}]" for i in run)
            g.chains.append(f"{pairs}concat=n={len(run)}:v=0:a=1[{run_a}]")
        run_length = sum(parts[i].length for i in run) - sum(parts[i].overlap for i in run[1:])
        if number == 0:
            done_v, done_a, length = run_v, run_a, run_length
            continue
        head = parts[run[0]]
        d = head.overlap
        if with_video:
            g.chains.append(
                f"[{done_v}][{run_v}]xfade=transition={XFADE[head.transition]}:duration={d:.3f}:"
                f"offset={length - d:.3f}[jv{number}]"
            )
        g.chains.append(f"[{done_a}][{run_a}]acrossfade=d={d:.3f}:c1=tri:c2=tri[ja{number}]")
        done_v, done_a, length = f"jv{number}", f"ja{number}", length - d + run_length
    return done_v, done_a


def _captions(g: Graph, timeline: Timeline, video: str, work: Path) -> str:
    preset = timeline.preset
    for part, start in zip(timeline.parts(), timeline.starts(), strict=True):
        for number, caption in enumerate(part.clip.captions if part.clip else ()):
            still = caption_png(
                caption.text, preset.width, preset.height, work / f"cap{len(g.chains)}-{number}.png"
            )
            source = g.add_input(
                "-loop",
                "1",
                "-framerate",
                str(preset.fps),
                "-t",
                f"{timeline.duration:.3f}",
                "-i",
                str(still),
            )
            label = f"c{len(g.chains)}"
            a, b = start + caption.start, start + caption.end
            g.chains.append(
                f"[{video}][{source}:v]overlay=0:0:enable='between(t,{a:.3f},{b:.3f})'[{label}]"
            )
            video = label
    return video


def _music(g: Graph, timeline: Timeline, clips: str) -> str:
    music = timeline.music
    if music is None:
        return clips
    total = timeline.duration
    source = g.add_input("-stream_loop", "-1", "-i", str(music.path))
    fade_out_at = max(0.0, total - music.fade_out)
    g.chains.append(
        f"[{source}:a]{AUDIO_FORMAT},atrim=duration={total:.3f},asetpts=PTS-STARTPTS,"
        f"afade=t=in:d={music.fade_in:.3f},afade=t=out:st={fade_out_at:.3f}:d={music.fade_out:.3f}[mus]"
    )
    if music.duck and timeline.keep_clip_audio:
        g.chains.append(f"[{clips}]asplit=2[clipsmix][clipskey]")
        g.chains.append(
            "[mus][clipskey]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=500[ducked]"
        )
        g.chains.append("[clipsmix][ducked]amix=inputs=2:duration=first:normalize=0[mixed]")
    else:
        g.chains.append(f"[{clips}][mus]amix=inputs=2:duration=first:normalize=0[mixed]")
    return "mixed"


def build(timeline: Timeline, work: Path, video: bool = True) -> tuple[Graph, str, str]:
    """The graph, and the labels of its final video and (not yet normalised) audio.

    ``video=False`` builds the sound alone, for measuring its loudness before the one pass
    that encodes everything.
    """
    g = Graph()
    parts = timeline.parts()
    videos, audio = [], []
    for index, part in enumerate(parts):
        videos.append(_part_video(g, timeline, part, index, work, video))
        source = g.count - 1 if part.clip is not None else None
        audio.append(_part_audio(g, timeline, part, index, source))
    joined_v, joined_a = _join(g, parts, videos, audio, video, timeline.preset.fps)
    if video and timeline.burn_captions:
        joined_v = _captions(g, timeline, joined_v, work)
    return g, joined_v, _music(g, timeline, joined_a)


def has_sound(timeline: Timeline) -> bool:
    return timeline.music is not None or (
        timeline.keep_clip_audio and any(c.has_audio for c in timeline.clips)
    )
