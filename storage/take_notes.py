"""A take's rating and note: what the team thought of it while comparing takes."""

from __future__ import annotations

from storage import audit
from storage.db import Database
from storage.errors import NotFound
from storage.models import Role, Scene, Take, User
from storage.permissions import require
from storage.scenes import live_take
from storage.validation import MAX_DESCRIPTION_CHARS, Checker

STARS = (1, 5)


def rate_take(db: Database, actor: User, take_id: int, rating: int | None, note: str) -> Take:
    """Set a take's stars (None: not rated) and note; a reviewer may, a viewer may not."""
    with db.session() as s:
        take = live_take(s, take_id)
        scene = s.get(Scene, take.scene_id) if take else None  # from the session: no query
        if take is None or scene is None:
            raise NotFound(f"take {take_id}: no such take")
        project_id = scene.project_id
        require(
            s, actor, project_id, Role.reviewer, "rating takes", f"take {take_id}: no such take"
        )
        check = Checker({"rating": rating, "note": note})
        low, high = STARS
        take.rating = check.integer("rating", low=low, high=high, default=None)
        take.note = check.text("note", limit=MAX_DESCRIPTION_CHARS)
        check.done()
        audit.record(s, actor, "take.rated", project_id, take=take_id, rating=take.rating)
    return take
