"""What every generation backend implements, and how it reports progress and failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from storage.media import MediaStore
from storage.models import Job, JobStatus


class JobCancelled(Exception):
    """The user cancelled the job while it ran."""


class BackendError(Exception):
    """A generation that cannot succeed; ``stage`` and ``reason`` are shown to the user."""

    def __init__(self, stage: str, reason: str, status: JobStatus = JobStatus.failed) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason
        self.status = status


@dataclass
class JobProgress:
    """Written by the backend (from any thread), published to Redis by the worker."""

    fraction: float = 0.0
    stage: str = "starting"
    cancelled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def update(self, fraction: float, stage: str | None = None) -> None:
        if self.cancelled:
            raise JobCancelled()
        self.fraction = max(self.fraction, min(1.0, fraction))
        if stage:
            self.stage = stage


@dataclass
class Outcome:
    """What a job produced: each take's SQL fields (a generation) or a movie's (a render),
    and what it could not produce."""

    takes: list[dict[str, Any]]
    notice: str | None = None
    movie: dict[str, Any] | None = None

    def files(self) -> list[str]:
        """The media keys it wrote, to remove if the job turns out cancelled."""
        keys = [t[k] for t in self.takes for k in ("media_key", "poster_key") if t.get(k)]
        if self.movie:
            keys += [v for k, v in self.movie.items() if k.endswith("_key")]
        return keys

    @property
    def seconds(self) -> float:
        return self.movie["duration"] if self.movie else sum(t["duration"] for t in self.takes)

    @property
    def bytes(self) -> int:
        return self.movie["bytes"] if self.movie else sum(t["bytes"] for t in self.takes)


class Backend(Protocol):
    name: str

    async def generate(self, job: Job, media: MediaStore, progress: JobProgress) -> Outcome:
        """Produce the job's takes in the media store."""
        ...
