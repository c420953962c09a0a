"""A take is rated and noted by a reviewer or more, in range, never by a viewer."""

from __future__ import annotations

import pytest

from storage import members, projects, scenes
from storage.db import Database
from storage.errors import InvalidInput, PermissionDenied
from storage.models import Role, User
from storage.take_notes import rate_take
from tests.storage.made_takes import made_take


def test_a_reviewer_rates_and_notes_a_take_in_range(
    db: Database, owner: User, stranger: User
) -> None:
    pid = projects.create_project(db, owner, {"name": "Notes"}, "veo-3.1-fast-generate-001").id
    (scene,) = scenes.add_scenes(db, owner, pid, [{"prompt": "a quay"}])
    take = made_take(db, owner, pid, scene.id, 4.0)
    scenes.select_take(db, owner, scene.id, take.id)  # a scene pointing at it, too
    assert (rate_take(db, owner, take.id, 4, "the light is right").rating, take.id) == (4, take.id)
    with pytest.raises(InvalidInput, match="rating: 6 is out of range; allowed: 1 to 5"):
        rate_take(db, owner, take.id, 6, "")
    members.add_member(db, owner, pid, stranger, Role.viewer)
    with pytest.raises(PermissionDenied, match="rating takes needs reviewer"):
        rate_take(db, stranger, take.id, 2, "")
    members.add_member(db, owner, pid, stranger, Role.reviewer)
    assert rate_take(db, stranger, take.id, None, "").rating is None
    assert [(t.rating, t.note) for t in scenes.list_takes(db, owner, pid)] == [(None, "")]
