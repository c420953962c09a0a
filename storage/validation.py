"""Checking and normalising project and scene fields against the model catalog.

Every caller (studio forms, the CLI, the storyboard importer) hands raw values here, so a
value is refused the same way, with the same message, wherever it comes from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from PIL import ImageColor

from storage import catalog
from storage.errors import FieldError, InvalidInput

SCENE_FIELDS = (
    "title",
    "prompt",
    "negative_prompt",
    "duration",
    "aspect_ratio",
    "resolution",
    "style",
    "camera",
    "seed",
    "notes",
    "continuity",
    "model",
    "takes",
    "person_generation",
    "generate_audio",
    "enhance_prompt",
    "transition",
    "captions",
)
# Uploaded images (asset ids) and an earlier take to extend (a take id): set in the studio,
# not carried by storyboard files.
LINK_FIELDS = ("first_frame_id", "last_frame_id", "extend_take_id")
PROJECT_FIELDS = ("name", "description", "aspect_ratio", "resolution", "style", "model", "budget")
TRANSITIONS = ("cut", "crossfade", "fade_black", "wipe")
TRANSITION_SECONDS = (0.2, 2.0)
MAX_CAPTIONS = 20
MAX_CAPTION_CHARS = 200
CARD_SECONDS = (1.0, 10.0)
MAX_FADE_SECONDS = 10.0
MAX_SEED = 2**32 - 1
MAX_DESCRIPTION_CHARS = 4000


class Checker:
    """Collects every field error of one record before refusing it whole."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.errors: list[FieldError] = []

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def text(self, name: str, *, limit: int, required: bool = False, default: str = "") -> str:
        value = self.raw.get(name)
        if value is None:
            value = default
        if not isinstance(value, str):
            self.fail(name, "must be text")
            return default
        value = value.strip()
        if required and not value:
            self.fail(name, "is required")
        elif len(value) > limit:
            self.fail(name, f"is {len(value)} characters; at most {limit} allowed")
        else:
            self.plain(name, value)
        return value

    def plain(self, name: str, value: str) -> None:
        """Text holds no control characters: PostgreSQL refuses NUL where SQLite keeps it,
        and the same text must be saved, or refused, the same on both."""
        found = CONTROL.search(value)
        if found:
            self.fail(
                name,
                f"contains a control character (U+{ord(found[0]):04X}) at character "
                f"{found.start() + 1}; remove it",
            )

    def choice(self, name: str, allowed: tuple[str, ...], default: str, scope: str = "") -> str:
        value = self.raw.get(name)
        if value is None:
            return default
        value = str(value).strip()
        if value not in allowed:
            where = f" for {scope}" if scope else ""
            self.fail(name, f"{value!r} is not allowed{where}; allowed: {', '.join(allowed)}")
        return value

    def integer(
        self,
        name: str,
        *,
        low: int,
        high: int,
        default: int | None,
        allowed: tuple[int, ...] = (),
        scope: str = "",
    ) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        number = _as_int(value)
        where = f" for {scope}" if scope else ""
        if number is None:
            self.fail(name, f"{value!r} is not a whole number")
        elif allowed and number not in allowed:
            self.fail(
                name,
                f"{value} is not allowed{where}; allowed: {', '.join(str(a) for a in allowed)}",
            )
        elif not allowed and not low <= number <= high:
            self.fail(name, f"{value} is out of range{where}; allowed: {low} to {high}")
        return number

    def amount(self, name: str, *, high: float = math.inf) -> float | None:
        """An amount in USD, zero or more; None when empty (no limit)."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(name, f"{value!r} is not an amount in USD")
            return None
        if not math.isfinite(number) or not 0 <= number <= high:
            upto = "zero or more" if math.isinf(high) else f"from 0 to {high:,.0f}"
            self.fail(name, f"must be a finite amount, {upto} (USD)")
            return None
        return number

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        self.fail(name, f"{value!r} is not true or false")
        return default

    def done(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


# Control characters other than tab and line breaks.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+(\.0*)?", value.strip()):
        return int(float(value.strip()))  # "8" and "8.0", as a form or a storyboard gives them
    return None


def _unknown_keys(raw: Mapping[str, Any], known: tuple[str, ...], check: Checker) -> None:
    for key in raw:
        if key not in known:
            check.fail(str(key), f"is not a known field; known fields: {', '.join(known)}")


def clean_project(
    raw: Mapping[str, Any], default_model: str, models: catalog.Catalog
) -> dict[str, Any]:
    """Validated project fields, or ``InvalidInput`` naming each bad one."""
    check = Checker(raw)
    _unknown_keys(raw, PROJECT_FIELDS, check)
    model = check.choice("model", tuple(models.models), default_model)
    spec = models.models.get(model) or models.model(default_model)
    cleaned = {
        "name": check.text("name", limit=catalog.MAX_TITLE_CHARS, required=True),
        "description": check.text("description", limit=MAX_DESCRIPTION_CHARS),
        "model": model,
        "aspect_ratio": check.choice(
            "aspect_ratio", spec.aspect_ratios, spec.aspect_ratios[0], spec.label
        ),
        "resolution": check.choice("resolution", spec.resolutions, spec.resolutions[0], spec.label),
        "style": check.choice("style", catalog.STYLES, "cinematic"),
        "budget_usd": check.amount("budget"),
    }
    check.done()
    return cleaned


def clean_scene(
    raw: Mapping[str, Any], defaults: Mapping[str, Any], models: catalog.Catalog
) -> dict[str, Any]:
    """Validated scene fields; a missing field takes its value from ``defaults``.

    ``defaults`` holds the project's defaults, or the scene's current values on an edit.
    """
    check = Checker(raw)
    _unknown_keys(raw, SCENE_FIELDS + LINK_FIELDS, check)
    model = check.choice("model", tuple(models.models), defaults["model"])
    spec = models.models.get(model) or models.model(defaults["model"])
    limit = spec.max_prompt_chars

    def pick(name: str, allowed: tuple[str, ...], fallback: str) -> str:
        inherited = defaults.get(name)
        return check.choice(
            name, allowed, inherited if inherited in allowed else fallback, spec.label
        )

    cleaned: dict[str, Any] = {
        "title": check.text(
            "title", limit=catalog.MAX_TITLE_CHARS, default=defaults.get("title", "")
        ),
        "prompt": check.text(
            "prompt", limit=limit, required=True, default=defaults.get("prompt", "")
        ),
        "negative_prompt": check.text(
            "negative_prompt", limit=limit, default=defaults.get("negative_prompt", "")
        ),
        "model": model,
        "duration": check.integer(
            "duration",
            low=0,
            high=0,
            allowed=spec.durations,
            scope=spec.label,
            default=_closest(defaults.get("duration"), spec.durations),
        ),
        "aspect_ratio": pick("aspect_ratio", spec.aspect_ratios, spec.aspect_ratios[0]),
        "resolution": pick("resolution", spec.resolutions, spec.resolutions[0]),
        "style": check.choice("style", catalog.STYLES, defaults.get("style", "cinematic")),
        "camera": check.choice("camera", catalog.CAMERA_MOVES, defaults.get("camera", "static")),
        "seed": check.integer("seed", low=0, high=MAX_SEED, default=defaults.get("seed")),
        "notes": check.text(
            "notes", limit=catalog.MAX_NOTES_CHARS, default=defaults.get("notes", "")
        ),
        "continuity": check.choice(
            "continuity", catalog.CONTINUITY_MODES, defaults.get("continuity", "none")
        ),
        "takes": check.integer(
            "takes",
            low=1,
            high=spec.max_samples,
            default=defaults.get("takes", 1),
            scope=spec.label,
        ),
        "person_generation": check.choice(
            "person_generation",
            catalog.PERSON_GENERATION,
            defaults.get("person_generation", catalog.PERSON_GENERATION[0]),
        ),
        # An inherited "with sound" quietly drops on a silent model; an explicit one is refused.
        "generate_audio": check.flag(
            "generate_audio", spec.audio and bool(defaults.get("generate_audio", True))
        ),
        "enhance_prompt": check.flag("enhance_prompt", defaults.get("enhance_prompt", True)),
    }
    seconds = cleaned["duration"] or max(spec.durations)
    cleaned["transition"], cleaned["transition_seconds"] = clean_transition(
        check, raw.get("transition", defaults.get("transition")), seconds
    )
    cleaned["captions"] = clean_captions(
        check, raw.get("captions", defaults.get("captions")), seconds
    )
    for name in LINK_FIELDS:
        cleaned[name] = check.integer(name, low=1, high=2**31 - 1, default=defaults.get(name))
    _check_features(cleaned, spec, check)
    check.done()
    return cleaned


def _check_features(scene: dict[str, Any], spec: catalog.ModelSpec, check: Checker) -> None:
    """Options the scene's model cannot honour, each named with what the model does offer."""
    offers = ", ".join(spec.features()) or "a prompt only"
    if scene["generate_audio"] and not spec.audio:
        check.fail("generate_audio", f"{spec.label} makes no sound; it offers: {offers}")
    if scene["first_frame_id"] and not spec.first_frame:
        check.fail("first_frame_id", f"{spec.label} takes no first frame; it offers: {offers}")
    if scene["last_frame_id"] and not spec.last_frame:
        check.fail("last_frame_id", f"{spec.label} takes no last frame; it offers: {offers}")
    if scene["continuity"] == "extend" and not spec.extension:
        check.fail("continuity", f"{spec.label} cannot extend a take; it offers: {offers}")
    if scene["continuity"] == "previous" and not spec.first_frame:
        check.fail("continuity", f"{spec.label} cannot start from a frame; it offers: {offers}")
    if scene["extend_take_id"]:
        if not spec.extension:
            check.fail("extend_take_id", f"{spec.label} cannot extend a take; it offers: {offers}")
        if scene["first_frame_id"] or scene["continuity"] != "none":
            check.fail(
                "extend_take_id",
                "a scene that extends a take starts from that take; remove the first frame "
                "and set continuity to 'none'",
            )
    if scene["first_frame_id"] and scene["continuity"] in ("previous", "extend"):
        check.fail(
            "first_frame_id",
            f"a scene with continuity {scene['continuity']!r} starts from the previous scene; "
            "remove the first frame or set continuity to 'none'",
        )
    if scene["last_frame_id"] and not (
        scene["first_frame_id"] or scene["continuity"] == "previous"
    ):
        check.fail(
            "last_frame_id",
            "a last frame needs a first frame (upload one, or continue from the previous scene)",
        )


