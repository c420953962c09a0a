"""The job contract: what a job hands its backend, and what comes back.

A generation hands over a ``SceneSnapshot`` and gets ``Generated`` takes back; a render
hands over a ``CutSnapshot`` and gets a ``NewMovie``. Snapshots are taken when the job is
queued (later edits never change a queued job) and kept in the job row as JSON; the
data layer turns results into rows. Backends see only these and their job context.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MOVIE_FPS = 24  # every movie is rendered at it: review comments count a version's frames


def frame_timecode(frame: int, fps: float) -> str:
    """``hours:minutes:seconds:frames`` of a frame counted from 0, as editors write time."""
    whole = round(fps)
    seconds = frame // whole
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frame % whole:02d}"


@dataclass(frozen=True)
class ImageRef:
    """An uploaded image a scene uses: a frame, or a reference ("asset" or "style")."""

    media_key: str
    mime_type: str
    name: str = ""
    reference_type: str = "asset"


@dataclass(frozen=True)
class TakeRef:
    take_id: int
    media_key: str
    backend: str = ""


@dataclass(frozen=True)
class PreviousScene:
    """The scene before, for continuity: its take is looked up when the job runs."""

    scene_id: int
    title: str
    prompt: str
    seed: int | None


@dataclass(frozen=True)
class SceneSnapshot:
    title: str
    prompt: str
    model: str
    duration: int
    aspect_ratio: str
    resolution: str
    style: str = "none"
    camera: str = "static"
    negative_prompt: str = ""
    seed: int | None = None
    notes: str = ""
    continuity: str = "none"
    person_generation: str | None = None
    generate_audio: bool = False
    enhance_prompt: bool | None = None
    position: int = 0
    first_frame: ImageRef | None = None
    last_frame: ImageRef | None = None
    references: tuple[ImageRef, ...] = ()
    extend_take: TakeRef | None = None
    previous: PreviousScene | None = None

    def to_params(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> SceneSnapshot:
        known = {name for name in cls.__dataclass_fields__}
        plain = {k: v for k, v in params.items() if k in known}

        def image(raw: dict[str, Any] | None) -> ImageRef | None:
            return ImageRef(**raw) if raw else None

        plain["first_frame"] = image(params.get("first_frame"))
        plain["last_frame"] = image(params.get("last_frame"))
        plain["references"] = tuple(ImageRef(**r) for r in params.get("references") or [])
        extend = params.get("extend_take")
        plain["extend_take"] = TakeRef(**extend) if extend else None
        previous = params.get("previous")
        plain["previous"] = PreviousScene(**previous) if previous else None
        return cls(**plain)


@dataclass(frozen=True)
class CaptionLine:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class CardSpec:
    text: str
    duration: float
    background: str


@dataclass(frozen=True)
class MusicBed:
    media_key: str
    name: str
    fade_in: float
    fade_out: float


@dataclass(frozen=True)
class CutClip:
    scene_id: int
    title: str
    take_id: int
    media_key: str
    duration: float  # as played: the take less its trims
    transition: str
    transition_seconds: float
    captions: tuple[CaptionLine, ...] = ()
    trim_in: float = 0.0  # seconds of the take left out before it starts


@dataclass(frozen=True)
class CutSnapshot:
    """The cut as the assembler renders it, with the export settings it was asked with."""

    name: str
    preset: str
    aspect_ratio: str
    fit: str
    burn_captions: bool
    keep_clip_audio: bool
    use_music: bool
    clips: tuple[CutClip, ...]
    title_card: CardSpec | None = None
    end_card: CardSpec | None = None
    music: MusicBed | None = None

    SETTINGS = ("preset", "aspect_ratio", "fit", "burn_captions", "keep_clip_audio", "use_music")

    def settings(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.SETTINGS}

    def to_params(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> CutSnapshot:
        def card(raw: dict[str, Any] | None) -> CardSpec | None:
            return CardSpec(**raw) if raw else None

        clips = tuple(
            CutClip(
                **{k: v for k, v in raw.items() if k != "captions"},
                captions=tuple(CaptionLine(**c) for c in raw.get("captions") or []),
            )
            for raw in params["clips"]
        )
        music = params.get("music")
        return cls(
            **{name: params[name] for name in (*cls.SETTINGS, "name")},
            clips=clips,
            title_card=card(params.get("title_card")),
            end_card=card(params.get("end_card")),
            music=MusicBed(**music) if music else None,
        )


@dataclass(frozen=True)
class NewTake:
    """One sample a generation made, already in the media store."""

    sample_index: int
    media_key: str
    poster_key: str | None
    duration: float
    width: int
    height: int
    fps: float
    codec: str
    bytes: int
    seed: int | None
    cost_usd: float


@dataclass(frozen=True)
class Generated:
    """A generation's takes, and what it could not make (samples a safety filter kept)."""

    takes: tuple[NewTake, ...]
    notice: str | None = None

    @property
    def seconds(self) -> float:
        return sum(t.duration for t in self.takes)

    @property
    def bytes(self) -> int:
        return sum(t.bytes for t in self.takes)


@dataclass(frozen=True)
class NewMovie:
    """A render's movie and its caption and timeline files, already in the media store."""

    media_key: str
    captions_srt_key: str
    captions_vtt_key: str
    otio_key: str
    duration: float
    width: int
    height: int
    bytes: int
    render_s: float
    copied_s: float = 0.0  # seconds of the picture copied from the takes, not re-encoded

    @property
    def seconds(self) -> float:
        return self.duration


Result = Generated | NewMovie
