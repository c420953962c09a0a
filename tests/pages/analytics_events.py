"""Four jobs' metric events in two projects of the local user (three succeeded, one failed
for quota), for the Analytics page's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import projects
from storage.metrics import MetricsWriter
from storage.users import local_user
from studio.services import Services

MODEL = "veo-3.1-fast-generate-001"


def seed(studio: Services) -> dict[str, int]:
    owner = local_user(studio.db)
    ids = {
        name: projects.create_project(studio.db, owner, {"name": name}, MODEL).id
        for name in ("Harbour lights", "Orchard")
    }
    writer = MetricsWriter(studio.settings.metrics_dir, "test")
    now = datetime.now(UTC)
    jobs = [(101, "Harbour lights", 3.2), (102, "Orchard", 1.0), (103, "Harbour lights", 0.8)]
    for job, name, cost in jobs:
        common = {"job_id": job, "project_id": ids[name], "user_id": owner.id, "model": MODEL,
                  "backend": "veo", "draft": False}  # fmt: skip
        writer.record("queued", ts=now - timedelta(minutes=9), **common)
        writer.record("started", ts=now - timedelta(minutes=8), queue_wait_s=60.0, **common)
        writer.record("succeeded", ts=now - timedelta(minutes=1), render_s=420.0,
                      estimated_cost_usd=cost, billed_usd=cost, takes=1, **common)  # fmt: skip
    writer.record("failed", ts=now - timedelta(minutes=2), job_id=104,
                  project_id=ids["Harbour lights"], user_id=owner.id, model=MODEL, backend="veo",
                  draft=False,
                  error="submit: Veo refused (429 RESOURCE_EXHAUSTED): quota")  # fmt: skip
    writer.flush()
    return ids
