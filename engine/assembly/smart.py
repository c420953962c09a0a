"""Smart rendering: which stretches of the takes go into the movie as they are, and how
the rest is encoded so that both join in one H.264 track by stream copy.

A stretch is copied a whole GOP at a time (keyframe to keyframe) where nothing is drawn
on the take: clear of transitions and of burned-in captions. The rest is encoded with
the x264 settings read from the take's own x264 header, which make the parameter sets
(SPS/PPS) come out byte for byte the same as the take's; the renderer checks every
encoded window against them and encodes everything itself if one differs.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import av

from engine.assembly.timeline import Part, Timeline

EPS = 1e-6
_X264_HEADER = re.compile(rb"x264 - core \d+ .*? options: ([ -~]+)")


@dataclass(frozen=True)
class Take:
    """What the assembler needs to know of a take's picture without decoding it."""

    format: tuple[object, ...]  # codec, width, height, pixel format, frame rate
    extradata: bytes  # the parameter sets a joined track must share
    keyframes: tuple[float, ...]  # seconds from the first frame
    end: float  # seconds of frames in the file
    reordered: bool  # B-frames: packets out of display order, never copied
    tags: str  # filters that tag frames as this take's are: pixel aspect and colour
    x264: dict[str, str]  # its x264 header's options; empty when not made by x264
    file_s: float  # the container's duration: longer than ``end`` when its sound runs on
    video_first: bool  # the picture is the file's first stream
    trim_in: float = 0.0  # seconds of the file before the part's time 0

    def trimmed(self, seconds: float) -> Take:
        """The take as its part sees it: keyframes and end counted from ``seconds`` in."""
        if not seconds:
            return self
        return replace(
            self,
            keyframes=tuple(k - seconds for k in self.keyframes if k >= seconds - EPS),
            end=self.end - seconds,
            trim_in=seconds,
        )

    def whole_copy(self, length: float) -> bool:
        """The file can go into the concat demuxer as it is for ``length`` seconds: it
        matches streams by position and moves to the next file after the container's
        duration, so the picture must come first and last as long as the file."""
        return (
            not self.trim_in
            and self.video_first
            and abs(self.end - length) < EPS
            and self.file_s < self.end + 0.05
        )


def signal_tags(sar: str, colour: tuple[int, int, int, int]) -> str:
    """Filters that tag frames with a pixel aspect and colour range, primaries, transfer
    and matrix (ffmpeg's numbers), which the encoder writes into the parameter sets."""
    r, primaries, trc, space = colour
    return (
        f"setsar={sar},setparams=range={r}:color_primaries={primaries}:"
        f"color_trc={trc}:colorspace={space}"
    )


# What an encoded movie says of itself: square pixels, BT.709 limited range (the HD
# standard, which the animatic and the cards are made in). Takes' pixels pass through
# unconverted, so an untagged take is taken for BT.709, as Chromium takes it.
BT709_TAGS = signal_tags("1", (1, 1, 1, 1))


