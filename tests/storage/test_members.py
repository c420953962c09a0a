"""A project's team: invitations that apply at first sign-in, roles, one owner always."""

from __future__ import annotations

import pytest

from storage import members, projects, users
from storage.db import Database
from storage.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from storage.models import Role, User

MODEL = "veo-3.1-fast-generate-001"


def signed(db: Database, email: str, name: str) -> User:
    return users.sign_in(db, "https://idp.example", email, email, name)


def test_an_invitation_applies_when_the_address_first_signs_in(db: Database, owner: User) -> None:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    said = members.invite(db, owner, pid, " Rae@Example.com ", "reviewer")
    assert said == "rae@example.com is invited as reviewer: they join when they first sign in"
    assert [i.email for i in members.list_invitations(db, owner, pid)] == ["rae@example.com"]
    rae = signed(db, "rae@example.com", "Rae")
    assert [(m.email, m.role) for m in members.list_members(db, rae, pid)] == [
        (owner.email, Role.owner), ("rae@example.com", Role.reviewer)
    ]  # fmt: skip
    assert members.list_invitations(db, owner, pid) == []
    # someone who has signed in before joins at once
    sam = signed(db, "sam@example.com", "Sam")
    assert members.invite(db, owner, pid, "sam@example.com", Role.editor) == "Sam joined as editor"
    with pytest.raises(PermissionDenied, match="inviting to the team needs owner"):
        members.invite(db, sam, pid, "x@example.com", "viewer")
    with pytest.raises(InvalidInput) as refused:
        members.invite(db, owner, pid, "nobody", "owner")
    assert str(refused.value) == (
        "email: 'nobody' is not an e-mail address; role: 'owner' is not allowed; "
        "allowed: editor, reviewer, viewer"
    )


def test_a_project_always_keeps_one_owner(db: Database, owner: User) -> None:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    rae = signed(db, "rae@example.com", "Rae")
    members.invite(db, owner, pid, rae.email, "viewer")
    members.change_role(db, owner, pid, rae.id, "editor")
    with pytest.raises(Conflict, match="the owner's role changes only by transferring"):
        members.change_role(db, owner, pid, owner.id, "viewer")
    with pytest.raises(Conflict, match="a project keeps its owner"):
        members.remove_member(db, owner, pid, owner.id)
    members.transfer_ownership(db, owner, pid, rae.id)
    roles = {m.email: m.role for m in members.list_members(db, rae, pid)}
    assert roles == {rae.email: Role.owner, owner.email: Role.editor}
    with pytest.raises(PermissionDenied, match="removing members needs owner"):
        members.remove_member(db, owner, pid, rae.id)
    members.remove_member(db, rae, pid, owner.id)
    with pytest.raises(NotFound):  # no longer a member: the project is not even named
        projects.get_project(db, owner, pid)


def test_a_member_disabled_since_holds_no_role(db: Database, owner: User) -> None:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    rae = signed(db, "rae@example.com", "Rae")
    members.invite(db, owner, pid, rae.email, "editor")
    assert projects.get_project(db, rae, pid).name == "Harbour"
    users.set_flags(db, None, rae.email, disabled=True)
    # the User held by a page part that refreshes on its own is stale: the data layer is not
    with pytest.raises(NotFound):
        projects.get_project(db, rae, pid)
