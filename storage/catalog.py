"""What each Veo model accepts, as data: every limit the data layer checks comes from here.

The animatic backend renders a draft preview of the scene's model, so it honours the same
limits; a scene planned for Veo 3.1 Fast is validated against Veo 3.1 Fast either way.
Prices are list prices in USD per second of video, used for estimates only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

RESOLUTION_HEIGHTS = {"720p": 720, "1080p": 1080}
PERSON_GENERATION = ("allow_adult", "dont_allow")
MAX_REFERENCE_IMAGES = 3


@dataclass(frozen=True)
class ModelSpec:
    name: str
    label: str
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    aspect_ratios: tuple[str, ...]
    max_samples: int
    price_per_second: float
    price_per_second_audio: float | None  # None: the model makes no sound
    first_frame: bool  # image-to-video
    last_frame: bool
    reference_images: int  # how many "ingredients" it takes; 0: none
    extension: bool  # extends an earlier Veo take
    max_prompt_chars: int = 4000

    @property
    def audio(self) -> bool:
        return self.price_per_second_audio is not None

    def features(self) -> list[str]:
        """What the model can do beyond a prompt, in words for the studio."""
        named = [
            ("audio", self.audio),
            ("first frame", self.first_frame),
            ("last frame", self.last_frame),
            (f"up to {self.reference_images} reference images", self.reference_images > 0),
            ("extension", self.extension),
        ]
        return [name for name, supported in named if supported]


# fmt: off
_LIST_PRICES: tuple[ModelSpec, ...] = (
    #         name                         label           durations     resolutions        aspect ratios     n  $/s   $/s audio first  last   refs extend
    ModelSpec("veo-2.0-generate-001",      "Veo 2",        (5, 6, 7, 8), ("720p",),         ("16:9", "9:16"), 4, 0.50, None,     True,  True,  0,   True),
    ModelSpec("veo-3.0-generate-001",      "Veo 3",        (4, 6, 8),    ("720p", "1080p"), ("16:9", "9:16"), 4, 0.20, 0.40,     True,  False, 0,   False),
    ModelSpec("veo-3.0-fast-generate-001", "Veo 3 Fast",   (4, 6, 8),    ("720p", "1080p"), ("16:9", "9:16"), 4, 0.10, 0.15,     True,  False, 0,   False),
    ModelSpec("veo-3.1-generate-001",      "Veo 3.1",      (4, 6, 8),    ("720p", "1080p"), ("16:9", "9:16"), 4, 0.20, 0.40,     True,  True,  3,   True),
    ModelSpec("veo-3.1-fast-generate-001", "Veo 3.1 Fast", (4, 6, 8),    ("720p", "1080p"), ("16:9", "9:16"), 4, 0.10, 0.15,     True,  True,  0,   True),
)
# fmt: on
MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in _LIST_PRICES}


def use_prices(overrides: dict[str, dict[str, float]]) -> None:
    """Replace list prices, e.g. ``{"veo-3.1-generate-001": {"video": 0.18, "audio": 0.35}}``.

    Called once at start-up from configuration, so every estimate in the process agrees.
    """
    MODELS.clear()
    MODELS.update({spec.name: spec for spec in _LIST_PRICES})
    for name, prices in overrides.items():
        spec = MODELS[name]
        audio = prices.get("audio", spec.price_per_second_audio)
        MODELS[name] = replace(
            spec,
            price_per_second=float(prices.get("video", spec.price_per_second)),
            price_per_second_audio=None if audio is None or not spec.audio else float(audio),
        )


# Backends that spend money: their jobs reserve their estimate against the project budget.
BILLED_BACKENDS = frozenset({"veo"})

STYLES = (
    "none",
    "cinematic",
    "documentary",
    "anime",
    "noir",
    "watercolor",
    "claymation",
    "3d-render",
    "vintage-film",
)
CAMERA_MOVES = (
    "static",
    "pan-left",
    "pan-right",
    "tilt-up",
    "tilt-down",
    "zoom-in",
    "zoom-out",
    "dolly-in",
    "orbit",
    "handheld",
)
# "previous": start from the last frame of the previous scene's selected take;
# "extend": continue the previous scene's selected Veo take with Veo's extension.
CONTINUITY_MODES = ("none", "previous", "extend")
MAX_TITLE_CHARS = 120
MAX_NOTES_CHARS = 4000
MAX_TAKES_PER_JOB = 4


def frame_size(resolution: str, aspect_ratio: str) -> tuple[int, int]:
    """Width and height in pixels, both even, as Veo delivers them."""
    short = RESOLUTION_HEIGHTS[resolution]
    long = short * 16 // 9
    return (long, short) if aspect_ratio == "16:9" else (short, long)


def price_per_second(model: str, audio: bool) -> float:
    spec = MODELS[model]
    if audio and spec.price_per_second_audio is not None:
        return spec.price_per_second_audio
    return spec.price_per_second


def estimate_cost(model: str, seconds: float, takes: int, audio: bool = False) -> float:
    """Seconds x price x takes, at the model's price with or without sound."""
    return round(price_per_second(model, audio) * seconds * takes, 4)
