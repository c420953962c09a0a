"""Planning scenes with Gemini: a storyboard from a script, and better prompts.

Gemini answers in structured output (``response_schema`` from the pydantic models here),
so a plan arrives as data, is fitted to the project's model, and is shown for editing
before anything is saved. Without credentials, or when Gemini fails, the deterministic
local planner answers instead, and the result says so.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import google.auth.exceptions
import httpx2
from google.genai import errors, types
from pydantic import BaseModel, Field, ValidationError

from storage import catalog
from storage.errors import StudioError
from storage.google import gemini_client
from storage.settings import Settings
from studio.local_planner import improve_locally, plan_locally

PLAN_INSTRUCTIONS = (
    "You are a film director planning shots for Google Veo. Split the script into scenes "
    "that each show one continuous shot. For every scene give a short title, a visual "
    "prompt that describes subject, action, setting, lighting and camera in concrete "
    "terms (no scene numbers; a line of dialogue stays in the scene where it is spoken, "
    'its words in quotes after who says them: Mara says: "Hold on!"), a duration in '
    "seconds, a camera move, whether it continues directly from the previous shot, "
    "continuity notes, and the characters who appear."
)
IMPROVE_INSTRUCTIONS = (
    "Rewrite this Veo video prompt so it is specific about subject, action, setting, "
    "lighting, lens and camera movement, keeping its meaning and characters. Answer with "
    "the prompt only."
)


class PlannedScene(BaseModel):
    title: str = Field(description="a few words")
    visual_prompt: str = Field(description="what the camera sees, concretely")
    duration_seconds: int
    camera: str = Field(description="one of: " + ", ".join(catalog.CAMERA_MOVES))
    continues_previous: bool = Field(description="a direct continuation of the shot before")
    continuity_notes: str = ""
    characters: list[str] = Field(default_factory=list)


class StoryboardPlan(BaseModel):
    scenes: list[PlannedScene]


@dataclass(frozen=True)
class Plan:
    rows: list[dict[str, object]]  # scene fields, ready for ``add_scenes`` after editing
    planner: str  # "gemini" or "local"
    note: str | None = None  # why the local planner answered
    notices: tuple[str, ...] = ()  # what the plan leaves out of the script, for the user


@dataclass(frozen=True)
class Suggestion:
    original: str
    improved: str
    planner: str
    note: str | None = None


# What can go wrong asking Gemini; any of it falls back to the local planner, with the reason.
GEMINI_ERRORS = (
    errors.APIError,
    httpx2.HTTPError,
    google.auth.exceptions.GoogleAuthError,
    StudioError,
    ValidationError,
    ValueError,
)
TIMEOUT_MS = 60_000  # the studio waits this long for a plan before planning locally


NOT_CONFIGURED = "Gemini is not configured (set VEOGEN_GEMINI_API_KEY): planned locally"


def plan_script(settings: Settings, script: str, spec: catalog.ModelSpec) -> Plan:
    if not script.strip():
        return Plan([], "local", "the script is empty")
    try:
        client = gemini_client(settings, timeout_ms=TIMEOUT_MS)
        if client is None:
            return _planned_locally(script, spec, NOT_CONFIGURED + " by paragraphs.")
        response = client.models.generate_content(
            model=settings.gemini_model,
            contents=script,
            config=types.GenerateContentConfig(
                system_instruction=PLAN_INSTRUCTIONS,
                response_mime_type="application/json",
                response_schema=StoryboardPlan,
                temperature=0.4,
            ),
        )
        plan = response.parsed
        if not isinstance(plan, StoryboardPlan):
            plan = StoryboardPlan.model_validate_json(response.text or "")
    except GEMINI_ERRORS as exc:
        note = f"Gemini could not plan it ({_reason(exc)}): planned locally by paragraphs."
        return _planned_locally(script, spec, note)
    rows = [_fitted(scene, spec) for scene in plan.scenes]
    return Plan(rows, "gemini", notices=tuple(_cut_to_limits(rows, spec)))


def _planned_locally(script: str, spec: catalog.ModelSpec, note: str) -> Plan:
    rows, notices = plan_locally(script, spec)
    return Plan(rows, "local", note, tuple(notices))


def _fitted(scene: PlannedScene, spec: catalog.ModelSpec) -> dict[str, object]:
    """Gemini's scene fitted to the model: nearest duration, a known camera move."""
    notes = scene.continuity_notes.strip()
    if scene.characters:
        notes = f"{notes}\nCharacters: {', '.join(scene.characters)}.".strip()
    return {
        "title": scene.title.strip() or "Untitled",
        "prompt": scene.visual_prompt.strip(),
        "duration": min(spec.durations, key=lambda d: (abs(d - scene.duration_seconds), -d)),
        "camera": scene.camera if scene.camera in catalog.CAMERA_MOVES else "static",
        "continuity": "previous" if scene.continues_previous and spec.first_frame else "none",
        "notes": notes,
        "model": spec.name,
    }


