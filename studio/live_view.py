"""The live review room on a page: the presenter drives the player, everyone else's
follows within a second; who is here, raised hands, handing over, and what the group
decided as it went. The player gets the room pushed to it (``studio.live_push``), so no
run of the page is on the way of a follow; one timed fragment below it reads the rest of
the room each second (a page's run is a cost every follower's browser and the studio pay,
on a machine that also decodes everyone's video)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import redis
import streamlit as st

from studio.components.player import LiveItem, live_player
from studio.live import RECENT, Announcement, LiveRoom, Participant, Presence
from studio.live_push import live_base
from studio.ui import plain

EVERY_S = 1.0  # how often a page sends its heartbeat and reads who is here and what was said
SHOWN = 5  # announcements listed, newest first
UNREACHABLE = "The live review cannot be reached just now; trying again."


@dataclass
class _Seen:
    """What this page has read of the room's announcements so far."""

    last_id: str | None = None
    said: list[Announcement] = field(default_factory=list)


def live_room(
    room: LiveRoom,
    me_id: int,
    me_name: str,
    items: list[LiveItem],
    *,
    for_item: Callable[[str | None], None] | None = None,
    key: str = "live",
) -> None:
    """Mount the room for ``me_id`` (shown as ``me_name``) on ``items``. ``for_item(key)``
    draws what the page shows for the presenter's item (None: none chosen yet), e.g. its
    decision buttons: it runs in the room's each-second part, so it follows the presenter to
    another item without the whole page running again."""
    viewer_pass = _pass(room, me_id, key)
    if viewer_pass is not None:
        base = live_base(room.room_id)
        live_player(items, key=f"{key}-player", stream=f"{base}/events?pass={viewer_pass}",
                    lead=f"{base}/lead?pass={viewer_pass}")  # fmt: skip
    _around(room, me_id, me_name, viewer_pass, for_item, key)


def _pass(room: LiveRoom, me_id: int, key: str) -> str | None:
    """This page's pass to the room's push routes, made once and renewed as the page runs
    (None: Redis is away)."""
    try:
        held = room.admit(me_id, st.session_state.get(f"{key}-pass"))
    except (redis.RedisError, OSError):
        return None  # said by the part below, which tries again each second
    st.session_state[f"{key}-pass"] = held
    return held


@st.fragment(run_every=EVERY_S)
def _around(room: LiveRoom, me_id: int, me_name: str, viewer_pass: str | None,
            for_item: Callable[[str | None], None] | None, key: str) -> None:  # fmt: skip
    """The heartbeat (it keeps this page's pass), who presents and what that means for me,
    who is here, what I can do, the page's part for the presenter's item, and what the
    group said as it went. No click here reruns the whole page: a full run started from a
    fragment can leave a page's other fragments unregistered (Streamlit #9080)."""
    try:
        room.here(me_id, me_name, viewer_pass or "")
        presence, shown, seen = room.present(), room.latest(), _read(room, key)
    except (redis.RedisError, OSError):
        st.warning(UNREACHABLE)
        return
    if viewer_pass is None:
        st.rerun(scope="app")  # Redis is back: the page makes its pass and mounts the player
    if presence.ended:
        st.info("This live review has ended.")
    else:
        _who(presence, me_id)
        _controls(room, presence, me_id, me_name)
    if for_item is not None:
        for_item(shown.item if shown else None)
    _announcements(seen.said)


def _read(room: LiveRoom, key: str) -> _Seen:
    """The announcements since this page last read the room, added to what it had."""
    seen: _Seen = st.session_state.setdefault(f"{key}-seen", _Seen())
    update = room.said_since(seen.last_id)
    seen.last_id = update.last_id
    seen.said = (seen.said + update.announcements)[-RECENT:]
    return seen


def _who(presence: Presence, me_id: int) -> None:
    presenter = presence.name_of(presence.presenter)
    if presence.presenter == me_id:
        st.markdown(
            "**You are presenting.** Everyone's player follows yours: play, pause, step, "
            "drag the bar, draw on a paused frame, or go to another item."
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


def _controls(room: LiveRoom, presence: Presence, me_id: int, me_name: str) -> None:
    """The presenter's: handing over to a raised hand (their player has the items); everyone
    else's: raising or lowering a hand, and presenting once the presenter has left."""
    me = next((p for p in presence.here if p.id == me_id), None)
    with st.container(horizontal=True):
        if presence.presenter == me_id:
            for hand in presence.hands:
                st.button(f"Hand over to {plain(hand.name)}", key=f"hand-over-{hand.id}",
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
