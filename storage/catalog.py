"""What each Veo model accepts, as data: every limit the data layer checks comes from here.

The animatic backend renders a draft preview of the scene's model, so it honours the same
limits; a scene planned for Veo 3.1 Fast is validated against Veo 3.1 Fast either way.
Prices are list prices in USD per second of video, used for estimates only.
"""

from __future__ import annotations

from dataclasses import dataclass

RESOLUTION_HEIGHTS = {"720p": 720, "1080p": 1080}


@dataclass(frozen=True)
class ModelSpec:
    name: str
    label: str
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    aspect_ratios: tuple[str, ...]
    max_samples: int
    price_per_second: float
    price_per_second_audio: float | None = None
    max_prompt_chars: int = 4000


# fmt: off
MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        #         name                         label           durations     resolutions        aspect ratios   samples  $/s   $/s audio
        ModelSpec("veo-2.0-generate-001",      "Veo 2",        (5, 6, 7, 8), ("720p",),         ("16:9", "9:16"), 4, 0.50),
        ModelSpec("veo-3.0-generate-001",      "Veo 3",        (4, 6, 8),    ("720p", "1080p"), ("16:9", "9:16"), 4, 0.20, 0.40),
        ModelSpec("veo-3.0-fast-generate-001", "Veo 3 Fast",   (4, 6, 8),    ("720p", "1080p"), ("16:9", "9:16"), 4, 0.10, 0.15),
        ModelSpec("veo-3.1-generate-001",      "Veo 3.1",      (4, 6, 8),    ("720p", "1080p"), ("16:9", "9:16"), 4, 0.20, 0.40),
        ModelSpec("veo-3.1-fast-generate-001", "Veo 3.1 Fast", (4, 6, 8),    ("720p", "1080p"), ("16:9", "9:16"), 4, 0.10, 0.15),
    )
}
# fmt: on

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
CONTINUITY_MODES = ("none", "previous")
MAX_TITLE_CHARS = 120
MAX_NOTES_CHARS = 4000
MAX_TAKES_PER_JOB = 4


def frame_size(resolution: str, aspect_ratio: str) -> tuple[int, int]:
    """Width and height in pixels, both even, as Veo delivers them."""
    short = RESOLUTION_HEIGHTS[resolution]
    long = short * 16 // 9
    return (long, short) if aspect_ratio == "16:9" else (short, long)


def estimate_cost(model: str, seconds: float, takes: int, audio: bool = False) -> float:
    spec = MODELS[model]
    price = (
        spec.price_per_second_audio
        if audio and spec.price_per_second_audio
        else spec.price_per_second
    )
    return round(price * seconds * takes, 4)
