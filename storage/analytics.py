"""What the analytics may chart, and the filters every chart shares.

A ``Scope`` is made by ``scope_for`` (constructed directly, it raises): the projects
the actor is a member of (narrowed by the filters), their budgets, and the people of those
projects with their daily limits.
Every query (``analytics_spend``, ``analytics_generation``, ``analytics_jobs``) runs over
a scope's projects alone, with its filters as parameters: the SQL text never holds a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from sqlalchemy import select

from storage.catalog import DRAFTS
from storage.db import Database
from storage.models import Membership, Project, User
from storage.projects import project_names

Billing = Literal["all", "draft", "billed"]
ENDINGS = ("succeeded", "failed", "blocked", "cancelled")
# A bar's axes, for the jobs behind it (``analytics_jobs``), and a percentile's measures.
Behind = Literal["day", "hour", "project", "user", "model", "reason"]
Measure = Literal["queue_wait_s", "render_s"]
EARLIEST, LATEST = date(1970, 1, 1), date(9999, 12, 31)

# The filters, as one condition over ``events`` (its parameters: ``Scope.params``). Lists
# are tested with list_contains, not ``IN (SELECT unnest(...))``: DuckDB plans with the
# parameters' values, so a filter left empty folds away (its column is not even read) and
# the projects' list is pushed into the Parquet scan, where a subquery is a join over every
# row (jobs per hour: 116 ms to 54 ms over 10 million events).
WHERE = """
    list_contains($projects::BIGINT[], project_id)
    AND day BETWEEN $start AND $end
    AND (len($users::BIGINT[]) = 0 OR list_contains($users::BIGINT[], user_id))
    AND (len($models::VARCHAR[]) = 0 OR list_contains($models::VARCHAR[], model))
    AND (len($providers::VARCHAR[]) = 0 OR list_contains($providers::VARCHAR[], backend))
    AND ($billing = 'all' OR coalesce(draft, backend = $drafts) = ($billing = 'draft'))
"""
# What an ending billed: events from before ``billed_usd`` was recorded billed their
# estimate unless they were drafts.
BILLED = (
    "coalesce(billed_usd, "
    "CASE WHEN coalesce(draft, backend = $drafts) THEN 0 ELSE estimated_cost_usd END)"
)


@dataclass(frozen=True)
class Bar:
    """One bar, as its jobs are found: the events it counted (a spend bar the successes, a
    wait's the starts), the value it stands for on each axis, and for a percentile's bar
    the measure its jobs reach: those are its slowest jobs. Each query's module makes its
    own bars (``spend_bar``, ``hour_bar``…), so that a bar counts what its chart did."""

    counts: tuple[str, ...]
    keys: tuple[tuple[Behind, Any], ...]
    at_least: tuple[Measure, float] | None = None


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    projects: tuple[int, ...] = ()  # none chosen: every project the actor may see
    users: tuple[int, ...] = ()
    models: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    billing: Billing = "all"


# Proof that a scope came from ``scope_for``: the queries trust its projects as the actor's.
_ISSUED = object()


@dataclass(frozen=True)
class Scope:
    projects: dict[int, str]  # charted: visible to the actor, and chosen
    filters: Filters = field(default_factory=Filters)
    budgets: dict[int, float] = field(default_factory=dict)  # USD, projects that have one
    people: dict[int, str] = field(default_factory=dict)  # the members of those projects
    limits: dict[int, float] = field(default_factory=dict)  # USD a day, people who have one
    issued: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.issued is not _ISSUED:
            raise TypeError("a Scope is made by scope_for(db, actor), from what the actor may see")

    def narrowed(self, filters: Filters) -> Scope:
        """This scope's projects as ``filters`` choose among them (no query: a scope made
        by ``scope_for`` without filters holds every project the actor may see)."""
        chosen = {p: n for p, n in self.projects.items()
                  if not filters.projects or p in filters.projects}  # fmt: skip
        budgets = {p: b for p, b in self.budgets.items() if p in chosen}
        return Scope(chosen, filters, budgets, self.people, self.limits, _ISSUED)

    def dated(self, start: date, end: date) -> Scope:
        """The same projects and filters between other dates."""
        return replace(self, filters=replace(self.filters, start=start, end=end))

    def lifelong(self) -> Scope:
        """The same projects over their whole lives, with no other filter."""
        return Scope(self.projects, Filters(), self.budgets, self.people, self.limits, _ISSUED)

    def params(self, **more: Any) -> dict[str, Any]:
        f = self.filters
        return {
            "projects": list(self.projects),
            "start": f.start or EARLIEST,
            "end": f.end or LATEST,
            "users": list(f.users),
            "models": list(f.models),
            "providers": list(f.providers),
            "billing": f.billing,
            "drafts": DRAFTS.name,
            **more,
        }


def visible_projects(db: Database, actor: User) -> dict[int, str]:
    """Only the projects the actor is a member of are ever charted."""
    return project_names(db, actor)


def scope_for(db: Database, actor: User, filters: Filters | None = None) -> Scope:
    """The actor's projects as the filters narrow them, with their budgets and people; a
    project chosen that the actor may not see is left out, as if it did not exist."""
    visible = visible_projects(db, actor)
    with db.session() as s:
        budgets = s.execute(
            select(Project.id, Project.budget_usd).where(
                Project.id.in_(visible), Project.budget_usd.is_not(None)
            )
        ).all()
        people = s.execute(
            select(User.id, User.name, User.spend_per_day_usd)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.project_id.in_(visible))
            .distinct()
        ).all()
    every = Scope(
        visible,
        Filters(),
        {p: float(b or 0) for p, b in budgets},
        {u: name for u, name, _ in people},
        {u: float(limit) for u, _, limit in people if limit is not None},
        _ISSUED,
    )
    return every.narrowed(filters or Filters())
