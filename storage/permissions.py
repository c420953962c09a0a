"""Who may do what on a project. Every data operation passes through ``require``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.errors import NotFound, PermissionDenied
from storage.models import Membership, Project, Role, User

RANK = {Role.viewer: 0, Role.reviewer: 1, Role.editor: 2, Role.owner: 3}


def role_of(s: Session, user: User, project_id: int) -> Role | None:
    """The user's role on the project; none for a user disabled since (a page part that
    refreshes on its own acts without the sign-in check of a page run)."""
    role = s.scalar(
        select(Membership.role)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.project_id == project_id,
            Membership.user_id == user.id,
            User.disabled.is_(False),
        )
    )
    return Role(role) if role else None


def require(
    s: Session,
    user: User,
    project_id: int,
    minimum: Role,
    doing: str,
    unknown: str | None = None,
) -> Project:
    """The project, if ``user`` holds at least ``minimum`` on it; else a clear refusal.
    A non-member is told that what they named does not exist (``unknown``, for an item
    of the project: "scene 7: no such scene"), not which project holds it."""
    project = s.get(Project, project_id)
    # a guest of a review session holds no role anywhere (storage.guests lets them in there)
    role = role_of(s, user, project_id) if project and user.guest_link_id is None else None
    if project is None or role is None:
        raise NotFound(unknown or f"project {project_id}: no such project")
    if RANK[role] < RANK[minimum]:
        raise PermissionDenied(
            f"{user.name} is a {role.value} on '{project.name}'; {doing} needs {minimum.value}"
        )
    return project


def is_admin(s: Session, user: User) -> bool:
    """Read from SQL now, not from a User loaded earlier: a change applies at once."""
    return bool(s.scalar(select(User.is_admin).where(User.id == user.id, User.disabled.is_(False))))


def require_admin(s: Session, actor: User | None, doing: str) -> None:
    """Instance powers (users, limits, every project's audit) need an admin. ``actor`` None
    is the operator at the console, who may act only while the studio has no admin yet:
    that is how the first one is made."""
    if actor is not None:
        if is_admin(s, actor):
            return
        raise PermissionDenied(f"{doing} needs an admin of this studio; {actor.name} is not one")
    if s.scalar(select(User.id).where(User.is_admin.is_(True)).limit(1)) is not None:
        raise PermissionDenied(f"{doing} needs an admin of this studio: say who acts")
