"""Ready to work: Redis and SQL both answer. The engine's and the studio's ``/readyz``."""

from __future__ import annotations

import redis
from sqlalchemy import text

from engine.redis_server import unreachable
from storage.db import Database
from storage.errors import StudioError


def ready(client: redis.Redis, url: str, db: Database) -> str | None:
    """None when Redis (``client``, at ``url``) and SQL both answer; else what does not."""
    problem = unreachable(client, url)
    if problem:
        return problem
    try:
        with db.session() as s:
            s.execute(text("SELECT 1"))
    except StudioError as exc:
        return str(exc)
    return None
