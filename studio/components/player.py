"""The studio's player: frame-accurate, stepped a frame at a time, driven from the keyboard
(space, arrows), sought from the server, and reporting the frame it is paused on. Given
several takes it plays them side by side in sync, for comparing. For review it also shows
comments as marks on its bar (``[`` and ``]`` go to the previous and next), their drawings
over the picture at their frame only, and lets a reviewer draw on the paused frame. In a
live review it leads the room or follows the presenter's (``live_player``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import streamlit as st

from storage.contract import frame_timecode
from studio.components.media import asset_text

_PLAYER = st.components.v2.component(
    "veogen.player", css=asset_text("player.css"), js=asset_text("player.js")
)


@dataclass(frozen=True)
class Source:
    url: str
    label: str


@dataclass(frozen=True)
class Mark:
    """A comment on the player's bar: at ``frame`` (to ``end``), its drawing over it."""

    frame: int
    end: int | None
    drawing: list[dict[str, Any]] | None
    label: str


@dataclass(frozen=True)
class Drawn:
    """Shapes a reviewer drew on a paused frame, not yet sent with a comment."""

    frame: int
    shapes: list[dict[str, Any]]


@dataclass(frozen=True)
class LiveItem:
    """One thing a live room looks at: its key (kept when items are reordered), its name,
    and what the player plays for it."""

    key: str
    label: str
    sources: list[Source]
    fps: float = 24.0


def player(
    sources: list[Source],
    *,
    key: str,
    fps: float = 24.0,
    seek: float | None = None,
    asked: int = 0,
) -> float:
    """Mount the player; return the time (seconds, on a frame) it was last paused at.
    ``seek`` moves it there once: only a different value, or a new ``asked`` (a count of
    clicks that asked for it), seeks again."""
    return _mount(sources, key, fps, seek, asked, {}).time


def review_player(
    sources: list[Source],
    *,
    key: str,
    fps: float,
    marks: list[Mark],
    seek: float | None = None,
    asked: int = 0,
    cleared: int = 0,
    wipe: bool = False,
    pen: bool = True,
) -> tuple[float, Drawn | None]:
    """The player for review: ``marks`` on its bar and their drawings at their frames, and
    a pen, on the first of ``sources`` (the others compared in sync beside it, or over it
    with a wipe); returns the paused time and what was drawn (None: nothing). A new
    ``cleared`` wipes the pen's shapes (once a comment took them); no ``pen`` for those
    who cannot comment."""
    review = {"marks": [asdict(m) for m in marks], "cleared": cleared, "wipe": wipe, "pen": pen}
    result = _mount(sources, key, fps, seek, asked, review)
    drawn = result.drawing
    if not drawn or not drawn.get("shapes") or drawn.get("cleared") != cleared:
        return result.time, None
    return result.time, Drawn(int(drawn["frame"]), list(drawn["shapes"]))


def live_player(items: list[LiveItem], *, key: str, stream: str, lead: str) -> None:
    """The player of a live review, over ``items``: the room is pushed to it from
    ``stream`` (who presents, the presenter's item, play, position and drawing), and when
    this page presents it posts its acts to ``lead``; nothing comes back to the page's run.
    A follower's takes no input and keeps within a couple of frames of the presenter's."""
    live = {"items": [asdict(i) for i in items], "stream": stream, "lead": lead}
    _PLAYER(key=key, data={"live": live})


def _mount(
    sources: list[Source],
    key: str,
    fps: float,
    seek: float | None,
    asked: int,
    review: dict[str, Any],
) -> _Result:
    # a seek is sent once per new ask: the same one on every rerun does not seek again
    last = st.session_state.get(f"{key}-seek", (None, 0))
    if seek is not None and (seek, asked) != last[0]:
        last = ((seek, asked), last[1] + 1)
        st.session_state[f"{key}-seek"] = last
    data = {
        "sources": [asdict(s) for s in sources],
        "fps": fps,
        "seek": {"at": last[0][0], "nonce": last[1]} if last[0] is not None else None,
        **review,
    }
    result = _PLAYER(
        key=key,
        data=data,
        default={"time": 0.0, "drawing": None},
        on_time_change=lambda: None,
        on_drawing_change=lambda: None,
    )
    return _Result(float(result.time or 0.0), result.drawing)


@dataclass(frozen=True)
class _Result:
    time: float
    drawing: dict[str, Any] | None


def timecode(seconds: float, fps: float) -> str:
    """``hours:minutes:seconds:frames``, as the player and editors show time."""
    return frame_timecode(round(seconds * fps), fps)
