"""Checking and normalising project and scene fields against the model catalog.

Every caller (studio forms, the CLI, the storyboard importer) hands raw values here, so a
value is refused the same way, with the same message, wherever it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
)
PROJECT_FIELDS = ("name", "description", "aspect_ratio", "resolution", "style", "model", "budget")
MAX_SEED = 2**32 - 1
MAX_DESCRIPTION_CHARS = 4000


class _Checker:
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
        return value

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

    def done(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _unknown_keys(raw: Mapping[str, Any], known: tuple[str, ...], check: _Checker) -> None:
    for key in raw:
        if key not in known:
            check.fail(str(key), f"is not a known field; known fields: {', '.join(known)}")


def clean_project(raw: Mapping[str, Any], default_model: str) -> dict[str, Any]:
    """Validated project fields, or ``InvalidInput`` naming each bad one."""
    check = _Checker(raw)
    _unknown_keys(raw, PROJECT_FIELDS, check)
    model = check.choice("model", tuple(catalog.MODELS), default_model)
    spec = catalog.MODELS.get(model, catalog.MODELS[default_model])
    budget = raw.get("budget")
    if budget is not None and budget != "":
        try:
            budget = float(budget)
            if budget < 0:
                check.fail("budget", "must be zero or more (USD)")
        except (TypeError, ValueError):
            check.fail("budget", f"{budget!r} is not an amount in USD")
            budget = None
    else:
        budget = None
    cleaned = {
        "name": check.text("name", limit=catalog.MAX_TITLE_CHARS, required=True),
        "description": check.text("description", limit=MAX_DESCRIPTION_CHARS),
        "model": model,
        "aspect_ratio": check.choice(
            "aspect_ratio", spec.aspect_ratios, spec.aspect_ratios[0], spec.label
        ),
        "resolution": check.choice("resolution", spec.resolutions, spec.resolutions[0], spec.label),
        "style": check.choice("style", catalog.STYLES, "cinematic"),
        "budget_usd": budget,
    }
    check.done()
    return cleaned


def clean_scene(raw: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Validated scene fields; a missing field takes its value from ``defaults``.

    ``defaults`` holds the project's defaults, or the scene's current values on an edit.
    """
    check = _Checker(raw)
    _unknown_keys(raw, SCENE_FIELDS, check)
    model = check.choice("model", tuple(catalog.MODELS), defaults["model"])
    spec = catalog.MODELS.get(model, catalog.MODELS[defaults["model"]])
    limit = spec.max_prompt_chars

    def pick(name: str, allowed: tuple[str, ...], fallback: str) -> str:
        inherited = defaults.get(name)
        return check.choice(
            name, allowed, inherited if inherited in allowed else fallback, spec.label
        )

    cleaned = {
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
    }
    check.done()
    return cleaned


def _closest(value: Any, allowed: tuple[int, ...]) -> int:
    """A default duration the model accepts: the inherited one, or the nearest allowed."""
    number = _as_int(value) if value is not None else None
    if number is None:
        return max(allowed)
    return min(allowed, key=lambda a: (abs(a - number), -a))


def require_takes(value: Any, model: str) -> int:
    check = _Checker({"takes": value})
    spec = catalog.MODELS[model]
    takes = check.integer("takes", low=1, high=spec.max_samples, default=1, scope=spec.label)
    check.done()
    assert takes is not None
    return takes
