"""What each model accepts and costs, and which provider serves it, as data.

Every limit the data layer checks comes from here. A ``Catalog`` is built once by whoever
starts a process (the studio's services, an engine, the CLI) from the providers it knows
and the configured price overrides, and is passed to what needs it; nothing mutates it.

The local animatic renders a draft of any model, honouring the same limits, so a scene
planned for Veo 3.1 Fast is validated against Veo 3.1 Fast either way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from storage.errors import NotFound, SettingsError

RESOLUTION_HEIGHTS = {"720p": 720, "1080p": 1080, "4k": 2160}
PERSON_GENERATION = ("allow_adult", "dont_allow")
MAX_REFERENCE_IMAGES = 3


@dataclass(frozen=True)
class Price:
    """USD per second of video, without and with sound (None: the model makes no sound)."""

    video: float
    audio: float | None = None


@dataclass(frozen=True)
class ModelSpec:
    name: str
    label: str
    durations: tuple[int, ...]
    aspect_ratios: tuple[str, ...]
    max_samples: int
    prices: Mapping[str, Price]  # per resolution; its keys are the resolutions offered
    first_frame: bool  # image-to-video
    last_frame: bool
    reference_images: int  # how many "ingredients" it takes; 0: none
    extension: bool  # extends an earlier take of the same provider
    max_prompt_chars: int = 4000
    provider: str = ""  # set by the Catalog: the provider that offers it

    @property
    def resolutions(self) -> tuple[str, ...]:
        return tuple(self.prices)

    @property
    def audio(self) -> bool:
        return any(price.audio is not None for price in self.prices.values())

    def price_per_second(self, resolution: str, audio: bool) -> float:
        if resolution not in self.prices:
            offered = ", ".join(self.prices)
            raise NotFound(f"{self.label} has no {resolution} price; it offers {offered}")
        price = self.prices[resolution]
        return price.audio if audio and price.audio is not None else price.video

    def features(self) -> list[str]:
        """What the model can do beyond a prompt, in words for the studio."""
        named = [
            ("sound", self.audio),
            ("first frame", self.first_frame),
            ("last frame", self.last_frame),
            (f"up to {self.reference_images} reference images", self.reference_images > 0),
            ("extension", self.extension),
        ]
        return [name for name, supported in named if supported]


@dataclass(frozen=True)
class Billing:
    """How a provider charges: whether its jobs reserve their estimate against the budget,
    and the failure stages at which it reported that nothing was made (so nothing is owed)."""

    billed: bool
    unbilled_stages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ProviderSpec:
    name: str  # what a job row's ``backend`` says
    label: str
    billing: Billing
    models: tuple[ModelSpec, ...] = ()
    drafts: bool = False  # renders previews of any model's scenes, labelled as drafts


def _veo(
    name: str,
    label: str,
    durations: tuple[int, ...],
    prices: dict[str, tuple[float, float | None]],
    first: bool,
    last: bool,
    refs: int,
    extend: bool,
    aspects: tuple[str, ...] = ("16:9", "9:16"),
) -> ModelSpec:
    return ModelSpec(
        name, label, durations, aspects, 4,
        MappingProxyType({resolution: Price(*pair) for resolution, pair in prices.items()}),
        first, last, refs, extend,
    )  # fmt: skip


# List prices in USD per second, (without sound, with sound), per output resolution. Read
# on 2026-12-07, without access to Google's pricing page itself
# (cloud.google.com/vertex-ai/generative-ai/pricing, section "Veo"), from public copies of
# it: Veo 3 and 3 Fast as quoted from that page; Veo 3.1, 3.1 Fast (4K included) and Lite
# from the project's December 2026 notes (../shared/DESIGN.md) and LiteLLM's cost map for
# Lite. Where no price without sound was published (3.1 at 4K, 3.1 Fast), the price with
# sound is used, so an estimate never runs low. Check Google's page before relying on
# them and override them with VEOGEN_PRICES; estimates only: Google's bill is the truth.
# fmt: off
VEO_MODELS: tuple[ModelSpec, ...] = (
    #    name                          label            durations     {resolution: ($/s, $/s with sound)}                                first  last   refs extend
    _veo("veo-2.0-generate-001",       "Veo 2",         (5, 6, 7, 8), {"720p": (0.50, None)},                                          True,  True,  0,   True),
    _veo("veo-3.0-generate-001",       "Veo 3",         (4, 6, 8),    {"720p": (0.20, 0.40), "1080p": (0.20, 0.40)},                   True,  False, 0,   False),
    _veo("veo-3.0-fast-generate-001",  "Veo 3 Fast",    (4, 6, 8),    {"720p": (0.10, 0.15), "1080p": (0.10, 0.15)},                   True,  False, 0,   False),
    _veo("veo-3.1-generate-001",       "Veo 3.1",       (4, 6, 8),    {"720p": (0.20, 0.40), "1080p": (0.20, 0.40), "4k": (0.60, 0.60)}, True,  True,  3,   True),
    _veo("veo-3.1-fast-generate-001",  "Veo 3.1 Fast",  (4, 6, 8),    {"720p": (0.10, 0.10), "1080p": (0.12, 0.12), "4k": (0.30, 0.30)}, True,  True,  0,   True),
    _veo("veo-3.1-lite-generate-001",  "Veo 3.1 Lite",  (4, 6, 8),    {"720p": (0.03, 0.05), "1080p": (0.05, 0.08)},                   True,  True,  0,   False),
)
# fmt: on

# Veo bills every accepted request except those it reports failed or filtered whole.
VEO = ProviderSpec(
    "veo", "Veo on Vertex AI", Billing(True, frozenset({"veo", "safety"})), VEO_MODELS
)
# The local animatic renders a draft of any model's scene and bills nothing.
DRAFTS = ProviderSpec("animatic", "Animatic drafts (local)", Billing(False), drafts=True)
BUILT_IN = (DRAFTS, VEO)

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
# "extend": continue the previous scene's selected take with the provider's extension.
CONTINUITY_MODES = ("none", "previous", "extend")
MAX_TITLE_CHARS = 120
MAX_NOTES_CHARS = 4000
MAX_TAKES_PER_JOB = 4


def frame_size(resolution: str, aspect_ratio: str) -> tuple[int, int]:
    """Width and height in pixels, both even, as the models deliver them."""
    short = RESOLUTION_HEIGHTS[resolution]
    long = short * 16 // 9
    return (long, short) if aspect_ratio == "16:9" else (short, long)


class Catalog:
    """The models of the known providers, at list price or as overridden.

    ``prices`` overrides per model and, optionally, per resolution, in USD per second:
    ``{"veo-3.1-generate-001": {"video": 0.18, "audio": 0.35, "4k": {"audio": 0.55}}}``.
    """

    def __init__(
        self,
        providers: Iterable[ProviderSpec] = BUILT_IN,
        prices: Mapping[str, Any] | None = None,
    ) -> None:
        by_name: dict[str, ProviderSpec] = {}
        models: dict[str, ModelSpec] = {}
        for provider in providers:
            if provider.name in by_name:
                raise SettingsError(f"provider {provider.name!r} is registered twice")
            by_name[provider.name] = provider
            for spec in provider.models:
                if spec.name in models:
                    raise SettingsError(f"model {spec.name!r} is offered by two providers")
                models[spec.name] = replace(spec, provider=provider.name)
        for name, override in (prices or {}).items():
            models[name] = _overridden(models, name, override)
        self.providers: Mapping[str, ProviderSpec] = MappingProxyType(by_name)
        self.models: Mapping[str, ModelSpec] = MappingProxyType(models)

    def model(self, name: str) -> ModelSpec:
        try:
            return self.models[name]
        except KeyError:
            raise NotFound(
                f"model {name!r} is not in the catalog; known: {', '.join(self.models)}"
            ) from None

    def provider(self, name: str) -> ProviderSpec:
        try:
            return self.providers[name]
        except KeyError:
            raise NotFound(
                f"provider {name!r} is not known here; known: {', '.join(self.providers)}"
            ) from None

    def backend_for(self, model: str, drafts: bool) -> ProviderSpec:
        """Who generates a scene of ``model``: the local animatic in draft mode, else the
        model's own provider."""
        return self.providers[DRAFTS.name] if drafts else self.provider(self.model(model).provider)

    def estimate(
        self, model: str, resolution: str, seconds: float, takes: int, audio: bool
    ) -> float:
        """Seconds x price (by resolution, with or without sound) x takes."""
        price = self.model(model).price_per_second(resolution, audio)
        return round(price * seconds * takes, 4)

    def label(self, model: str, drafts: bool = False) -> str:
        """A model in words with its price, as pickers and job lists show it: "Veo 3 ·
        $0.20/s (with sound $0.40/s)", "from" the cheapest resolution when they differ, or
        "Animatic draft of Veo 3 · free" for a draft made in its stead."""
        spec = self.models.get(model)
        name = spec.label if spec else model
        if drafts:
            return f"Animatic draft of {name} · free"
        if spec is None:  # a job of a model no longer offered keeps its name
            return name
        cheapest = min(spec.prices.values(), key=lambda p: (p.video, p.audio or 0.0))
        varies = len(set(spec.prices.values())) > 1
        return f"{name} · {'from ' if varies else ''}{price_words(cheapest)}"


