"""A project's status as one report: its scenes with their takes, and its jobs.

The CLI prints it (as text or JSON); media is named by key, as everywhere above the store.
"""

from __future__ import annotations

from typing import Any

from storage import jobs as job_store
from storage import scenes as scene_store
from storage.db import Database
from storage.models import User


def project_status(db: Database, actor: User, project_id: int) -> dict[str, Any]:
    scenes = scene_store.list_scenes(db, actor, project_id)
    takes = scene_store.list_takes(db, actor, project_id)
    jobs = job_store.list_jobs(db, actor, project_id)
    return {
        "project": project_id,
        "scenes": [
            {
                "number": number,
                "id": scene.id,
                "title": scene.title,
                "duration": scene.duration,
                "selected_take": scene.selected_take_id,
                "takes": [
                    {
                        "id": take.id,
                        "media_key": take.media_key,
                        "poster_key": take.poster_key,
                        "backend": take.backend,
                        "draft": take.is_draft,
                        "duration": take.duration,
                        "width": take.width,
                        "height": take.height,
                        "cost_usd": take.cost_usd,
                    }
                    for take in takes
                    if take.scene_id == scene.id
                ],
            }
            for number, scene in enumerate(scenes, 1)
        ],
        "jobs": [
            {
                "id": job.id,
                "kind": str(job.kind),
                "scene_id": job.scene_id,
                "status": str(job.status),
                "backend": job.backend,
                "attempts": job.attempts,
                "error": f"{job.error_stage}: {job.error}" if job.error else None,
                "notice": job.notice,
                "cost_usd": job.reserved_usd,
            }
            for job in jobs
        ],
    }
