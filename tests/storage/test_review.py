"""Review in the data layer: comments at a frame or over a range, with replies, mentions
and drawings; resolving; decisions, and an approval choosing the take."""

from __future__ import annotations

import pytest

from storage import comments, decisions, members, projects, scenes, users
from storage.db import Database
from storage.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from storage.models import Role, User, Verdict
from tests.storage.made_takes import made_take

MODEL = "veo-3.1-fast-generate-001"


def team(db: Database, owner: User) -> tuple[int, int, User, User]:
    """A project with one scene of two 4 s takes (24 fps: frames 0..95), a reviewer and
    a viewer."""
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    (scene,) = scenes.add_scenes(db, owner, pid, [{"title": "Dawn", "prompt": "boats"}])
    made_take(db, owner, pid, scene.id, 4.0)
    rae = users.sign_in(db, "https://idp.example", "rae", "rae@example.com", "Rae Lin")
    vic = users.sign_in(db, "https://idp.example", "vic", "vic@example.com", "Vic")
    members.add_member(db, owner, pid, rae, Role.reviewer)
    members.add_member(db, owner, pid, vic, Role.viewer)
    return pid, scene.id, rae, vic


def test_a_comment_at_a_frame_with_a_drawing_a_reply_and_a_mention(
    db: Database, owner: User
) -> None:
    pid, scene_id, rae, vic = team(db, owner)
    take = made_take(db, owner, pid, scene_id, 4.0)
    box = {"kind": "box", "points": [[0.1, 0.2], [0.5, 0.6]], "color": "#00ff00"}
    said = comments.add_comment(db, rae, take.id, None, "Warmer here, @vic", 48, 72, [box])
    comments.add_comment(db, owner, take.id, None, "<img src=x onerror=alert(1)>", 12)
    comments.reply(db, owner, said.id, "On it @rae")
    threads = comments.list_comments(db, vic, take.id)
    assert [(t.comment.frame, t.comment.author) for t in threads] == [
        (12, "Local creator"),
        (48, "Rae Lin"),
    ]  # in the order they play
    warm = threads[1]
    assert (warm.comment.end_frame, warm.comment.mentions) == (72, ["Vic"])
    assert warm.comment.drawing == [box]
    assert [(r.author, r.body, r.mentions) for r in warm.replies] == [
        ("Local creator", "On it @rae", ["Rae Lin"])
    ]
    assert threads[0].comment.body == "<img src=x onerror=alert(1)>"  # kept as typed: text


def test_bad_comments_are_refused_by_field_and_nothing_is_saved(db: Database, owner: User) -> None:
    pid, scene_id, rae, vic = team(db, owner)
    take = made_take(db, owner, pid, scene_id, 4.0)
    with pytest.raises(InvalidInput) as bad:
        comments.add_comment(
            db, rae, take.id, None, "@nobody look", 96, 10,
            [{"kind": "circle"}, {"kind": "arrow", "points": [[0, 0], [2, 1]]}],
        )  # fmt: skip
    assert bad.value.in_words() == (
        f"frame: 97 is out of range for take {take.id} of 'Dawn'; allowed: 1 to 96; "
        "drawing shape 1: must be one of: free, arrow, box; "
        "drawing shape 2: an arrow needs 2 points, each [x, y] from 0 to 1"
    )  # "@nobody" names no one: text, not a refusal
    with pytest.raises(InvalidInput, match=r"end frame: 11 is not after the frame \(21\)"):
        comments.add_comment(db, rae, take.id, None, "a range", 20, 10)
    with pytest.raises(InvalidInput, match="comment: is required"):
        comments.add_comment(db, rae, take.id, None, "  ", 20)
    with pytest.raises(PermissionDenied, match="Vic is a viewer on 'Harbour'; commenting"):
        comments.add_comment(db, vic, take.id, None, "hm", 20)
    assert comments.list_comments(db, owner, take.id) == []


def test_editors_resolve_and_reviewers_do_not(db: Database, owner: User) -> None:
    pid, scene_id, rae, _ = team(db, owner)
    take = made_take(db, owner, pid, scene_id, 4.0)
    said = comments.add_comment(db, rae, take.id, None, "Too dark", 3)
    with pytest.raises(PermissionDenied, match="resolving comments needs editor"):
        comments.resolve(db, rae, said.id, True)
    comments.resolve(db, owner, said.id, True)
    assert comments.list_comments(db, rae, take.id)[0].comment.resolved_by == "Local creator"
    comments.resolve(db, owner, said.id, False)
    assert comments.list_comments(db, rae, take.id)[0].comment.resolved_by is None
    stranger = users.sign_in(db, "https://idp.example", "eve", "eve@example.com", "Eve")
    with pytest.raises(NotFound, match=f"^comment {said.id}: no such comment$"):
        comments.reply(db, stranger, said.id, "hi")


