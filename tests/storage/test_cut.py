"""The cut's edits are saved together: every scene's, or none, naming each refusal."""

from __future__ import annotations

import pytest

from storage import cut, projects, scenes
from storage.db import Database
from storage.errors import InvalidInput, NotFound
from storage.models import User
from tests.storage.made_takes import made_take


def test_transitions_are_saved_together_or_not_at_all(db: Database, owner: User) -> None:
    pid = projects.create_project(db, owner, {"name": "Cut"}, "veo-3.1-fast-generate-001").id
    one, two = scenes.add_scenes(
        db, owner, pid, [{"prompt": "a", "duration": 4}, {"prompt": "b", "duration": 4}]
    )
    with pytest.raises(InvalidInput) as refused:
        cut.edit_timeline(
            db,
            owner,
            pid,
            {
                one.id: {"transition": {"kind": "crossfade", "duration": 1}},
                two.id: {"transition": {"kind": "wipe", "duration": 3}},  # over half its 4 s
            },
        )
    assert str(refused.value) == (
        "scene 2 'Scene 2' transition.duration: 3 s is out of range; "
        "allowed: 0.2 to 2 s (at most half of this 4 s scene)"
    )
    assert [s.transition for s in scenes.list_scenes(db, owner, pid)] == ["cut", "cut"]
    cut.edit_timeline(
        db,
        owner,
        pid,
        {one.id: {"transition": "cut"}, two.id: {"transition": {"kind": "wipe", "duration": 2}}},
    )
    assert [(s.transition, s.transition_seconds) for s in scenes.list_scenes(db, owner, pid)] == [
        ("cut", 0.0),
        ("wipe", 2.0),
    ]


def test_the_timeline_is_reordered_trimmed_and_transitioned_in_one_save(
    db: Database, owner: User, stranger: User
) -> None:
    pid = projects.create_project(db, owner, {"name": "Trims"}, "veo-3.1-fast-generate-001").id
    one, two, three = scenes.add_scenes(
        db, owner, pid, [{"prompt": p, "duration": 8} for p in ("a", "b", "c")]
    )
    take = made_take(db, owner, pid, two.id, 8.0)
    scenes.select_take(db, owner, two.id, take.id)
    edits = {
        two.id: {"trim_in": 1.5, "trim_out": 2, "transition": {"kind": "crossfade", "duration": 1}}
    }
    cut.edit_timeline(db, owner, pid, edits, order=[two.id, one.id, three.id])
    ordered = scenes.list_scenes(db, owner, pid)
    assert [s.id for s in ordered] == [two.id, one.id, three.id]
    assert (ordered[0].trim_in, ordered[0].trim_out, ordered[0].transition) == (
        1.5,
        2.0,
        "crossfade",
    )
    assert cut.played_seconds(ordered[0], take) == 4.5

    # a refusal keeps all of it: the order, the trims and the transitions stay as they were
    with pytest.raises(InvalidInput) as refused:
        cut.edit_timeline(
            db,
            owner,
            pid,
            {two.id: {"trim_in": 4, "trim_out": 3.8}, three.id: {"trim_in": 1}},
            order=[one.id, two.id, three.id],
        )
    assert str(refused.value) == (
        "scene 2 'Scene 2' trim: starting 4 s in and ending 3.8 s early would leave less "
        "than 0.5 s of this 8.0 s take; scene 3 'Scene 3' trim: has no take to trim yet; "
        "choose one on the Takes page"
    )
    assert [(s.id, s.trim_in) for s in scenes.list_scenes(db, owner, pid)] == [
        (two.id, 1.5), (one.id, 0.0), (three.id, 0.0)
    ]  # fmt: skip
    with pytest.raises(InvalidInput, match="order: must list every scene"):
        cut.edit_timeline(db, owner, pid, {}, order=[one.id, two.id])
    with pytest.raises(NotFound):  # not a member: the project is not even named
        cut.edit_timeline(db, stranger, pid, {}, order=[one.id, two.id, three.id])

    # another take starts untrimmed: the trims were made on the one before
    other = made_take(db, owner, pid, two.id, 8.0)
    scenes.select_take(db, owner, two.id, other.id)
    assert scenes.get_scene(db, owner, two.id).trim_in == 0.0


def test_a_trim_must_leave_room_for_transitions_and_captions(db: Database, owner: User) -> None:
    pid = projects.create_project(db, owner, {"name": "Room"}, "veo-3.1-fast-generate-001").id
    _, two = scenes.add_scenes(db, owner, pid, [{"prompt": p, "duration": 8} for p in "ab"])
    take = made_take(db, owner, pid, two.id, 8.0)
    scenes.select_take(db, owner, two.id, take.id)
    scenes.update_scene(db, owner, two.id, {"captions": [{"text": "Hello", "start": 6, "end": 7}]})
    cut.edit_timeline(db, owner, pid, {two.id: {"transition": {"kind": "wipe", "duration": 2}}})
    with pytest.raises(InvalidInput) as refused:
        cut.edit_timeline(db, owner, pid, {two.id: {"trim_in": 5.5}})
    assert str(refused.value) == (
        "scene 2 'Scene 2': plays 2.5 s, but its caption 'Hello' ends at 7 s; trim less or "
        "move the caption"
    )
    with pytest.raises(InvalidInput, match=r"plays 1.5 s, less than its transitions in \(2 s\)"):
        scenes.update_scene(db, owner, two.id, {"captions": []})
        cut.edit_timeline(db, owner, pid, {two.id: {"trim_in": 3, "trim_out": 3.5}})
    # trims land on whole frames of the take: a cut between frames would cost the copy
    cut.edit_timeline(db, owner, pid, {two.id: {"trim_in": 0.51}})
    assert scenes.get_scene(db, owner, two.id).trim_in == round(0.51 * 24) / 24