def probe(path: Path) -> Take:
    """Read a take's format and keyframes from its packets (only the first is decoded)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        next(container.decode(stream))
        container.seek(0)
        ctx, tb = stream.codec_context, stream.time_base
        assert tb is not None  # an MP4 video stream always has one
        first, keyframes, end, options = None, [], 0.0, {}
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            if first is None:
                first = packet.pts
                found = _X264_HEADER.search(bytes(packet))
                if found:
                    options = dict(
                        item.split("=", 1) for item in found[1].decode().split() if "=" in item
                    )
            at = float((packet.pts - first) * tb)
            if packet.is_keyframe:
                keyframes.append(at)
            end = max(end, at + float((packet.duration or 0) * tb))
        sar = stream.sample_aspect_ratio
        return Take(
            format=(ctx.name, ctx.width, ctx.height, ctx.pix_fmt, stream.average_rate),
            extradata=bytes(ctx.extradata or b""),
            keyframes=tuple(keyframes),
            end=end,
            reordered=bool(ctx.has_b_frames) or options.get("bframes", "0") != "0",
            # the encoder writes these into the parameter sets, so they must match too
            tags=signal_tags(
                f"{sar.numerator}/{sar.denominator}" if sar else "0",
                (ctx.color_range, ctx.color_primaries, ctx.color_trc, ctx.colorspace),
            ),
            x264=options,
            file_s=float(container.duration or 0) / av.time_base,
            video_first=stream.index == 0,
        )


def matching_encoder(take: Take) -> list[str] | None:
    """ffmpeg arguments that encode with this take's parameter sets, from its x264 header;
    None when they cannot be reproduced (not x264, interlaced, custom matrices, B-frames,
    bitrate-driven rate control)."""
    o = take.x264
    try:
        if o["interlaced"] != "0" or o["cqm"] != "0" or take.reordered:
            return None
        quality = {"crf": f"crf={o.get('crf')}", "cqp": f"qp={o.get('qp')}"}.get(o["rc"])
        enabled, alpha, beta = o["deblock"].split(":")
        params = [
            f"cabac={o['cabac']}",
            f"ref={o['ref']}",
            f"8x8dct={o['8x8dct']}",
            "bframes=0",
            f"weightp={o['weightp']}",
            f"keyint={o['keyint']}",
            f"constrained-intra={o['constrained_intra']}",
            # psy would lower the chroma offset again: the header's offset is the final one
            "psy=0",
            f"chroma-qp-offset={o['chroma_qp_offset']}",
            f"deblock={alpha}:{beta}" if enabled == "1" else "no-deblock=1",
        ]
    except (KeyError, ValueError):
        return None
    if quality is None:
        return None
    return ["-c:v", "libx264", "-preset", "veryfast", "-x264-params", ":".join([*params, quality])]


def copy_source(takes: list[Take], wanted: tuple[object, ...]) -> Take | None:
    """The take whose parameter sets the movie's track will carry: the most common among
    takes already in the output format that can be matched; None if there is none."""
    usable = [t for t in takes if t.format == wanted and matching_encoder(t) is not None]
    if not usable:
        return None
    common, _ = Counter(t.extradata for t in usable).most_common(1)[0]
    return next(t for t in usable if t.extradata == common)


def _busy(timeline: Timeline, parts: list[Part], k: int) -> list[tuple[float, float]]:
    """Where in part ``k``'s own time something is drawn on it."""
    part = parts[k]
    after = parts[k + 1].overlap if k + 1 < len(parts) else 0.0
    busy = [(0.0, part.overlap), (part.length - after, part.length)]
    if timeline.burn_captions and part.clip is not None:
        busy += [(c.start, c.end) for c in part.clip.captions]
    return sorted(b for b in busy if b[1] > b[0])


Ranges = dict[int, list[tuple[float, float]]]  # part index -> stretches in its own time


def copy_ranges(timeline: Timeline, takes: list[Take], source: Take) -> Ranges:
    """For each part (by index) the keyframe-aligned stretches, in its own time, that are
    copied from its take; only takes sharing ``source``'s parameter sets."""
    parts, fps = timeline.parts(), timeline.preset.fps
    by_clip = dict(zip(timeline.clips, takes, strict=True))
    ranges: Ranges = {}
    for k, part in enumerate(parts):
        take = by_clip.get(part.clip) if part.clip else None
        if take is None or take.format != source.format or take.extradata != source.extradata:
            continue
        free, at = [], 0.0
        for b0, b1 in _busy(timeline, parts, k):
            free.append((at, b0))
            at = max(at, b1)
        free.append((at, part.length))
        # a stretch ends where a GOP starts, or at the take's end if it fills its part
        ends = [*take.keyframes, *([take.end] if take.end >= part.length - EPS else [])]
        for f0, f1 in free:
            a = next((kf for kf in take.keyframes if kf >= f0 - EPS), None)
            b = max((e for e in ends if e <= f1 + EPS), default=None)
            if a is not None and b is not None and b - a >= 1 / fps - EPS:
                ranges.setdefault(k, []).append((a, b))
    return ranges


def extract(path: Path, start: float, end: float, out: Path) -> None:
    """Copy a take's video packets from the keyframe at ``start`` up to ``end`` into a
    video-only MP4 that starts at zero: no decoding, no encoding."""
    with av.open(str(path)) as src, av.open(str(out), "w", format="mp4") as dst:
        stream = src.streams.video[0]
        copy = dst.add_stream_from_template(stream)
        tb, origin = stream.time_base, stream.start_time or 0
        assert tb is not None  # an MP4 video stream always has one
        shift: int | None = None
        src.seek(origin + int(Fraction(start) / tb), stream=stream, backward=True)
        for packet in src.demux(stream):
            if packet.pts is None:
                continue
            at = float((packet.pts - origin) * tb)
            if at < start - EPS:
                continue
            if at >= end - EPS:
                break
            if shift is None:
                shift = packet.pts
            packet.pts -= shift
            if packet.dts is not None:
                packet.dts -= shift
            packet.stream = copy
            dst.mux(packet)
