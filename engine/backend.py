"""What runs a job: a provider's generator for a scene's takes, the assembler for a cut.

The worker hands a backend the job's snapshot and a ``JobContext`` and gets typed results
back (``storage.contract``); it picks the backend by the job's kind, and for a generation
by the provider that the job was queued for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from engine.context import JobContext
from storage.contract import CutSnapshot, Generated, NewMovie, SceneSnapshot
from storage.models import Job


@dataclass(frozen=True)
class GenerateJob:
    id: int
    project_id: int
    scene_id: int
    samples: int  # takes asked for
    scene: SceneSnapshot

    @classmethod
    def of(cls, job: Job) -> GenerateJob:
        snapshot = SceneSnapshot.from_params(job.params)
        return cls(job.id, job.project_id, job.scene_id or 0, job.takes, snapshot)


@dataclass(frozen=True)
class RenderJob:
    id: int
    project_id: int
    cut: CutSnapshot

    @classmethod
    def of(cls, job: Job) -> RenderJob:
        return cls(job.id, job.project_id, CutSnapshot.from_params(job.params))


class Generator(Protocol):
    """A provider's backend: makes a scene's takes in the media store."""

    async def generate(self, job: GenerateJob, context: JobContext) -> Generated: ...


class Renderer(Protocol):
    """Makes a project's movie from a cut, in the media store."""

    async def render(self, job: RenderJob, context: JobContext) -> NewMovie: ...
