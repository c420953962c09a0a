"""An append-only record of who did what, when, to which project; and reading it back.

Owners read their projects' events, admins every event (sign-ins and user changes too,
which belong to no project). Details are ids, names and settings: never a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import AuditEvent, Membership, Project, Role, User
from storage.permissions import is_admin, require
from storage.spreadsheet import to_csv

# Each action as the Audit page says it; an action missing here is shown by its name.
ACTIONS = {
    "user.signed_in": "signed in",
    "user.changed": "changed a user",
    "user.limits": "set a user's limits",
    "account.added": "added an account",
    "account.password": "gave a new password",
    "project.created": "created the project",
    "project.updated": "changed the project",
    "project.archived": "archived the project",
    "project.final_rule": "set what a final render needs",
    "project.restored": "restored the project",
    "project.deleted": "deleted the project",
    "member.invited": "invited a member",
    "member.uninvited": "cancelled an invitation",
    "member.joined": "joined",
    "member.set": "added a member",
    "member.role": "changed a role",
    "member.removed": "removed a member",
    "member.owner": "transferred the ownership",
    "jobs.queued": "queued generation",
    "render.queued": "queued a render",
    "job.cancelled": "cancelled a job",
    "job.retried": "sent a job again",
    "job.given_up": "gave up on a job",
    "scenes.added": "added scenes",
    "scene.updated": "changed a scene",
    "scene.duplicated": "duplicated a scene",
    "scene.moved": "moved a scene",
    "scene.deleted": "deleted a scene",
    "scene.restored": "restored a scene",
    "take.selected": "chose a take",
    "take.rated": "rated a take",
    "asset.added": "added to the library",
    "asset.deleted": "deleted from the library",
    "asset.restored": "restored to the library",
    "cut.updated": "changed the movie settings",
    "cut.edited": "edited the timeline",
    "comment.added": "commented",
    "comment.replied": "replied to a comment",
    "comment.resolved": "resolved a comment",
    "comment.reopened": "reopened a comment",
    "decision.approved": "approved",
    "decision.changes": "requested changes",
    "decision.rejected": "rejected",
    "session.created": "set up a review session",
    "session.items": "changed a review session's items",
    "session.closed": "closed a review session",
    "session.live": "started a live review",
    "session.live_ended": "ended a live review",
    "session.link_added": "made a guest link",
    "session.link_revoked": "revoked a guest link",
    "guest.joined": "came in as a guest",
    "guest.refused": "was refused a session's passphrase",
}
MAX_EVENTS = 5_000  # the newest, at one read: a page and its CSV stay small


def record(
    s: Session, actor: User | None, action: str, project_id: int | None, **details: Any
) -> None:
    project = s.get(Project, project_id) if project_id is not None else None
    s.add(
        AuditEvent(
            project_id=project_id,
            project_name=project.name if project else None,
            user_id=actor.id if actor else None,
            action=action,
            details=details,
        )
    )


@dataclass(frozen=True)
class Entry:
    """One event as people read it."""

    at: datetime
    who: str  # "Name <e-mail>"; "the console" for the operator before there was an admin
    action: str
    project: str  # its name, kept after it is deleted; "" for the studio's own events
    details: str


@dataclass(frozen=True)
class Choices:
    """What the events a user may read can be filtered by: projects and people by id."""

    projects: dict[int, str]
    users: dict[int, str]
    actions: list[str]


def find_events(
    db: Database,
    actor: User,
    project_id: int | None = None,
    user_id: int | None = None,
    action: str | None = None,
) -> list[Entry]:
    """Events newest first (the latest MAX_EVENTS), filtered; an owner reads their projects'
    events, an admin every event. Another's project is refused as not found, as elsewhere."""
    with db.session() as s:
        query = (
            select(AuditEvent, User)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .where(_readable(s, actor, project_id))
        )
        if user_id is not None:
            query = query.where(AuditEvent.user_id == user_id)
        if action:
            query = query.where(AuditEvent.action == action)
        rows = s.execute(query.order_by(AuditEvent.id.desc()).limit(MAX_EVENTS))
        return [_entry(event, who) for event, who in rows]


def audit_choices(db: Database, actor: User) -> Choices:
    with db.session() as s:
        mine = _readable(s, actor, None)
        projects = s.execute(
            select(AuditEvent.project_id, AuditEvent.project_name)
            .where(mine, AuditEvent.project_id.is_not(None))
            .distinct()
        )
        people = s.scalars(select(User).where(User.id.in_(select(AuditEvent.user_id).where(mine))))
        actions = s.scalars(select(AuditEvent.action).where(mine).distinct())
        return Choices(
            {pid: name or f"project {pid}" for pid, name in projects if pid is not None},
            {user.id: _who(user) for user in people},
            sorted(actions, key=lambda a: ACTIONS.get(a, a)),
        )


def events_csv(entries: list[Entry]) -> str:
    return to_csv(
        ["When (UTC)", "Who", "Action", "Project", "Details"],
        (
            [e.at.isoformat(sep=" ", timespec="seconds"), e.who, e.action, e.project, e.details]
            for e in entries
        ),
    )


def _readable(s: Session, actor: User, project_id: int | None) -> ColumnElement[bool]:
    """Which events ``actor`` may read, of one project or of all."""
    if project_id is not None:
        if not is_admin(s, actor):
            require(s, actor, project_id, Role.owner, "reading the project's audit")
        return AuditEvent.project_id == project_id
    if is_admin(s, actor):
        return true()
    owned = select(Membership.project_id).where(
        Membership.user_id == actor.id, Membership.role == Role.owner
    )
    return AuditEvent.project_id.in_(owned)


def _who(user: User | None) -> str:
    return f"{user.name} <{user.email}>" if user else "the console"


def _entry(event: AuditEvent, who: User | None) -> Entry:
    details = ", ".join(
        f"{key.replace('_', ' ')}: {_value(value)}"
        for key, value in event.details.items()
        if value is not None
    )
    return Entry(
        event.created_at,
        _who(who),
        ACTIONS.get(event.action, event.action),
        event.project_name or "",
        details,
    )


def _value(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)
