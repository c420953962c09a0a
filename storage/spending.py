"""What a project has spent or reserved, and telling its owners and editors when that
passes 80 % of its budget: once per crossing, in the transaction that crossed it."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.db import Database
from storage.inbox import tell
from storage.models import Job, Membership, Project, Role, utcnow
from storage.webhooks import announce, payload

WARN_AT = 0.8  # of the budget


def lock_project(s: Session, project_id: int) -> None:
    """Serialise budget checks of one project: a row lock on PostgreSQL, and on SQLite the
    database write lock, taken by this first write before anything is read."""
    s.execute(update(Project).where(Project.id == project_id).values(budget_usd=Project.budget_usd))


def committed_usd(s: Session, project_id: int) -> float:
    """What the project has spent or reserved: finished jobs' cost, live jobs' estimates."""
    return float(
        s.scalar(
            select(func.coalesce(func.sum(Job.reserved_usd), 0.0)).where(
                Job.project_id == project_id
            )
        )
        or 0.0
    )


def check_budget(s: Session, project_id: int) -> None:
    """After anything that changes the project's spending or budget: tell its owners and
    editors (and its webhooks) if spending just passed 80 % of the budget; note when it
    fell back under, so the next crossing is told again."""
    lock_project(s, project_id)  # then the budget and the sum count every transaction before
    project = s.get(Project, project_id, populate_existing=True)
    if project is None or not project.budget_usd:
        return
    budget, spent = project.budget_usd, committed_usd(s, project_id)
    over = spent >= WARN_AT * budget - 1e-9
    was = Project.budget_warned_at
    warned = s.execute(
        update(Project)
        .where(Project.id == project_id, was.is_(None) if over else was.is_not(None))
        .values(budget_warned_at=utcnow() if over else None)
    )
    if not over or warned.rowcount != 1:  # type: ignore[attr-defined]  # told already
        return
    text = (
        f"'{project.name}' has used {spent / budget:.0%} of its budget: ${spent:,.2f} spent "
        f"or reserved of ${budget:,.2f}"
    )
    team = s.scalars(
        select(Membership.user_id).where(
            Membership.project_id == project_id, Membership.role.in_((Role.owner, Role.editor))
        )
    )
    tell(s, None, team, project_id, "budget", text)
    said = payload(None, text, spent_usd=round(spent, 2), budget_usd=budget)
    announce(s, project_id, "budget.warning", said)


def spend_ratios(db: Database) -> dict[int, float]:
    """Each live project with a budget: what it spent or reserved, as a share of the budget
    (1.0: all of it). For the engines' metrics; one grouped query."""
    spent = func.coalesce(func.sum(Job.reserved_usd), 0.0)
    query = (
        select(Project.id, Project.budget_usd, spent)
        .outerjoin(Job, Job.project_id == Project.id)
        .where(Project.budget_usd > 0, Project.archived.is_(False))
        .group_by(Project.id, Project.budget_usd)
    )
    with db.session() as s:
        return {pid: float(used) / budget for pid, budget, used in s.execute(query) if budget}
