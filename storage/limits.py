"""Per-user limits an admin sets: what one person may spend in a day and how many of their
jobs may be in flight at once, whatever the project. Project budgets stay beside them.

"A day" is the last 24 hours, not a calendar day: the same for every time zone, and no
burst at midnight. Checked in the transaction that queues, under a lock on the user's row,
so two studios or CLIs queueing for one person at the same moment cannot both pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage import audit
from storage.db import Database
from storage.errors import LimitReached, NotFound
from storage.models import ACTIVE, Job, User, utcnow
from storage.permissions import require_admin
from storage.validation import Checker

DAY = timedelta(hours=24)
LIMITS = ("spend per day", "jobs in flight")  # as forms and the CLI name them
MAX_SPEND_PER_DAY = 1_000_000.0
MAX_JOBS = 10_000


@dataclass(frozen=True)
class Allowance:
    """A user's limits (None: none) and how much of each they use now."""

    spend_per_day_usd: float | None
    spent_usd: float  # spent or reserved by their jobs queued in the last 24 hours
    jobs_in_flight: int | None
    in_flight: int

    @property
    def spend_left(self) -> float | None:
        limit = self.spend_per_day_usd
        return None if limit is None else max(0.0, limit - self.spent_usd)

    @property
    def jobs_left(self) -> int | None:
        limit = self.jobs_in_flight
        return None if limit is None else max(0, limit - self.in_flight)


def _allowance(s: Session, user_id: int) -> Allowance:
    user = s.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id}: no such user")
    mine = Job.created_by == user_id
    spent = s.scalar(
        select(func.coalesce(func.sum(Job.reserved_usd), 0.0)).where(
            mine, Job.created_at >= utcnow() - DAY
        )
    )
    in_flight = s.scalar(select(func.count()).where(mine, Job.status.in_(ACTIVE)))
    return Allowance(
        user.spend_per_day_usd, float(spent or 0.0), user.jobs_in_flight, in_flight or 0
    )


def allowance(db: Database, user: User) -> Allowance:
    with db.session() as s:
        return _allowance(s, user.id)


def limits_in_words(user: User) -> list[str]:
    """A user's limits as people read them, e.g. ["$20.00 a day", "3 jobs in flight"]."""
    words = []
    if user.spend_per_day_usd is not None:
        words.append(f"${user.spend_per_day_usd:,.2f} a day")
    if user.jobs_in_flight is not None:
        words.append(f"{user.jobs_in_flight} job(s) in flight")
    return words


def check_limits(s: Session, user: User, jobs: int, reserve: float) -> None:
    """Refuse, naming the limit and what is left, queueing ``jobs`` more jobs that reserve
    ``reserve`` dollars in ``user``'s name."""
    # the row lock: a write that changes nothing
    s.execute(update(User).where(User.id == user.id).values(jobs_in_flight=User.jobs_in_flight))
    mine = _allowance(s, user.id)
    if mine.jobs_left is not None and jobs > mine.jobs_left:
        raise LimitReached(
            f"jobs in flight: {user.name} may have {mine.jobs_in_flight} job(s) queued or "
            f"running at once and has {mine.in_flight}; {mine.jobs_left} more can be queued "
            "now. Wait for some to finish, or ask an admin to raise the limit"
        )
    if mine.spend_left is not None and reserve > mine.spend_left + 1e-9:
        raise LimitReached(
            f"spend per day: queueing would reserve an estimated ${reserve:,.2f}, but "
            f"{user.name} has ${mine.spend_left:,.2f} left of ${mine.spend_per_day_usd:,.2f} "
            f"per day (${mine.spent_usd:,.2f} spent or reserved in the last 24 hours)"
        )


def set_limits(db: Database, actor: User | None, email: str, changes: Mapping[str, Any]) -> User:
    """Change a user's limits; only an admin may. ``changes`` holds "spend per day" (USD)
    and or "jobs in flight"; one left out stays as it is, an empty one (or "none") is no
    limit."""
    check = Checker(
        {k: None if str(v).strip().lower() == "none" else v for k, v in changes.items()}
    )
    for name in changes:
        if name not in LIMITS:
            check.fail(name, f"is not a limit; limits: {', '.join(LIMITS)}")
    cleaned = {
        "spend_per_day_usd": check.amount("spend per day", high=MAX_SPEND_PER_DAY),
        "jobs_in_flight": check.integer("jobs in flight", low=0, high=MAX_JOBS, default=None),
    }
    check.done()
    address = email.strip().lower()
    with db.session() as s:
        require_admin(s, actor, "setting a user's limits")
        user = s.scalar(select(User).where(User.email == address))
        if user is None:
            raise NotFound(f"user: no user '{address}'")
        for name, column in zip(LIMITS, cleaned, strict=True):
            if name in changes:
                setattr(user, column, cleaned[column])
        audit.record(
            s,
            actor,
            "user.limits",
            None,
            user=address,
            spend_per_day_usd=user.spend_per_day_usd,
            jobs_in_flight=user.jobs_in_flight,
        )
    return user
