"""The studio's player: frame-accurate, stepped a frame at a time, driven from the keyboard
(space, arrows), sought from the server, and reporting the frame it is paused on. Given
several takes it plays them side by side in sync, for comparing."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import streamlit as st

from studio.components.media import asset_text

_PLAYER = st.components.v2.component(
    "veogen.player", css=asset_text("player.css"), js=asset_text("player.js")
)


@dataclass(frozen=True)
class Source:
    url: str
    label: str


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
    # a seek is sent once per new ask: the same one on every rerun does not seek again
    last = st.session_state.get(f"{key}-seek", (None, 0))
    if seek is not None and (seek, asked) != last[0]:
        last = ((seek, asked), last[1] + 1)
        st.session_state[f"{key}-seek"] = last
    data = {
        "sources": [asdict(s) for s in sources],
        "fps": fps,
        "seek": {"at": last[0][0], "nonce": last[1]} if last[0] is not None else None,
    }
    result = _PLAYER(key=key, data=data, default={"time": 0.0}, on_time_change=lambda: None)
    return float(result.time or 0.0)


def timecode(seconds: float, fps: float) -> str:
    """``hours:minutes:seconds:frames``, as the player and editors show time."""
    whole = round(fps)
    frame = round(seconds * fps)
    second = frame // whole
    return f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}:{frame % whole:02d}"