def _cut_to_limits(rows: list[dict[str, object]], spec: catalog.ModelSpec) -> list[str]:
    """Cut each field of ``rows`` to what a scene holds, and say what was cut: never quietly."""
    limits = {
        "title": catalog.MAX_TITLE_CHARS,
        "prompt": spec.max_prompt_chars,
        "notes": catalog.MAX_NOTES_CHARS,
    }
    notices = []
    for number, row in enumerate(rows, 1):
        for field, limit in limits.items():
            text = str(row[field])
            if len(text) > limit:
                row[field] = text[:limit]
                notices.append(
                    f"Scene {number}: its {field} was cut to {limit:,} characters; "
                    f"the last {len(text) - limit:,} are not in the plan."
                )
    return notices


def improve_prompt(settings: Settings, prompt: str, style: str, camera: str) -> Suggestion:
    try:
        client = gemini_client(settings, timeout_ms=TIMEOUT_MS)
        if client is None:
            return Suggestion(
                prompt,
                improve_locally(prompt, style, camera),
                "local",
                "Gemini is not configured (set VEOGEN_GEMINI_API_KEY): a local suggestion.",
            )
        response = client.models.generate_content(
            model=settings.gemini_model,
            contents=f"Style: {style}. Camera: {camera}.\nPrompt: {prompt}",
            config=types.GenerateContentConfig(
                system_instruction=IMPROVE_INSTRUCTIONS, temperature=0.6
            ),
        )
        improved = (response.text or "").strip()
        if not improved:
            raise ValueError("an empty answer")
    except GEMINI_ERRORS as exc:
        note = f"Gemini could not improve it ({_reason(exc)}): a local suggestion."
        return Suggestion(prompt, improve_locally(prompt, style, camera), "local", note)
    return Suggestion(prompt, improved, "gemini")


# A word, or a run of punctuation, with the space before it: "tower." and "tower, soft"
# share the word, so a diff shows the stop that changed, never the word twice.
TOKEN = re.compile(r"\s*(?:[^\s.,;:!?]+|[.,;:!?]+)")


def word_diff(original: str, improved: str) -> list[tuple[str, str]]:
    """(kind, text) runs: kind is "same", "removed" or "added"; each run keeps the space
    before it, so the runs but the removed ones, joined, are the improved text."""
    before, after = TOKEN.findall(original.strip()), TOKEN.findall(improved.strip())
    runs: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(
        a=[t.strip() for t in before], b=[t.strip() for t in after], autojunk=False
    )
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            runs.append(("same", "".join(after[b0:b1])))
            continue
        if a1 > a0:
            runs.append(("removed", "".join(before[a0:a1])))
        if b1 > b0:
            runs.append(("added", "".join(after[b0:b1])))
    return runs


def _reason(exc: Exception) -> str:
    if isinstance(exc, errors.APIError):
        return f"{exc.code} {exc.status}: {exc.message}"
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
