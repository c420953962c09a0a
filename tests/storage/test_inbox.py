"""The inbox: a mention, a reply in one's thread and a decision on one's take are told to
the people concerned (never to whoever did it), each reads only their own."""

from __future__ import annotations

from storage import comments, decisions, inbox, members, projects, scenes, users
from storage.db import Database
from storage.models import Role, User
from tests.storage.made_takes import made_take

MODEL = "veo-3.1-fast-generate-001"


def test_mentions_replies_and_decisions_reach_the_people_concerned(
    db: Database, owner: User
) -> None:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    (scene,) = scenes.add_scenes(db, owner, pid, [{"title": "Dawn", "prompt": "boats"}])
    take = made_take(db, owner, pid, scene.id, 4.0)  # queued by the owner: theirs
    rae = users.sign_in(db, "https://idp.example", "rae", "rae@example.com", "Rae")
    members.add_member(db, owner, pid, rae, Role.reviewer)

    said = comments.add_comment(db, owner, take.id, None, "@rae is the gull too big?", 10)
    assert [(e.kind, e.text, e.project) for e in inbox.inbox(db, rae)] == [
        ("mention", f"Local creator mentioned you on take {take.id} of 'Dawn': "
                    "@rae is the gull too big?", "Harbour"),
    ]  # fmt: skip
    assert inbox.inbox(db, owner) == []  # not told of one's own comment
    comments.reply(db, rae, said.id, "Yes, a little")
    decisions.decide(db, rae, take.id, None, "changes", "Smaller gull")
    assert [e.kind for e in inbox.inbox(db, owner)] == ["decision", "reply"]
    assert inbox.inbox(db, owner)[0].text == (
        f"Rae: changes requested — take {take.id} of 'Dawn': Smaller gull"
    )
    assert inbox.unread(db, owner) == 2
    assert inbox.mark_read(db, rae, [e.id for e in inbox.inbox(db, owner)]) == 0  # not hers
    assert inbox.mark_read(db, owner) == 2
    assert inbox.unread(db, owner) == 0 and inbox.unread(db, rae) == 1
