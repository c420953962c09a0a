"""Review sessions in the data layer: an ordered set of items in a window, guest links
that reach only their session's items (and stop when revoked, expired or closed), and the
report of what was said through it, kept as it was when it closed."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select, update

from storage import (
    accounts,
    comments,
    decisions,
    guests,
    inbox,
    projects,
    review_sessions,
    scenes,
    trash,
)
from storage.db import Database
from storage.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from storage.media import LocalMediaStore
from storage.models import ReviewSession, Scene, User, Verdict, utcnow
from tests.storage.made_takes import made_take
from tests.storage.test_review import MODEL, team


def a_session(db: Database, owner: User, passphrase: str = "") -> tuple[int, int, int, User]:
    """A session of two takes of a three-take scene (the third stays out of it)."""
    pid, scene_id, rae, _ = team(db, owner)
    one = made_take(db, owner, pid, scene_id, 2.0)
    two = made_take(db, owner, pid, scene_id, 2.0)
    now = utcnow()
    session = review_sessions.create_session(
        db, owner, pid, "Dailies", [(two.id, None), (one.id, None)],
        now - timedelta(minutes=1), now + timedelta(days=1), passphrase,
    )  # fmt: skip
    return session.id, two.id, one.id, rae


def test_a_session_keeps_its_order_and_tells_the_team(db: Database, owner: User) -> None:
    session_id, first, second, rae = a_session(db, owner)
    view = review_sessions.open_session(db, rae, session_id)
    assert [i.item.take_id for i in view.items] == [first, second]
    assert view.state == "open" and not view.passphrase
    assert (
        "set up the review session 'Dailies' (2 item(s)), open now" in inbox.inbox(db, rae)[0].text
    )
    review_sessions.reorder(db, owner, session_id, [(second, None)])
    assert [i.item.take_id for i in review_sessions.open_session(db, rae, session_id).items] == [
        second
    ]


def test_bad_sessions_are_refused_by_field(db: Database, owner: User, stranger: User) -> None:
    session_id, first, _, rae = a_session(db, owner)
    pid = review_sessions.open_session(db, owner, session_id).project_id
    now = utcnow()
    with pytest.raises(InvalidInput) as bad:
        review_sessions.create_session(
            db, owner, pid, "", [(first, None), (first, None)], now, now - timedelta(hours=1), "abc"
        )
    said = str(bad.value)
    for words in ("name: is required", "closes: must be after it opens",
                  "passphrase: must be at least 6", "items: an item is picked twice"):  # fmt: skip
        assert words in said
    with pytest.raises(PermissionDenied, match="needs editor"):
        review_sessions.create_session(
            db, rae, pid, "Mine", [(first, None)], now, now + timedelta(1)
        )
    with pytest.raises(NotFound, match="no such session"):
        review_sessions.open_session(db, stranger, session_id)
    other = projects.create_project(db, owner, {"name": "Other"}, MODEL).id
    with pytest.raises(NotFound, match="no such item in this project"):
        review_sessions.create_session(
            db, owner, other, "X", [(first, None)], now, now + timedelta(1)
        )


def test_a_guest_reaches_only_the_sessions_items(db: Database, owner: User) -> None:
    session_id, first, _, _ = a_session(db, owner, passphrase="harbour lights")
    view = review_sessions.open_session(db, owner, session_id)
    outside = made_take(db, owner, view.project_id, view.items[0].item.scene_id or 0, 2.0)
    link = review_sessions.add_link(
        db, owner, session_id, "The client", utcnow() + timedelta(days=2)
    )
    with pytest.raises(PermissionDenied, match="passphrase"):
        guests.enter(db, link.token, "Dana", "wrong one")
    with pytest.raises(NotFound, match="not valid"):
        guests.enter(db, altered(link.token), "Dana", "harbour lights")
    dana = guests.enter(db, link.token, "Dana", "harbour lights")
    assert dana.name == "Dana (guest)"
    back = guests.pass_for(db, dana)
    assert getattr(guests.returning(db, link.token, back), "id", None) == dana.id
    other = review_sessions.add_link(db, owner, session_id, "Else", utcnow() + timedelta(days=1))
    for wrong in (altered(back), f"{owner.id}.{back.split('.')[1]}"):
        assert guests.returning(db, link.token, wrong) is None
    assert guests.returning(db, other.token, back) is None  # another link's pass
    comments.add_comment(db, dana, first, None, "Lovely light", 10)
    decisions.decide(db, dana, first, None, Verdict.approved)
    assert review_sessions.open_session(db, dana, session_id).items[0].item.take_id == first
    with pytest.raises(NotFound, match="no such take"):
        comments.add_comment(db, dana, outside.id, None, "and this?", 1)
    with pytest.raises(NotFound):
        scenes.list_scenes(db, dana, view.project_id)  # nothing else of the project
    with pytest.raises(PermissionDenied, match="needs editor"):
        comments.resolve(db, dana, comments.list_comments(db, owner, first)[0].comment.id, True)
    assert [(r.who, r.kind) for r in review_sessions.said_in(db, owner, session_id).said] == [
        ("Dana (guest)", "comment"), ("Dana (guest)", "approved"),
    ]  # fmt: skip


def test_a_guest_link_stops_when_revoked_expired_or_closed(
    db: Database, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id, first, _, _ = a_session(db, owner)
    soon = utcnow() + timedelta(hours=1)
    link = review_sessions.add_link(db, owner, session_id, "Agency", soon)
    dana = guests.enter(db, link.token, "Dana")
    comments.add_comment(db, dana, first, None, "ok", 1)
    monkeypatch.setattr(guests, "utcnow", lambda: soon + timedelta(seconds=1))  # the clock moves
    with pytest.raises(PermissionDenied, match="expired"):
        comments.add_comment(db, dana, first, None, "still here?", 1)
    assert "expired" in (guests.open_link(db, link.token)[1] or "")  # what the page says
    monkeypatch.undo()
    other = review_sessions.add_link(db, owner, session_id, "Studio B", utcnow() + timedelta(1))
    ben = guests.enter(db, other.token, "Ben")
    review_sessions.revoke_link(db, owner, other.id)
    with pytest.raises(PermissionDenied, match="revoked"):
        decisions.decide(db, ben, first, None, Verdict.approved)
    third = review_sessions.add_link(db, owner, session_id, "Late", utcnow() + timedelta(1))
    review_sessions.close_session(db, owner, session_id)
    with pytest.raises(PermissionDenied, match="has closed"):
        guests.enter(db, third.token, "Cy")
    assert [(x.label, x.guests) for x in review_sessions.list_links(db, owner, session_id)] == [
        ("Agency", 1), ("Studio B", 1), ("Late", 0),
    ]  # fmt: skip


def test_going_live_tells_the_team_once(db: Database, owner: User) -> None:
    session_id, _, _, rae = a_session(db, owner)
    assert review_sessions.go_live(db, owner, session_id)
    assert not review_sessions.go_live(db, owner, session_id)
    told = [e.text for e in inbox.inbox(db, rae) if "live review" in e.text]
    assert told == ["Local creator started the live review 'Dailies': join it from Sessions"]
    with pytest.raises(PermissionDenied, match="needs editor"):
        review_sessions.go_live(db, rae, session_id)


def test_the_report_is_what_was_said_in_the_session_and_kept_when_it_closes(
    db: Database, owner: User, tmp_path: Path
) -> None:
    session_id, first, second, rae = a_session(db, owner)
    said = comments.add_comment(db, rae, first, None, "In the session", 5, 9, None, session_id)
    comments.add_comment(db, rae, first, None, "On the Review page, meanwhile", 6)
    comments.reply(db, owner, said.id, "Agreed", session_id)
    decisions.decide(db, owner, second, None, Verdict.changes, "Slower", session_id)
    decisions.decide(db, owner, second, None, Verdict.rejected, "Elsewhere")
    so_far = review_sessions.said_in(db, rae, session_id)
    assert not so_far.final and [i.label for i in so_far.items] == [
        "1. Dawn · take 3", "1. Dawn · take 2",
    ]  # fmt: skip
    rows = [(x.position, x.kind, x.who, x.text, x.frame, x.end_frame) for x in so_far.said]
    assert rows == [
        (1, "comment", "Rae Lin", "In the session", 5, 9),
        (1, "reply", "Local creator", "Agreed", None, None),
        (2, "changes requested", "Local creator", "Slower", None, None),
    ]
    review_sessions.close_session(db, owner, session_id)
    with pytest.raises(PermissionDenied, match="'Dailies' has closed"):
        comments.add_comment(db, rae, first, None, "After it closed", 6, None, None, session_id)
    comments.add_comment(db, rae, first, None, "After it closed, elsewhere", 6)
    closed = review_sessions.said_in(db, rae, session_id)
    assert closed.final and closed.said == so_far.said
    with pytest.raises(PermissionDenied, match="is closed"):
        review_sessions.add_link(db, owner, session_id, "x", datetime.now() + timedelta(1))

    # its scene deleted, then removed for good with its takes and what was said of them:
    # the closed session's report is as it was
    scene_id = review_sessions.open_session(db, owner, session_id).items[0].item.scene_id or 0
    scenes.delete_scene(db, LocalMediaStore(tmp_path), owner, scene_id)
    with db.session() as s:
        s.execute(update(Scene).values(deleted_at=utcnow() - timedelta(days=2)))
    trash.empty_trash(db, LocalMediaStore(tmp_path))
    assert review_sessions.open_session(db, owner, session_id).items == []
    assert review_sessions.said_in(db, rae, session_id) == closed


def test_what_is_said_in_a_session_is_about_its_items_while_it_is_open(
    db: Database, owner: User
) -> None:
    session_id, first, _, rae = a_session(db, owner)
    view = review_sessions.open_session(db, owner, session_id)
    outside = made_take(db, owner, view.project_id, view.items[0].item.scene_id or 0, 2.0)
    with pytest.raises(Conflict) as refused:
        decisions.decide(db, rae, outside.id, None, Verdict.approved, "", session_id)
    assert str(refused.value) == (
        f"take {outside.id} of 'Dawn' is not one of the items of the review session 'Dailies'"
    )
    other = projects.create_project(db, owner, {"name": "Other"}, MODEL).id
    (scene,) = scenes.add_scenes(db, owner, other, [{"title": "Elsewhere", "prompt": "x"}])
    theirs = made_take(db, owner, other, scene.id, 2.0)
    later = review_sessions.create_session(
        db, owner, other, "Later", [(theirs.id, None)], utcnow() + timedelta(hours=1),
        utcnow() + timedelta(days=1),
    )  # fmt: skip
    with pytest.raises(NotFound, match=f"review session {later.id}: no such session"):
        comments.add_comment(db, rae, first, None, "here?", 1, None, None, later.id)
    with pytest.raises(PermissionDenied, match="'Later' opens at"):
        comments.add_comment(db, owner, theirs.id, None, "too soon", 1, None, None, later.id)
    link = review_sessions.add_link(db, owner, session_id, "Client", utcnow() + timedelta(1))
    dana = guests.enter(db, link.token, "Dana")
    comments.add_comment(db, dana, first, None, "a guest speaks in their session", 1)
    with pytest.raises(NotFound, match="no such session"):
        decisions.decide(db, dana, first, None, Verdict.approved, "", later.id)
    assert [x.text for x in review_sessions.said_in(db, owner, session_id).said] == [
        "a guest speaks in their session"
    ]


def test_a_close_waits_for_a_comment_being_made_in_the_session(
    db: Database, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: no comment is half made at a close")
    session_id, first, _, rae = a_session(db, owner)
    checked = threading.Event()

    def slow(check: object, drawing: object) -> None:  # in the comment's transaction
        checked.set()
        time.sleep(0.5)

    monkeypatch.setattr(comments, "clean_drawing", slow)
    said = partial(comments.add_comment, db, rae, first, None, "Just in time", 1, None, None,
                   session_id)  # fmt: skip
    with ThreadPoolExecutor(1) as pool:
        commenting = pool.submit(said)
        assert checked.wait(10)
        review_sessions.close_session(db, owner, session_id)  # waits for the comment
        commenting.result()
    kept = review_sessions.said_in(db, owner, session_id)
    assert kept.final and [x.text for x in kept.said] == ["Just in time"]


def test_a_session_that_ran_out_keeps_its_report_before_the_trash_empties(
    db: Database, owner: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id, first, _, rae = a_session(db, owner)
    comments.add_comment(db, rae, first, None, "Before it ran out", 2, None, None, session_id)
    said = review_sessions.said_in(db, rae, session_id)
    later = utcnow() + timedelta(days=2)
    monkeypatch.setattr(review_sessions, "utcnow", lambda: later)  # its window is over
    trash.empty_trash(db, LocalMediaStore(tmp_path))
    monkeypatch.undo()
    with db.session() as s:
        assert s.scalar(select(ReviewSession.report).where(ReviewSession.id == session_id))
    kept = review_sessions.said_in(db, rae, session_id)
    assert kept.final and kept.said == said.said


def altered(signed: str) -> str:
    """The same, its last character changed: a signature that no longer holds."""
    return signed[:-1] + ("1" if signed.endswith("0") else "0")


def test_a_guest_advises_but_chooses_nothing_and_names_nobody(db: Database, owner: User) -> None:
    session_id, first, _, rae = a_session(db, owner)
    view = review_sessions.open_session(db, owner, session_id)
    scene_id = view.items[0].item.scene_id or 0
    chosen = scenes.get_scene(db, owner, scene_id).selected_take_id
    link = review_sessions.add_link(db, owner, session_id, "Client", utcnow() + timedelta(days=1))
    dana = guests.enter(db, link.token, "Dana")
    decisions.decide(db, dana, first, None, Verdict.approved)
    assert scenes.get_scene(db, owner, scene_id).selected_take_id == chosen  # the team's choice
    assert first not in decisions.review_state(db, owner, view.project_id).takes
    said = comments.add_comment(db, dana, first, None, "@rae have a look", 3)
    assert said.mentions is None and inbox.unread(db, rae) == 1  # only the session's news
    for garbled in ("²", "9" * 30, "", "1.2.3"):
        with pytest.raises(NotFound, match="not valid"):
            guests.open_link(db, garbled)


def test_a_session_cannot_be_set_up_already_over(db: Database, owner: User) -> None:
    session_id, first, _, _ = a_session(db, owner)
    pid = review_sessions.open_session(db, owner, session_id).project_id
    long_ago = utcnow() - timedelta(days=3)
    with pytest.raises(InvalidInput, match="closes: is already past"):
        review_sessions.create_session(
            db, owner, pid, "Old", [(first, None)], long_ago, long_ago + timedelta(days=1)
        )


def test_wrong_passphrases_make_the_link_wait(db: Database, owner: User) -> None:
    session_id, _, _, _ = a_session(db, owner, passphrase="harbour lights")
    link = review_sessions.add_link(db, owner, session_id, "Client", utcnow() + timedelta(days=1))
    for _ in range(accounts.FREE_TRIES):
        with pytest.raises(PermissionDenied, match="not this session's passphrase"):
            guests.enter(db, link.token, "Eve", "guess")
    with pytest.raises(PermissionDenied, match="too many wrong ones; try again in 2 s"):
        guests.enter(db, link.token, "Dana", "harbour lights")  # even the right one, for now
