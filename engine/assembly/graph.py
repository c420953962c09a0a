"""The timeline as one ffmpeg filter graph: every clip normalised, joined and encoded once.

Each clip is brought to the preset's frame rate, size (padded or cropped), pixel format and
48 kHz stereo (silence where a clip has no sound); runs of cuts are joined by one concat,
transitions by ``xfade``/``acrossfade``; captions are overlaid, music is faded, lowered
under the clips' sound and mixed; loudness is normalised last.

Takes come in through ``movie``/``amovie`` sources inside the graph rather than as ffmpeg
inputs: a source is read only when the graph pulls from it, so a take not yet on screen
holds no decoded frames and memory stays flat however many scenes the movie has (as
inputs, every take decoded ahead into its own queue: 45 MB a 1080p scene).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from engine.assembly.cards import caption_png, card_png
from engine.assembly.timeline import Part, Timeline

XFADE = {"crossfade": "fade", "fade_black": "fadeblack", "wipe": "wipeleft"}
# Cards and captions are drawn in RGB: made BT.709 limited range, as the movie is tagged.
FROM_RGB = "out_color_matrix=bt709:out_range=tv"
AUDIO_FORMAT = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"


@dataclass
class Graph:
    chains: list[str] = field(default_factory=list)

    @property
    def filter(self) -> str:
        return ";".join(self.chains)


def _source(path: Path, kind: str = "movie", loop: bool = False) -> str:
    """A file read inside the graph, on demand (one decoding thread: few run at once)."""
    options = ":loop=0" if loop else ""
    threads = ":dec_threads=1" if kind == "movie" and not loop else ""
    return f"{kind}={_escaped(str(path.resolve()))}{threads}{options}"


def _escaped(value: str) -> str:
    """A file name as a filter option inside a graph: escaped for the option parser, then
    for the graph parser (ffmpeg-filters, "Notes on filtergraph escaping")."""
    for specials in ("\\':", "\\'[],;"):
        for char in specials:
            value = value.replace(char, "\\" + char)
    return value


def _fit(timeline: Timeline) -> str:
    w, h = timeline.preset.width, timeline.preset.height
    if timeline.fit == "crop":
        return f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}"
    return f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2"


def _part_video(
    g: Graph, timeline: Timeline, part: Part, index: int, work: Path, skip: float = 0.0
) -> str:
    """The part as frames of the preset; ``skip`` seconds of it (after its trim) are left
    out, sought past rather than decoded."""
    preset = timeline.preset
    if part.card is not None:
        still = card_png(
            part.card.text, part.card.background, preset.width, preset.height,
            work / f"card{index}.png",
        )  # fmt: skip
        source = f"{_source(still, loop=True)},setpts=N/({preset.fps}*TB)"
        fit = f"scale={preset.width}:{preset.height}:{FROM_RGB}"
    else:
        assert part.clip is not None
        source, fit = _source(part.clip.path), _fit(timeline)
        skip += part.clip.trim_in
        if skip:
            source += f":seek_point={skip:.4f},trim=start={skip:.4f},setpts=PTS-STARTPTS"
        # fps drops a take's last frame at its end of file, and a take may fall short of
        # its scene: the last frame is held for both (the trim below ends the part)
        source += f",tpad=stop_mode=clone:stop_duration={part.length:.3f}"
    g.chains.append(
        f"{source},fps={preset.fps},{fit},setsar=1,format=yuv420p,"
        f"trim=duration={part.length:.3f},setpts=PTS-STARTPTS,settb=1/{preset.fps}[v{index}]"
    )
    return f"v{index}"


def _part_audio(g: Graph, timeline: Timeline, part: Part, index: int) -> str:
    if part.clip is not None and part.clip.has_audio and timeline.keep_clip_audio:
        g.chains.append(
            f"{_source(part.clip.path, 'amovie')},{AUDIO_FORMAT},"
            f"atrim=start={part.clip.trim_in:.4f},asetpts=PTS-STARTPTS,apad,"
            f"atrim=duration={part.length:.3f},asetpts=PTS-STARTPTS[a{index}]"
        )
    else:
        g.chains.append(f"anullsrc=r=48000:cl=stereo,atrim=duration={part.length:.3f}[a{index}]")
    return f"a{index}"


def _join(g: Graph, parts: list[Part], labels: list[str], kind: str, fps: int) -> str:
    """One stream ("v" or "a") of the parts joined: runs of cuts in one concat each, each
    transition an xfade (acrossfade for sound) over the run so far."""
    runs: list[list[int]] = []
    for index, part in enumerate(parts):
        if index == 0 or part.transition != "cut":
            runs.append([])
        runs[-1].append(index)
    done, length = "", 0.0
    for number, run in enumerate(runs):
        label = labels[run[0]]
        if len(run) > 1:
            label = f"r{kind}{number}"
            inputs = "".join(f"[{labels[i]}]" for i in run)
            video, audio = (1, 0) if kind == "v" else (0, 1)
            g.chains.append(f"{inputs}concat=n={len(run)}:v={video}:a={audio}[{label}]")
            if kind == "v":  # xfade needs both sides on one time base; concat gives microseconds
                g.chains.append(f"[{label}]settb=1/{fps}[{label}t]")
                label = f"{label}t"
        run_length = sum(parts[i].length for i in run) - sum(parts[i].overlap for i in run[1:])
        if number == 0:
            done, length = label, run_length
            continue
        head = parts[run[0]]
        d = head.overlap
        joined = f"j{kind}{number}"
        if kind == "v":
            g.chains.append(
                f"[{done}][{label}]xfade=transition={XFADE[head.transition]}:duration={d:.3f}:"
                f"offset={length - d:.3f}[{joined}]"
            )
        else:
            g.chains.append(f"[{done}][{label}]acrossfade=d={d:.3f}:c1=tri:c2=tri[{joined}]")
        done, length = joined, length - d + run_length
    return done


def _captions(g: Graph, timeline: Timeline, video: str, work: Path, skip: float) -> str:
    preset = timeline.preset
    number = 0
    for part, at in zip(timeline.parts(), timeline.starts(), strict=True):
        start = at - skip
        for caption in part.clip.captions if part.clip else ():
            number += 1
            still = caption_png(
                caption.text, preset.width, preset.height, work / f"cap{number}.png"
            )
            g.chains.append(
                f"{_source(still, loop=True)},setpts=N/({preset.fps}*TB),scale={FROM_RGB},format=yuva420p"
                f"[cap{number}]"
            )
            a, b = start + caption.start, start + caption.end
            g.chains.append(
                f"[{video}][cap{number}]overlay=0:0:shortest=1:"
                f"enable='gte(t,{a:.4f})*lt(t,{b:.4f})'[c{number}]"  # on screen from a until b
            )
            video = f"c{number}"
    return video


def _music(g: Graph, timeline: Timeline, clips: str) -> str:
    music = timeline.music
    if music is None:
        return clips
    total = timeline.duration
    fade_out_at = max(0.0, total - music.fade_out)
    g.chains.append(
        f"{_source(music.path, 'amovie', loop=True)},asetpts=N/SR/TB,{AUDIO_FORMAT},"
        f"atrim=duration={total:.3f},asetpts=PTS-STARTPTS,"
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


def build_video(timeline: Timeline, work: Path, skip: float = 0.0) -> tuple[Graph, str]:
    """The picture alone: the graph and the label of its final video, which starts
    ``skip`` seconds into the timeline's first part (a chunk that begins inside it)."""
    g = Graph()
    parts = timeline.parts()
    parts[0] = replace(parts[0], length=parts[0].length - skip)
    videos = [
        _part_video(g, timeline, part, index, work, skip if index == 0 else 0.0)
        for index, part in enumerate(parts)
    ]
    joined = _join(g, parts, videos, "v", timeline.preset.fps)
    if timeline.burn_captions:
        joined = _captions(g, timeline, joined, work, skip)
    return g, joined


def build_audio(timeline: Timeline) -> tuple[Graph, str]:
    """The sound alone (clips' sound joined, music mixed in), before loudness is set."""
    g = Graph()
    parts = timeline.parts()
    audio = [_part_audio(g, timeline, part, index) for index, part in enumerate(parts)]
    return g, _music(g, timeline, _join(g, parts, audio, "a", timeline.preset.fps))


def has_sound(timeline: Timeline) -> bool:
    return timeline.music is not None or (
        timeline.keep_clip_audio and any(c.has_audio for c in timeline.clips)
    )