def _closest(value: Any, allowed: tuple[int, ...]) -> int:
    """A default duration the model accepts: the inherited one, or the nearest allowed."""
    number = _as_int(value) if value is not None else None
    if number is None:
        return max(allowed)
    return min(allowed, key=lambda a: (abs(a - number), -a))


def require_takes(value: Any, spec: catalog.ModelSpec) -> int:
    check = Checker({"takes": value})
    takes = check.integer("takes", low=1, high=spec.max_samples, default=1, scope=spec.label)
    check.done()
    assert takes is not None
    return takes


def _number(check: Checker, name: str, value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        check.fail(name, f"{value!r} is not a number of seconds")
        return None
    try:
        seconds = float(value)
    except ValueError:
        check.fail(name, f"{value!r} is not a number of seconds")
        return None
    if not math.isfinite(seconds):
        check.fail(name, f"{value!r} is not a finite number of seconds")
        return None
    return seconds


def clean_transition(check: Checker, value: Any, scene_seconds: float) -> tuple[str, float]:
    """``cut``, or ``{kind, duration}``: how the scene cuts in from the one before."""
    if value is None or value == "":
        return "cut", 0.0
    if isinstance(value, str):
        value = {"kind": value}
    if not isinstance(value, Mapping):
        check.fail("transition", "must be a kind, or {kind, duration}")
        return "cut", 0.0
    kind = str(value.get("kind") or "cut")
    if kind not in TRANSITIONS:
        check.fail("transition", f"{kind!r} is not allowed; allowed: {', '.join(TRANSITIONS)}")
        return "cut", 0.0
    if kind == "cut":
        return "cut", 0.0
    low, high = TRANSITION_SECONDS
    seconds = _number(check, "transition.duration", value.get("duration", 0.5))
    if seconds is None:
        return kind, 0.0
    limit = min(high, scene_seconds / 2)
    if not low <= seconds <= limit:
        check.fail(
            "transition.duration",
            f"{seconds:g} s is out of range; allowed: {low:g} to {limit:g} s "
            f"(at most half of this {scene_seconds:g} s scene)",
        )
    return kind, seconds


MIN_CLIP_SECONDS = 0.5  # what trims must leave of a take


def clean_trims(
    check: Checker, trim_in: Any, trim_out: Any, take_seconds: float, fps: float
) -> tuple[float, float] | None:
    """Seconds of a take left out at its start and at its end, on whole frames of the take
    (a cut between frames would only cost smart rendering its copy); None when refused."""
    start, end = _number(check, "trim_in", trim_in), _number(check, "trim_out", trim_out)
    if start is None or end is None:
        return None
    if start < 0 or end < 0:
        check.fail("trim", "cannot be negative")
        return None
    if take_seconds - start - end < MIN_CLIP_SECONDS - 1e-6:
        check.fail(
            "trim",
            f"starting {start:g} s in and ending {end:g} s early would leave less than "
            f"{MIN_CLIP_SECONDS:g} s of this {take_seconds:.1f} s take",
        )
        return None
    return round(start * fps) / fps, round(end * fps) / fps


def clean_captions(check: Checker, value: Any, scene_seconds: float) -> list[dict[str, Any]]:
    """``[{text, start, end}]`` in seconds into the scene, in order, inside the scene."""
    if not value:
        return []
    if not isinstance(value, list):
        check.fail("captions", "must be a list of {text, start, end}")
        return []
    if len(value) > MAX_CAPTIONS:
        check.fail("captions", f"{len(value)} captions; at most {MAX_CAPTIONS} a scene")
    cleaned = []
    for number, item in enumerate(value[:MAX_CAPTIONS], 1):
        name = f"captions[{number}]"
        if not isinstance(item, Mapping):
            check.fail(name, "must be {text, start, end}")
            continue
        text = str(item.get("text") or "").strip()
        start = _number(check, f"{name}.start", item.get("start", 0))
        end = _number(check, f"{name}.end", item.get("end", scene_seconds))
        if not text:
            check.fail(f"{name}.text", "is required")
        elif len(text) > MAX_CAPTION_CHARS:
            check.fail(f"{name}.text", f"is {len(text)} characters; at most {MAX_CAPTION_CHARS}")
        else:
            check.plain(f"{name}.text", text)
        if start is not None and end is not None and not 0 <= start < end <= scene_seconds:
            check.fail(
                name, f"{start:g}-{end:g} s must lie within the scene (0 to {scene_seconds:g} s)"
            )
        cleaned.append({"text": text, "start": start, "end": end})
    return cleaned


def clean_card(check: Checker, name: str, value: Any) -> dict[str, Any] | None:
    """A title or end card: ``{text, duration, background}``, or nothing."""
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, str):
        value = {"text": value}
    if not isinstance(value, Mapping):
        check.fail(name, "must be {text, duration, background}")
        return None
    text = str(value.get("text") or "").strip()
    if not text:
        check.fail(f"{name}.text", "is required")
    elif len(text) > catalog.MAX_TITLE_CHARS:
        check.fail(f"{name}.text", f"is {len(text)} characters; at most {catalog.MAX_TITLE_CHARS}")
    else:
        check.plain(f"{name}.text", text)
    low, high = CARD_SECONDS
    seconds = _number(check, f"{name}.duration", value.get("duration", 3))
    if seconds is not None and not low <= seconds <= high:
        check.fail(
            f"{name}.duration", f"{seconds:g} s is out of range; allowed: {low:g} to {high:g} s"
        )
    background = str(value.get("background") or "#000000")
    try:  # kept as #rrggbb, whatever was given: the colour picker shows only that form
        background = "#{:02x}{:02x}{:02x}".format(*ImageColor.getrgb(background)[:3])
    except ValueError:
        check.fail(f"{name}.background", f"{background!r} is not a colour (#rrggbb or a name)")
    return {"text": text, "duration": seconds, "background": background}


def clean_fade(check: Checker, name: str, value: Any, default: float) -> float:
    if value is None or value == "":
        return default
    seconds = _number(check, name, value)
    if seconds is not None and not 0 <= seconds <= MAX_FADE_SECONDS:
        check.fail(name, f"{seconds:g} s is out of range; allowed: 0 to {MAX_FADE_SECONDS:g} s")
    return default if seconds is None else seconds
