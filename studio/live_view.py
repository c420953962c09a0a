"""The live review room on a page: the presenter drives the player, everyone else's
follows within a second; who is here, raised hands, handing over, and what the group
decided as it went. Timed fragments read the room from Redis (``studio.live``): a small
one often, the player (a presenter's every act goes to Redis from the run it causes), and
two others each second, who is here above it and what one can do and what was said below.
Every page of the room reruns them, so the often one is kept to the player alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import redis
import streamlit as st

from studio.components.player import Source, live_player
from studio.live import RECENT, Announcement, LiveRoom, LiveState, Participant, Presence
from studio.ui import plain

POLL_S = 0.3  # how often a page reads the presenter's state: most of a follower's lag
PEOPLE_S = 1.0  # how often it sends its heartbeat and reads who is here
SHOWN = 5  # announcements listed, newest first
UNREACHABLE = "The live review cannot be reached just now; trying again."


@dataclass(frozen=True)
class LiveItem:
    """One thing the room looks at: its name, and what the player plays for it."""

    label: str
    sources: list[Source]
    fps: float = 24.0


@dataclass
class _Seen:
    """What this page has read of the room so far."""

    last_id: str | None = None
    state: LiveState | None = None
    said: list[Announcement] = field(default_factory=list)


def live_room(
    room: LiveRoom,
    me_id: int,
    me_name: str,
    items: list[LiveItem],
    *,
    for_item: Callable[[int], None] | None = None,
    key: str = "live",
) -> int:
    """Mount the room for ``me_id`` (shown as ``me_name``) on ``items``; return the index
    of the item it shows as the page runs. ``for_item(index)`` draws what the page shows
    for the item on screen (its decision buttons): it runs in the room's each-second part,
    so it follows the presenter to another item without the whole page running again."""
    _people(room, me_id, me_name)
    _stage(room, me_id, items, key)
    _actions(room, me_id, me_name, len(items), for_item, key)
    shown: int = st.session_state.get(f"{key}-item", 0)
    return shown


@st.fragment(run_every=PEOPLE_S)
def _people(room: LiveRoom, me_id: int, me_name: str) -> None:
    """The heartbeat, who presents, what that means for me, and who is here."""
    try:
        room.here(me_id, me_name)
        presence = room.present()
    except (redis.RedisError, OSError):
        st.warning(UNREACHABLE)
        return
    if presence.ended:
        st.info("This live review has ended.")
        return
    _who(presence, me_id)


@st.fragment(run_every=POLL_S)
def _stage(room: LiveRoom, me_id: int, items: list[LiveItem], key: str) -> None:
    """The item and the player: leading, or following the presenter's latest state."""
    try:
        seen = _read(room, key)
        leading = room.presenter() == me_id
        now = room.now()
    except (redis.RedisError, OSError):
        return  # said once, above
    item = min(seen.state.item, len(items) - 1) if seen.state else 0
    st.session_state[f"{key}-item"] = item
    shown = items[item]
    st.markdown(f"**Item {item + 1} of {len(items)}:** {plain(shown.label)}")
    played = live_player(shown.sources, key=f"{key}-player", fps=shown.fps, leading=leading,
                         cue=seen.state, now=now)  # fmt: skip
    if played:
        room.lead(me_id, item, played.position, played.playing, played.shapes, played.at)


@st.fragment(run_every=PEOPLE_S)
def _actions(room: LiveRoom, me_id: int, me_name: str, count: int,
             for_item: Callable[[int], None] | None, key: str) -> None:  # fmt: skip
    """What I can do here, the page's part for the item on screen, and what the group
    said as it went. No click here reruns the whole page: a full run started from a
    fragment can leave the room's other fragments unregistered (Streamlit #9080)."""
    try:
        presence = room.present()
    except (redis.RedisError, OSError):
        return
    item = st.session_state.get(f"{key}-item", 0)
    if not presence.ended:
        _controls(room, presence, me_id, me_name, item, count)
    if for_item is not None:
        for_item(item)
    _announcements(st.session_state.get(f"{key}-seen", _Seen()).said)


def _read(room: LiveRoom, key: str) -> _Seen:
    """What is new in the room since this page last read it, added to what it had."""
    seen: _Seen = st.session_state.setdefault(f"{key}-seen", _Seen())
    update = room.since(seen.last_id)
    seen.last_id = update.last_id
    seen.state = update.state or seen.state
    seen.said = (seen.said + update.announcements)[-RECENT:]
    return seen


def _who(presence: Presence, me_id: int) -> None:
    presenter = presence.name_of(presence.presenter)
    if presence.presenter == me_id:
        st.markdown(
            "**You are presenting.** Everyone's player follows yours: play, pause, step, "
            "drag the bar, or draw on a paused frame."
        )
    elif presenter:
        st.markdown(f"**{plain(presenter)} is presenting.** Your player follows theirs. "
                    "Raise your hand to ask to present.")  # fmt: skip
    else:
        st.markdown("**Nobody is presenting just now.** Raise your hand to present.")

    def described(p: Participant) -> str:
        notes = [n for n, on in (("you", p.id == me_id), ("presenting", p.presenting),
                                 ("hand raised", p.hand_raised)) if on]  # fmt: skip
        return plain(p.name + (f" ({', '.join(notes)})" if notes else ""))

    people = ", ".join(described(p) for p in presence.here)
    st.caption(f"Here now ({len(presence.here)}): {people}")


def _controls(
    room: LiveRoom, presence: Presence, me_id: int, me_name: str, item: int, count: int
) -> None:
    """The presenter's: another item, and handing over to a raised hand; everyone else's:
    raising or lowering a hand, and presenting once the presenter has left."""
    me = next((p for p in presence.here if p.id == me_id), None)
    with st.container(horizontal=True):
        if presence.presenter == me_id:
            for label, icon, to in (("Previous item", "skip_previous", item - 1),
                                    ("Next item", "skip_next", item + 1)):  # fmt: skip
                st.button(label, icon=f":material/{icon}:", disabled=not 0 <= to < count,
                          on_click=_show_item, args=(room, me_id, to))  # fmt: skip
            for hand in presence.hands:
                st.button(f"Hand over to {hand.name}", key=f"hand-over-{hand.id}",
                          icon=":material/front_hand:",
                          on_click=_hand_over, args=(room, me_id, hand.id, hand.name))  # fmt: skip
        elif me is not None and me.hand_raised:
            st.button("Lower hand", on_click=room.lower_hand, args=(me_id,))
            if not presence.presenter_here:
                st.button("Present now", type="primary", icon=":material/co_present:",
                          help="The presenter has left: you can take over.",
                          on_click=_take_over, args=(room, me_id, me_name))  # fmt: skip
        else:
            st.button("Raise hand", icon=":material/front_hand:", on_click=room.raise_hand,
                      args=(me_id,), help="Ask to present: the presenter can hand over to you.")  # fmt: skip


def _show_item(room: LiveRoom, me_id: int, item: int) -> None:
    room.lead(me_id, item, 0.0, False, [])  # from its first frame, paused


def _hand_over(room: LiveRoom, me_id: int, to_id: int, to_name: str) -> None:
    if room.hand_over(me_id, to_id):
        room.announce(f"{to_name} is presenting now")


def _take_over(room: LiveRoom, me_id: int, me_name: str) -> None:
    if room.take_over(me_id):
        room.announce(f"{me_name} is presenting now")


def _announcements(said: list[Announcement]) -> None:
    if not said:
        return
    st.markdown("**So far in this review**")
    for each in reversed(said[-SHOWN:]):
        st.caption(plain(each.text))
