"""The errors the data layer raises; each carries a message fit to show a user."""

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