def test_an_approval_chooses_the_take_and_the_project_shows_its_review(
    db: Database, owner: User
) -> None:
    pid, scene_id, rae, vic = team(db, owner)
    newer = made_take(db, owner, pid, scene_id, 4.0)
    assert scenes.get_scene(db, owner, scene_id).selected_take_id != newer.id
    with pytest.raises(InvalidInput, match="note: is required"):
        decisions.decide(db, rae, newer.id, None, "changes")
    decisions.decide(db, rae, newer.id, None, "changes", "the boat should move")
    assert decisions.review_state(db, vic, pid).scenes_approved == 0
    decisions.decide(db, rae, newer.id, None, Verdict.approved, "lovely")
    assert scenes.get_scene(db, owner, scene_id).selected_take_id == newer.id
    state = decisions.review_state(db, vic, pid)
    assert (state.scenes_approved, state.scenes) == (1, 1)
    assert [(d.verdict, d.who, d.note) for d in decisions.history(db, vic, newer.id)] == [
        (Verdict.approved, "Rae Lin", "lovely"),
        (Verdict.changes, "Rae Lin", "the boat should move"),
    ]
    with pytest.raises(PermissionDenied, match="deciding needs reviewer"):
        decisions.decide(db, vic, newer.id, None, "approved")


def test_a_final_render_waits_for_every_scene_approved_when_the_owner_says_so(
    db: Database, owner: User
) -> None:
    from storage import cut, jobs

    pid, scene_id, rae, _ = team(db, owner)
    draft = cut.create_render_job(db, owner, pid, {"final": True})  # no rule yet: allowed
    jobs.cancel_job(db, owner, draft.id)
    with pytest.raises(PermissionDenied, match="needs owner"):
        decisions.require_approval(db, rae, pid, True)
    decisions.require_approval(db, owner, pid, True)
    with pytest.raises(InvalidInput) as waiting:
        cut.create_render_job(db, owner, pid, {"final": True})
    assert waiting.value.in_words() == (
        "final: a final render needs every scene's take approved by someone other than you; "
        "not yet: 1. Dawn. Ask a reviewer on the Review page, or render a draft"
    )
    cut.create_render_job(db, owner, pid, {})  # a draft is never held back
    take = scenes.get_scene(db, owner, scene_id).selected_take_id
    decisions.decide(db, owner, take, None, "approved")  # one's own approval does not count
    with pytest.raises(InvalidInput, match="approved by someone other than you"):
        cut.create_render_job(db, owner, pid, {"final": True})
    decisions.decide(db, rae, take, None, "approved")
    final = cut.create_render_job(db, owner, pid, {"final": True})
    assert final.params["final"] is True


def test_a_request_becomes_a_new_take_and_the_rounds_tell_the_story(
    db: Database, owner: User
) -> None:
    from storage import jobs, revisions

    pid, scene_id, rae, _ = team(db, owner)
    (take,) = scenes.list_takes(db, owner, pid)
    with pytest.raises(Conflict, match="no changes are requested of it"):
        revisions.revision(db, owner, take.id)
    comments.add_comment(db, rae, take.id, None, "the gull is too big", 10)
    decisions.decide(db, rae, take.id, None, "changes", "the boat should drift left")
    with pytest.raises(PermissionDenied, match="making a new take from notes needs editor"):
        revisions.revision(db, rae, take.id)
    asked = revisions.revision(db, owner, take.id)
    assert asked.requests == ["Rae Lin: the boat should drift left", "Rae Lin: the gull is too big"]
    assert asked.after == "boats Revision: the boat should drift left. the gull is too big."
    (job,) = jobs.create_generation_jobs(
        db, owner, pid, True, [scene_id], once={scene_id: {"prompt": asked.after}}
    )
    assert job.params["prompt"] == asked.after
    assert scenes.get_scene(db, owner, scene_id).prompt == "boats"  # the scene keeps its own
    (first,) = revisions.rounds(db, rae, scene_id)
    assert [(s.verdict, s.who, s.note) for s in first.decisions] == [
        (Verdict.changes, "Rae Lin", "the boat should drift left")
    ]
