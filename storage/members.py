"""A project's team: members and their roles, invitations by e-mail, ownership.

A project always has exactly one owner: ownership moves only by a transfer, which makes
the old owner an editor. An invitation names an e-mail address and a role; it becomes a
membership when that address signs in, through any provider (or at once, for someone who
has signed in before).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage import audit
from storage.accounts import clean_email
from storage.db import Database
from storage.errors import Conflict, NotFound
from storage.models import Invitation, Membership, Role, User
from storage.permissions import require
from storage.validation import Checker

INVITED_ROLES = (Role.editor, Role.reviewer, Role.viewer)  # the owner comes by a transfer


@dataclass(frozen=True)
class Member:
    user_id: int
    email: str
    name: str
    role: Role


def list_members(db: Database, actor: User, project_id: int) -> list[Member]:
    """The team, the owner first; any member sees it."""
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "seeing the team")
        rows = s.execute(
            select(User.id, User.email, User.name, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.project_id == project_id)
            .order_by(User.name)
        ).all()
    members = [Member(i, email, name, Role(role)) for i, email, name, role in rows]
    return sorted(members, key=lambda m: m.role != Role.owner)


def list_invitations(db: Database, actor: User, project_id: int) -> list[Invitation]:
    with db.session() as s:
        require(s, actor, project_id, Role.owner, "seeing invitations")
        found = s.scalars(
            select(Invitation).where(Invitation.project_id == project_id).order_by(Invitation.email)
        )
        return list(found)


def _role(check: Checker, role: Role | str) -> Role:
    """A role given to a member: the owner comes only by a transfer."""
    allowed = tuple(r.value for r in INVITED_ROLES)
    value = check.choice("role", allowed, Role.viewer.value)  # refuses "owner" in words
    return Role(value) if value in allowed else Role.viewer


def invite(db: Database, actor: User, project_id: int, email: str, role: Role | str) -> str:
    """Invite an address with a role; someone who has signed in before joins at once.
    Says what happened, for the page to show."""
    check = Checker({"email": email, "role": role if isinstance(role, str) else role.value})
    address, wanted = clean_email(check, email), _role(check, role)
    check.done()
    with db.session() as s:
        require(s, actor, project_id, Role.owner, "inviting to the team")
        user = s.scalar(select(User).where(User.email == address))
        if user is not None and user.issuer is not None:
            _join(s, project_id, user, wanted)
            said = f"{user.name} joined as {wanted.value}"
        else:
            s.execute(
                delete(Invitation).where(
                    Invitation.project_id == project_id, Invitation.email == address
                )
            )
            s.add(
                Invitation(project_id=project_id, email=address, role=wanted, invited_by=actor.id)
            )
            said = f"{address} is invited as {wanted.value}: they join when they first sign in"
        audit.record(s, actor, "member.invited", project_id, email=address, role=wanted.value)
    return said


def _join(s: Session, project_id: int, user: User, role: Role) -> None:
    membership = s.scalar(
        select(Membership).where(Membership.project_id == project_id, Membership.user_id == user.id)
    )
    if membership is not None and membership.role == Role.owner:
        raise Conflict(f"{user.email} owns this project; transfer the ownership first")
    if membership is None:
        s.add(Membership(project_id=project_id, user_id=user.id, role=role))
    else:
        membership.role = role


def accept_invitations(s: Session, user: User) -> None:
    """At sign-in: what the user's address was invited to becomes their memberships."""
    for invitation in s.scalars(select(Invitation).where(Invitation.email == user.email)):
        if s.scalar(select(Membership.id).where(
            Membership.project_id == invitation.project_id, Membership.user_id == user.id
        )) is None:  # fmt: skip
            s.add(
                Membership(project_id=invitation.project_id, user_id=user.id, role=invitation.role)
            )
        audit.record(s, user, "member.joined", invitation.project_id, role=str(invitation.role))
        s.delete(invitation)


def cancel_invitation(db: Database, actor: User, project_id: int, email: str) -> None:
    with db.session() as s:
        require(s, actor, project_id, Role.owner, "inviting to the team")
        gone = s.execute(
            delete(Invitation).where(Invitation.project_id == project_id, Invitation.email == email)
        )
        if not gone.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"email: '{email}' is not invited")
        audit.record(s, actor, "member.uninvited", project_id, email=email)


def _member(s: Session, project_id: int, user_id: int) -> Membership:
    membership = s.scalar(
        select(Membership).where(Membership.project_id == project_id, Membership.user_id == user_id)
    )
    if membership is None:
        raise NotFound(f"user {user_id}: not a member of this project")
    return membership


def change_role(db: Database, actor: User, project_id: int, user_id: int, role: Role | str) -> None:
    check = Checker({"role": role if isinstance(role, str) else role.value})
    wanted = _role(check, role)
    check.done()
    with db.session() as s:
        require(s, actor, project_id, Role.owner, "changing roles")
        membership = _member(s, project_id, user_id)
        if membership.role == Role.owner:
            raise Conflict("the owner's role changes only by transferring the ownership")
        membership.role = wanted
        audit.record(s, actor, "member.role", project_id, user=user_id, role=wanted.value)


def remove_member(db: Database, actor: User, project_id: int, user_id: int) -> None:
    with db.session() as s:
        require(s, actor, project_id, Role.owner, "removing members")
        membership = _member(s, project_id, user_id)
        if membership.role == Role.owner:
            raise Conflict("a project keeps its owner: transfer the ownership first")
        s.delete(membership)
        audit.record(s, actor, "member.removed", project_id, user=user_id)


def transfer_ownership(db: Database, actor: User, project_id: int, user_id: int) -> None:
    """The project to another member; its owner until now stays, as an editor."""
    with db.session() as s:
        require(s, actor, project_id, Role.owner, "transferring the ownership")
        target = _member(s, project_id, user_id)
        if target.role == Role.owner:
            raise Conflict("they already own this project")
        _member(s, project_id, actor.id).role = Role.editor
        target.role = Role.owner
        audit.record(s, actor, "member.owner", project_id, user=user_id)


def add_member(db: Database, actor: User, project_id: int, user: User, role: Role) -> None:
    """Put a known user in the team with a role (an owner only by a transfer)."""
    with db.session() as s:
        require(s, actor, project_id, Role.owner, "adding a member")
        if role == Role.owner:
            raise Conflict("a project has one owner: transfer the ownership instead")
        _join(s, project_id, user, role)
        audit.record(s, actor, "member.set", project_id, user=user.email, role=role.value)
