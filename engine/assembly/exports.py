"""What ships beside the movie: captions as SRT and WebVTT, the cut as OpenTimelineIO.

Caption times are the movie's (each scene's captions shifted to where the scene starts), so
the files line up with the rendered MP4; the OTIO file references the original takes, so an
editor can finish the cut in Resolve or Premiere from full-quality sources.
"""

from __future__ import annotations

import opentimelineio as otio

from engine.assembly.timeline import Timeline


def movie_captions(timeline: Timeline) -> list[tuple[float, float, str]]:
    """(start, end, text) in movie time, in order."""
    rows = []
    for part, start in zip(timeline.parts(), timeline.starts(), strict=True):
        for caption in part.clip.captions if part.clip else ():
            rows.append((start + caption.start, start + caption.end, caption.text))
    return sorted(rows)


def _stamp(seconds: float, separator: str) -> str:
    ms = round(seconds * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def srt(timeline: Timeline) -> str:
    blocks = [
        f"{n}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{text}\n"
        for n, (a, b, text) in enumerate(movie_captions(timeline), 1)
    ]
    return "\n".join(blocks)


def webvtt(timeline: Timeline) -> str:
    cues = [
        f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{text}\n"
        for a, b, text in movie_captions(timeline)
    ]
    return "WEBVTT\n\n" + "\n".join(cues)


def otio_timeline(timeline: Timeline, name: str) -> otio.schema.Timeline:
    """Clips on one video track, each transition an OTIO dissolve centred on its cut.

    OTIO transitions take no time of their own: they play half of each side's overlap from
    the clips' handles, so each clip's source range gives up half of the overlap on either
    side and the track lasts exactly as long as the movie.
    """
    rate = timeline.preset.fps
    track = otio.schema.Track(name="Video", kind=otio.schema.TrackKind.Video)
    parts = timeline.parts()

    def span(start: float, seconds: float) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(
            otio.opentime.from_seconds(start, rate), otio.opentime.from_seconds(seconds, rate)
        )

    for index, part in enumerate(parts):
        before = part.overlap / 2
        after = parts[index + 1].overlap / 2 if index + 1 < len(parts) else 0.0
        if part.overlap:
            half = otio.opentime.from_seconds(before, rate)
            track.append(
                otio.schema.Transition(
                    name=part.transition,
                    transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                    in_offset=half,
                    out_offset=half,
                )
            )
        shown = span(before, part.length - before - after)
        if part.clip is None:
            track.append(otio.schema.Gap(name=part.name, source_range=shown))
            continue
        trim = part.clip.trim_in  # the source range starts where the trim leaves the take
        media = otio.schema.ExternalReference(
            target_url=part.clip.path.resolve().as_uri(),
            available_range=span(0, trim + part.length),
        )
        source = span(trim + before, part.length - before - after)
        track.append(otio.schema.Clip(name=part.name, media_reference=media, source_range=source))
    result = otio.schema.Timeline(name=name)
    result.tracks.append(track)
    return result


def exports(timeline: Timeline, name: str) -> dict[str, str]:
    """The captions as SRT and WebVTT and the cut as OpenTimelineIO, by file extension."""
    return {
        "srt": srt(timeline),
        "vtt": webvtt(timeline),
        "otio": otio.adapters.write_to_string(otio_timeline(timeline, name), "otio_json"),
    }
