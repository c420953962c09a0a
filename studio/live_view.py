"""The live review room on a page: the presenter drives the player, everyone else's
follows within a second; who is here, raised hands, handing over, and what the group
decided as it went. A timed fragment reads the room from Redis (``studio.live``) and feeds
the player; a presenter's every act goes to Redis from the run it causes."""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
import streamlit as st

from studio.components.player import Source, live_player
from studio.live import RECENT, Announcement, LiveRoom, LiveState, Participant, Presence
from studio.ui import plain

POLL_S = 0.3  # how often a page reads the room: most of a follower's lag
SHOWN = 5  # announcements listed, newest first


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
    room: LiveRoom, me_id: int, me_name: str, items: list[LiveItem], *, key: str = "live"
) -> int:
    """Mount the room for ``me_id`` (shown as ``me_name``) on ``items``; return the index
    of the item it shows, for the page's decision buttons. When the presenter moves to
    another item the whole page runs again, so what the page draws for it follows."""
    st.session_state[f"{key}-drawn"] = None  # this run draws the page: no need to rerun it
    _room(room, me_id, me_name, items, key)
    shown: int = st.session_state.get(f"{key}-item", 0)
    st.session_state[f"{key}-drawn"] = shown
    return shown


@st.fragment(run_every=POLL_S)
def _room(room: LiveRoom, me_id: int, me_name: str, items: list[LiveItem], key: str) -> None:
    try:
        room.here(me_id, me_name)
        seen = _read(room, key)
        presence = room.present()
        now = room.now()
    except (redis.RedisError, OSError):
        st.warning("The live review cannot be reached just now; trying again.")
        return
    if presence.ended:
        st.info("This live review has ended.")
        _announcements(seen.said)
        return
    leading = presence.presenter == me_id
    item = min(seen.state.item, len(items) - 1) if seen.state else 0
    st.session_state[f"{key}-item"] = item
    _who(presence, me_id)
    shown = items[item]
    st.markdown(f"**Item {item + 1} of {len(items)}:** {plain(shown.label)}")
    played = live_player(shown.sources, key=f"{key}-player", fps=shown.fps, leading=leading,
                         cue=seen.state, now=now)  # fmt: skip
    if played:
        room.lead(me_id, item, played.position, played.playing, played.shapes, played.at)
    _controls(room, presence, me_id, me_name, item, len(items))
    _announcements(seen.said)
    if st.session_state.get(f"{key}-drawn") not in (None, item):
        st.rerun(scope="app")  # the page's own part is about the item shown


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
    me = next((p for p in presence.here if p.id == me_id), None)
    with st.container(horizontal=True):
        if presence.presenter == me_id:
            st.button("Previous item", icon=":material/skip_previous:", disabled=item == 0,
                      on_click=_move, args=(room, me_id, item - 1))  # fmt: skip
            st.button("Next item", icon=":material/skip_next:", disabled=item >= count - 1,
                      on_click=_move, args=(room, me_id, item + 1))  # fmt: skip
            for hand in presence.hands:
                st.button(f"Hand over to {hand.name}", key=f"hand-over-{hand.id}",
                          icon=":material/front_hand:",
                          on_click=_hand_over, args=(room, me_id, hand.id, hand.name))  # fmt: skip
            return
        if me is not None and me.hand_raised:
            st.button("Lower hand", on_click=room.lower_hand, args=(me_id,))
            if not presence.presenter_here:
                st.button("Present now", type="primary", icon=":material/co_present:",
                          help="The presenter has left: you can take over.",
                          on_click=_take_over, args=(room, me_id, me_name))  # fmt: skip
        else:
            st.button("Raise hand", icon=":material/front_hand:", on_click=room.raise_hand,
                      args=(me_id,), help="Ask to present: the presenter can hand over to you.")  # fmt: skip


def _move(room: LiveRoom, me_id: int, item: int) -> None:
    room.lead(me_id, item, 0.0, False, [])


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
