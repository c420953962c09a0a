"""The Review page through AppTest: a take commented at the frame the player shows, a
reply, a decision that chooses the take; a viewer reads and is offered nothing to say."""

from __future__ import annotations

from storage import comments, decisions, jobs, members, scenes, users
from storage.models import Role, Scene, Take, User
from storage.users import local_user
from studio.services import Services
from studio.ui import plain
from tests.clips import mp4_bytes
from tests.pages.test_pages import page, seeded
from tests.storage.made_takes import made_take


def a_take(studio: Services) -> tuple[int, User, Scene, Take]:
    """The seeded project's scene with a take of 4 s that plays (a real MP4)."""
    pid = seeded(studio)
    owner = local_user(studio.db)
    (scene,) = scenes.list_scenes(studio.db, owner, pid)
    take = made_take(studio.db, owner, pid, scene.id, 4.0)
    studio.media.write(take.media_key, mp4_bytes(4.0))
    return pid, owner, scene, take


def member(studio: Services, pid: int, handle: str, role: Role) -> User:
    person = users.sign_in(
        studio.db, "https://idp.example", handle, f"{handle}@example.com", handle.title()
    )
    members.add_member(studio.db, local_user(studio.db), pid, person, role)
    return person


def test_a_reviewer_comments_replies_and_approves(studio: Services) -> None:
    pid, owner, scene, take = a_take(studio)
    rae = member(studio, pid, "rae", Role.reviewer)

    app = page("review", pid, as_user=rae)
    assert not app.exception
    assert app.caption[1].value == plain("0 of 1 scene(s) approved · the cut: not reviewed yet")
    assert len(app.get("bidi_component")) == 1  # the player
    app.text_area[0].input("Warmer light here, @local")
    next(b for b in app.button if b.label == "Comment").click().run()
    assert app.success[0].value == plain("Comment added at frame 1")
    (thread,) = comments.list_comments(studio.db, rae, take.id)
    assert (thread.comment.frame, thread.comment.mentions) == (0, ["Local creator"])
    assert "Warmer light here, @local" in [t.value for t in app.text]
    next(b for b in app.button if b.label == "Approve").click().run()
    assert app.success[0].value == plain(
        "Take 1: approved (it is now the scene's take in the movie)"
    )
    assert scenes.get_scene(studio.db, owner, scene.id).selected_take_id == take.id


def test_a_viewer_reads_and_is_told_why_not(studio: Services) -> None:
    pid, owner, _, take = a_take(studio)
    comments.add_comment(studio.db, owner, take.id, None, "![x](http://127.0.0.1:9/p.png)", 5)
    vic = member(studio, pid, "vic", Role.viewer)
    app = page("review", pid, as_user=vic)
    assert not app.exception
    assert "![x](http://127.0.0.1:9/p.png)" in [t.value for t in app.text]  # text, not an image
    assert not [b for b in app.button if b.label in ("Comment", "Approve", "Resolve", "Reply")]
    assert any("commenting needs a reviewer" in c.value for c in app.caption)


def test_an_editor_makes_a_new_take_from_the_requests_and_a_reviewer_cannot(
    studio: Services,
) -> None:
    pid, owner, _, take = a_take(studio)
    rae = member(studio, pid, "rae", Role.reviewer)
    decisions.decide(studio.db, rae, take.id, None, "changes", "Make it dusk")
    seen = page("review", pid, as_user=rae)
    assert not [b for b in seen.button if b.label.startswith("Make the new take")]
    assert any("making a new take from the notes needs an editor" in c.value for c in seen.caption)
    app = page("review", pid)
    button = next(b for b in app.button if b.label.startswith("Make the new take"))
    assert button.label == "Make the new take · free draft"
    button.click().run()
    assert app.success[0].value == "Queued a new take with the requested changes"
    (job,) = [j for j in jobs.list_jobs(studio.db, owner, pid) if j.status == "queued"]
    assert job.params["prompt"] == "a sunrise Revision: Make it dusk."
