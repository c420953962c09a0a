"""A movie's cut as data: clips in order, the transition into each, cards, captions, music.

Times are seconds, counted in whole frames of the preset. A transition of ``d`` seconds
overlaps the end of the clip before it with the start of its own clip, so the movie lasts
the sum of its parts minus the overlaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storage.contract import MOVIE_FPS

TRANSITIONS = ("cut", "crossfade", "fade_black", "wipe")


@dataclass(frozen=True)
class Preset:
    """An export format: the long side's resolution and the frame's shape."""

    name: str
    width: int
    height: int
    fps: int = MOVIE_FPS
    crf: int = 20

    @classmethod
    def of(cls, resolution: str, aspect_ratio: str = "16:9", fit: str = "pad") -> Preset:
        short = {"720p": 720, "1080p": 1080, "4k": 2160}[resolution.lower()]
        across, down = (int(x) for x in aspect_ratio.split(":"))
        if across >= down:
            width, height = _even(short * across / down), short
        else:
            width, height = short, _even(short * down / across)
        return cls(f"{resolution} {aspect_ratio} {fit}", width, height)


def _even(value: float) -> int:
    return round(value / 2) * 2


@dataclass(frozen=True)
class Caption:
    text: str
    start: float  # seconds into its scene
    end: float


@dataclass(frozen=True)
class Clip:
    path: Path
    duration: float  # as played, from ``trim_in`` seconds into the file
    title: str  # named in messages ("scene 3 'Harbour'")
    has_audio: bool = False
    transition: str = "cut"  # into this clip from the one before
    transition_s: float = 0.0
    captions: tuple[Caption, ...] = ()
    trim_in: float = 0.0


@dataclass(frozen=True)
class Card:
    text: str
    duration: float
    background: str = "#000000"


@dataclass(frozen=True)
class Music:
    path: Path
    fade_in: float = 2.0
    fade_out: float = 3.0
    duck: bool = True  # lower it under the clips' own sound


@dataclass(frozen=True)
class Part:
    """One piece of the movie in order: the title card, a clip, or the end card."""

    name: str
    length: float
    transition: str  # into this part
    overlap: float  # seconds shared with the part before
    clip: Clip | None = None  # None for a card
    card: Card | None = None


@dataclass(frozen=True)
class Timeline:
    clips: tuple[Clip, ...]
    preset: Preset
    fit: str = "pad"  # or "crop": how a clip of another shape fills the frame
    title: Card | None = None
    end: Card | None = None
    music: Music | None = None
    keep_clip_audio: bool = True
    burn_captions: bool = False
    loudness: float = -14.0  # LUFS

    def parts(self) -> list[Part]:
        """The movie's pieces, in whole frames (as an editor counts them, so every piece
        starts on a frame). The first piece never transitions; the first clip transitions
        out of the title card as from a clip; the end card cuts in."""
        fps = self.preset.fps

        def frames(seconds: float) -> float:
            return round(seconds * fps) / fps

        rows: list[Part] = []
        if self.title:
            rows.append(
                Part("title card", frames(self.title.duration), "cut", 0.0, card=self.title)
            )
        for clip in self.clips:
            kind = clip.transition if rows else "cut"
            overlap = frames(clip.transition_s) if kind != "cut" else 0.0
            rows.append(Part(clip.title, frames(clip.duration), kind, overlap, clip=clip))
        if self.end:
            rows.append(Part("end card", frames(self.end.duration), "cut", 0.0, card=self.end))
        return rows

    @property
    def duration(self) -> float:
        return sum(part.length - part.overlap for part in self.parts())

    def starts(self) -> list[float]:
        """When each part begins in the movie."""
        starts, at = [], 0.0
        for part in self.parts():
            at -= part.overlap
            starts.append(at)
            at += part.length
        return starts
