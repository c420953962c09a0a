"""Every error the studio, the CLI and the engines raise on purpose, in one family.

Each ``StudioError`` carries a message fit to show a user as it is; nothing else should
reach a user. ``JobCancelled`` is not an error: it is how a cancel stops a running job.
"""

from __future__ import annotations

from dataclasses import dataclass


class StudioError(Exception):
    """Base for every error whose message can be shown to a user as it is."""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidInput(StudioError):
    """One or more fields are out of their limits; nothing was saved."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


class NotFound(StudioError):
    pass


class PermissionDenied(StudioError):
    pass


class Conflict(StudioError):
    """The request is valid but the record is in a state that does not allow it."""


class BudgetExceeded(Conflict):
    """Queueing would spend more than the project's budget has left."""


class SettingsError(StudioError):
    """A setting has a value the studio cannot use; the message names the variable."""


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
