"""Generate from a scene's card: a first take, another take, an extension of the chosen
take, or the next scene continued from this take's last frame; each with its cost shown
before anything is spent."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from storage.jobs import PlannedJob
from storage.models import Project, Scene, Take
from studio.ui import act, services, user


def _cost(planned: PlannedJob) -> str:
    return f"${planned.estimate:,.2f}" if planned.provider.billing.billed else "free draft"


Changes = dict[int, dict[str, Any]]


def _queue(
    project: Project,
    scene: Scene,
    done: str,
    changes: Changes | None = None,
    once: Changes | None = None,
) -> None:
    generate = services().jobs.generate
    act(partial(generate, user(), project.id, [scene.id], changes=changes, once=once), done)


def generate_actions(
    project: Project,
    scene: Scene,
    number: int,
    after: Scene | None,
    takes: list[Take],
    plans: dict[int, PlannedJob],
) -> None:
    """The card's generate button, or (once it has takes) a menu of what to make next."""
    planned = plans.get(scene.id)
    if planned is None:
        return
    if not takes:
        if st.button(
            f"Generate · {_cost(planned)}", key=f"gen-{scene.id}", icon=":material/movie:",
            width="stretch",
        ):  # fmt: skip
            _queue(project, scene, f"Queued scene {number} '{scene.title}'")
        return
    with st.popover("Generate more", icon=":material/movie:", width="stretch"):
        billed = planned.provider.billing.billed
        st.caption(
            f"This scene has {len(takes)} take(s). "
            + (
                "Each choice below is billed again, at the price shown."
                if billed
                else "Drafts are made locally and cost nothing."
            )
        )
        if st.button(f"New take · {_cost(planned)}", key=f"again-{scene.id}"):
            _queue(project, scene, f"Queued a new take of scene {number} '{scene.title}'")
        chosen = next((t for t in takes if t.id == scene.selected_take_id), None)
        _extend(project, scene, number, chosen, planned)
        if after is not None and chosen is not None:
            _continue(project, scene, number, after, plans.get(after.id))


def _extend(
    project: Project, scene: Scene, number: int, chosen: Take | None, planned: PlannedJob
) -> None:
    spec = services().catalog.model(scene.model)
    why_not = (
        f"{spec.label} cannot extend takes"
        if not spec.extension
        else "choose a take on the Takes page first"
        if chosen is None
        else "an animatic draft cannot be extended; extend a take made by Veo"
        if chosen.is_draft
        else None
    )
    if why_not:
        st.caption(f"Extend the chosen take: {why_not}.")
        return
    assert chosen is not None
    if st.button(f"Extend the chosen take · {_cost(planned)}", key=f"extend-{scene.id}"):
        _queue(
            project,
            scene,
            f"Queued an extension of scene {number} '{scene.title}'",
            once={scene.id: {"extend_take_id": chosen.id, "continuity": "none"}},
        )


def _continue(
    project: Project, scene: Scene, number: int, after: Scene, planned: PlannedJob | None
) -> None:
    if planned is None:
        return
    label = f"Continue scene {number + 1} from this take's last frame · {_cost(planned)}"
    if st.button(label, key=f"continue-{scene.id}"):
        _queue(
            project,
            after,
            f"Queued scene {number + 1} '{after.title}', starting where this take ends",
            {after.id: {"continuity": "previous", "extend_take_id": None}},
        )
