"""The cut's transitions are saved together: every scene's, or none, naming each refusal."""

from __future__ import annotations

import pytest

from storage import cut, projects, scenes
from storage.db import Database
from storage.errors import InvalidInput
from storage.models import User


def test_transitions_are_saved_together_or_not_at_all(db: Database, owner: User) -> None:
    pid = projects.create_project(db, owner, {"name": "Cut"}, "veo-3.1-fast-generate-001").id
    one, two = scenes.add_scenes(
        db, owner, pid, [{"prompt": "a", "duration": 4}, {"prompt": "b", "duration": 4}]
    )
    with pytest.raises(InvalidInput) as refused:
        cut.set_transitions(
            db,
            owner,
            pid,
            {
                one.id: {"kind": "crossfade", "duration": 1},
                two.id: {"kind": "wipe", "duration": 3},  # more than half of its 4 s
            },
        )
    assert str(refused.value) == (
        "scene 2 'Scene 2' transition.duration: 3 s is out of range; "
        "allowed: 0.2 to 2 s (at most half of this 4 s scene)"
    )
    assert [s.transition for s in scenes.list_scenes(db, owner, pid)] == ["cut", "cut"]
    cut.set_transitions(db, owner, pid, {one.id: "cut", two.id: {"kind": "wipe", "duration": 2}})
    assert [(s.transition, s.transition_seconds) for s in scenes.list_scenes(db, owner, pid)] == [
        ("cut", 0.0),
        ("wipe", 2.0),
    ]
