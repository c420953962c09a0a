"""What approved film costs: per project, spend over seconds of approved film, and takes
made per scene approved (a take's latest decision is its state: ``storage.decisions``).

A scene's approved seconds are those that play: its chosen take less the cut's trims when
that take is approved, else its longest approved take whole (not yet in the cut)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import case, func, select

from storage.analytics import Scope
from storage.analytics_spend import spend
from storage.db import Database
from storage.metrics_reader import MetricsReader
from storage.models import Decision, Scene, Take, Verdict


def film_costs(
    db: Database, reader: MetricsReader, scope: Scope, lifelong: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per project of the scope with approved scenes, over its whole life (approved film is
    what all its spending bought, whenever it was spent, by whomever, on any model): billed
    and estimated USD, approved scenes and seconds, takes made for those scenes, USD per
    approved second and takes per approved scene. ``lifelong``: the scope's whole-life
    spend by project, if the caller has it already."""
    latest = (
        select(func.max(Decision.id).label("id"))
        .where(Decision.take_id.is_not(None), Decision.project_id.in_(scope.projects))
        .group_by(Decision.take_id)
        .subquery()
    )
    played = case(
        (Take.id == Scene.selected_take_id, Take.duration - Scene.trim_in - Scene.trim_out)
    )
    seconds = func.coalesce(func.max(played), func.max(Take.duration))
    approved = (
        select(Scene.project_id, Take.scene_id, seconds.label("seconds"))
        .join(Decision, Decision.take_id == Take.id)
        .join(latest, latest.c.id == Decision.id)
        .join(Scene, Scene.id == Take.scene_id)
        .where(Decision.verdict == Verdict.approved, Scene.deleted_at.is_(None))
        .group_by(Scene.project_id, Take.scene_id)
        .subquery()
    )
    made = select(Take.scene_id, func.count().label("takes")).group_by(Take.scene_id).subquery()
    with db.session() as s:
        rows = s.execute(
            select(
                approved.c.project_id,
                func.count().label("approved_scenes"),
                func.sum(approved.c.seconds).label("approved_seconds"),
                func.sum(made.c.takes).label("takes"),
            )
            .join(made, made.c.scene_id == approved.c.scene_id)
            .group_by(approved.c.project_id)
        ).all()
    film = pd.DataFrame(
        rows, columns=["project_id", "approved_scenes", "approved_seconds", "takes"]
    )
    if lifelong is None:
        lifelong = spend(reader, scope.lifelong(), "project")
    costs = lifelong.rename(columns={"key": "project_id"})
    film = film.merge(costs[["project_id", "billed_usd", "estimated_usd"]], "left").fillna(0.0)
    film["usd_per_approved_second"] = film["billed_usd"] / film["approved_seconds"]
    film["estimated_usd_per_approved_second"] = film["estimated_usd"] / film["approved_seconds"]
    film["takes_per_approved_scene"] = film["takes"] / film["approved_scenes"]
    film["project"] = film["project_id"].map(scope.projects)
    return film
