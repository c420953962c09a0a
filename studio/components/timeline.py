"""The visual timeline: the cut's clips as poster strips at their length, dragged into a
new order, trimmed by their edges, with each transition changed where it sits."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import streamlit as st

from storage.cut import played_seconds
from storage.models import Scene, Take
from storage.validation import TRANSITIONS
from studio.components.media import asset_text, poster_uri

_TIMELINE = st.components.v2.component(
    "veogen.timeline", css=asset_text("timeline.css"), js=asset_text("timeline.js")
)
TRANSITION_NAMES = {
    "cut": "Cut",
    "crossfade": "Crossfade",
    "fade_black": "Fade through black",
    "wipe": "Wipe",
}


@dataclass(frozen=True)
class TimelineClip:
    id: int
    number: int
    title: str
    seconds: float  # as it plays in the cut
    transition: str  # into this clip
    transition_seconds: float
    has_take: bool
    take_seconds: float
    trim_in: float
    trim_out: float
    aspect: float  # the take's width over its height, for its poster frames
    poster: str | None
    draft: bool


def timeline_clips(scenes: list[Scene], takes: dict[int, Take]) -> list[TimelineClip]:
    """Each scene as the timeline shows it, with its selected take (when it has one)."""
    clips = []
    for number, scene in enumerate(scenes, 1):
        take = takes.get(scene.selected_take_id or 0)
        clips.append(
            TimelineClip(
                id=scene.id,
                number=number,
                title=scene.title,
                seconds=played_seconds(scene, take),
                transition=scene.transition,
                transition_seconds=scene.transition_seconds,
                has_take=take is not None,
                take_seconds=take.duration if take else 0.0,
                trim_in=scene.trim_in,
                trim_out=scene.trim_out,
                aspect=take.width / take.height if take else 16 / 9,
                poster=poster_uri(take.poster_key) if take and take.poster_key else None,
                draft=bool(take and take.is_draft),
            )
        )
    return clips


def card_data(card: dict[str, Any] | None) -> dict[str, Any] | None:
    """A title or end card as the strip shows it (set in the form below it)."""
    if not card:
        return None
    return {"text": card["text"], "seconds": card["duration"], "background": card["background"]}


def timeline(
    clips: list[TimelineClip],
    *,
    key: str,
    editable: bool,
    trims: bool,
    hint: str,
    fps: float = 24,
    cards: tuple[dict[str, Any] | None, dict[str, Any] | None] = (None, None),
) -> dict[str, Any] | None:
    """Mount the timeline, with the title and end ``cards`` at its ends; return the edit the
    user just made (``order``, or ``edits`` by scene id), once: a rerun that carries the
    same edit again returns None."""
    data = {
        "clips": [asdict(c) for c in clips],
        "transitions": [(kind, TRANSITION_NAMES[kind]) for kind in TRANSITIONS],
        "editable": editable,
        "trims": trims,
        "hint": hint,
        "fps": fps,
        "title": card_data(cards[0]),
        "end": card_data(cards[1]),
        # the last edit sent: after a refused one the strip is drawn again as it was saved
        "edit": st.session_state.get(f"{key}-applied"),
    }
    result = _TIMELINE(key=key, data=data, on_edit_change=lambda: None)
    edit: dict[str, Any] | None = result.edit
    applied = f"{key}-applied"
    if not edit or edit.get("nonce") == st.session_state.get(applied):
        return None
    st.session_state[applied] = edit["nonce"]
    return edit


def saved_edit(edit: dict[str, Any]) -> tuple[dict[int, dict[str, Any]], list[int] | None]:
    """The edit as ``storage.cut.edit_timeline`` takes it (JSON gives string keys)."""
    edits = {int(k): v for k, v in (edit.get("edits") or {}).items()}
    order = [int(i) for i in edit["order"]] if edit.get("order") else None
    return edits, order
