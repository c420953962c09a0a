"""Every error the studio, the CLI and the engines raise on purpose, in one family.

Each ``StudioError`` carries a message fit to show a user as it is; nothing else should
reach a user. ``JobCancelled`` is not an error: it is how a cancel stops a running job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class StudioError(Exception):
    """Base for every error whose message can be shown to a user as it is."""

    def in_words(self) -> str:
        """The message as the studio shows it."""
        return str(self)


@dataclass(frozen=True)
class FieldError:
    """A refused field: ``field`` is its path as a storyboard or a caller names it
    ("captions[2].start", list items counted from 1), possibly after the scene it belongs
    to ("scene 2 'Dawn' references"); ``label`` says it in words."""

    field: str
    message: str

    @property
    def label(self) -> str:
        return field_words(self.field)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


# The words the studio's forms use for fields whose names are not words already.
FIELD_WORDS = {
    "first_frame_id": "first frame",
    "last_frame_id": "last frame",
    "extend_take_id": "take to extend",
    "music_id": "music bed",
    "person_generation": "people",
    "generate_audio": "sound",
    "enhance_prompt": "prompt enhancement",
    "references": "ingredients",
}
# Lists whose items are named by what one item is.
ITEM_WORDS = {"captions": "caption line", "scenes": "scene"}
_PATH = re.compile(r"[a-z_]+(\[\d+\])?(\.[a-z_]+(\[\d+\])?)*")


def field_words(field: str) -> str:
    """A field's path in words: "captions[2].start" is "caption line 2 start" and
    "first_frame_id" "first frame". Only the path at the end is turned into words; what
    comes before it ("scene 2 'Dawn'") is words already, and may hold a user's text."""
    scope, _, path = field.rpartition(" ")
    if not _PATH.fullmatch(path):
        return field
    words = " ".join(_step_words(step) for step in path.split("."))
    return f"{scope} {words}".strip()


def _step_words(step: str) -> str:
    name, _, index = step.partition("[")
    if index:
        return f"{ITEM_WORDS.get(name, name.replace('_', ' '))} {index.rstrip(']')}"
    return FIELD_WORDS.get(name, name.replace("_", " "))


class InvalidInput(StudioError):
    """One or more fields are out of their limits; nothing was saved."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))

    def in_words(self) -> str:
        return "; ".join(f"{e.label}: {e.message}" for e in self.errors)


class NotFound(StudioError):
    pass


class PermissionDenied(StudioError):
    pass


class Unreachable(StudioError):
    """A service the studio needs (Redis, for a live review) did not answer."""


class Conflict(StudioError):
    """The request is valid but the record is in a state that does not allow it."""


class BudgetExceeded(Conflict):
    """Queueing would spend more than the project's budget has left."""


class LimitReached(Conflict):
    """Queueing would go past one of the user's own limits (set by an admin)."""


class SettingsError(StudioError):
    """A setting has a value the studio cannot use; the message names the variable."""


class SignInRefused(StudioError):
    """A sign-in that cannot go on: wrong password, too many tries, a disabled user."""


class CredentialsMissing(StudioError):
    """Google credentials were needed and none could be found or used."""


class DatabaseUnavailable(StudioError):
    pass


class QueueUnavailable(StudioError):
    """Redis, which carries jobs to the engines, cannot be reached."""


class StorageFull(StudioError):
    pass


class StoryboardError(StudioError):
    """The file cannot be read as a storyboard; the message names file, line and field."""


class JobFailed(StudioError):
    """A job that cannot succeed; ``stage`` and ``reason`` are shown to the user.

    ``blocked`` marks a refusal by a provider's safety filters rather than a failure.
    """

    def __init__(self, stage: str, reason: str, blocked: bool = False) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason
        self.blocked = blocked


class JobCancelled(Exception):
    """A user cancelled the job while it ran; raised to stop the work where it stands."""


class JobLost(Exception):
    """The job is no longer this engine's (another engine took it over, or it was queued
    again): stop without touching it; its new delivery carries it on."""
