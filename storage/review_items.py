"""What a review is about: a take or a movie version, found for someone allowed to act on
it, with its project, its scene (a take's) and how many frames it has."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from storage.contract import MOVIE_FPS
from storage.errors import FieldError, InvalidInput, NotFound
from storage.guests import require_guest
from storage.models import Comment, Decision, Movie, Role, Scene, User
from storage.permissions import require
from storage.scenes import live_take


@dataclass(frozen=True)
class Item:
    """A take or a movie version under review."""

    project_id: int
    take_id: int | None
    movie_id: int | None
    scene_id: int | None
    fps: float
    frames: int  # frames 0 .. frames - 1
    label: str  # "take 12 of 'Dawn'", "version 3"


def review_item(
    s: Session,
    actor: User,
    take_id: int | None,
    movie_id: int | None,
    minimum: Role,
    doing: str,
) -> Item:
    """The take or the movie version (exactly one of the ids), if ``actor`` may do this."""
    if (take_id is None) == (movie_id is None):
        raise InvalidInput([FieldError("item", "name a take or a movie version, one of them")])
    if take_id is not None:
        take = live_take(s, take_id)
        scene = s.get(Scene, take.scene_id) if take else None
        if take is None or scene is None:
            raise NotFound(f"take {take_id}: no such take")
        _gate(
            s,
            actor,
            scene.project_id,
            take_id,
            None,
            minimum,
            doing,
            f"take {take_id}: no such take",
        )
        return Item(
            scene.project_id, take.id, None, scene.id, take.fps,
            max(1, round(take.duration * take.fps)), f"take {take.id} of '{scene.title}'",
        )  # fmt: skip
    movie = s.get(Movie, movie_id)
    if movie is None:
        raise NotFound(f"movie version {movie_id}: no such version")
    unknown = f"movie version {movie_id}: no such version"
    _gate(s, actor, movie.project_id, None, movie_id, minimum, doing, unknown)
    return Item(
        movie.project_id, None, movie.id, None, MOVIE_FPS,
        max(1, round(movie.duration * MOVIE_FPS)), f"version {movie.version}",
    )  # fmt: skip


def _gate(
    s: Session,
    actor: User,
    project_id: int,
    take_id: int | None,
    movie_id: int | None,
    minimum: Role,
    doing: str,
    unknown: str,
) -> None:
    """A member by their role on the project; a guest by their review session's items."""
    if actor.guest_link_id is not None:
        require_guest(s, actor, take_id, movie_id, minimum, doing, unknown)
    else:
        require(s, actor, project_id, minimum, doing, unknown)


def about(model: type[Comment] | type[Decision], item: Item) -> ColumnElement[bool]:
    """Which rows of comments or decisions are about the item."""
    if item.take_id is not None:
        return model.take_id == item.take_id
    return model.movie_id == item.movie_id