def price_words(price: Price) -> str:
    """A price per second in words: "$0.20/s (with sound $0.40/s)"."""
    if price.video == 0 and not price.audio:
        return "free"
    video = f"${price.video:.2f}/s"
    if price.audio is None:
        return f"{video}, no sound"
    if price.audio == price.video:
        return f"{video} with or without sound"
    return f"{video} (with sound ${price.audio:.2f}/s)"


def _overridden(models: Mapping[str, ModelSpec], name: str, override: Any) -> ModelSpec:
    """The model with the prices of ``override``, refused naming VEOGEN_PRICES and the key."""
    where = f"VEOGEN_PRICES: {name}"
    if name not in models:
        raise SettingsError(f"VEOGEN_PRICES: {name!r} is not a model; known: {', '.join(models)}")
    spec = models[name]
    if not isinstance(override, Mapping):
        raise SettingsError(f"{where}: give 'video' and/or 'audio' prices")
    unknown = set(override) - {"video", "audio", *spec.prices}
    if unknown:
        allowed = ", ".join(["video", "audio", *spec.prices])
        raise SettingsError(f"{where}: {', '.join(sorted(unknown))} unknown; allowed: {allowed}")
    every = {k: v for k, v in override.items() if k in ("video", "audio")}
    # Prices for every resolution would make a dearer one (4K) as cheap as the rest: they
    # apply only to resolutions listed at one price; the others need their own.
    shared = [r for r in spec.prices if r not in override]
    if every and len({spec.prices[r] for r in shared}) > 1:
        raise SettingsError(
            f"{where}: {', '.join(shared)} are listed at different prices; "
            f'give each its own, e.g. {{"{shared[-1]}": {{"audio": 0.6}}}}'
        )
    prices = {}
    for resolution, price in spec.prices.items():
        mine = override.get(resolution)
        if mine is not None and (not isinstance(mine, Mapping) or set(mine) - {"video", "audio"}):
            raise SettingsError(f"{where}.{resolution}: give 'video' and/or 'audio' prices")
        wanted = dict(mine) if mine is not None else dict(every)
        for kind, value in wanted.items():
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise SettingsError(f"{where}.{kind}: {value!r} is not a price in USD per second")
        audio = wanted.get("audio", price.audio)
        prices[resolution] = Price(
            float(wanted.get("video", price.video)),
            None if price.audio is None or audio is None else float(audio),
        )
    return replace(spec, prices=MappingProxyType(prices))
