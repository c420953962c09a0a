"""A small studio-like page with the live review room, for `benchmarks/live.py` and the
browser test: the room over real MP4s in the studio's media store, for the participant
named in the URL (``?who=1&name=Ana``), and an Approve button that records nothing but
announces, as the Sessions page does after recording a decision.

Run with `streamlit run benchmarks/live_server.py` (this page and the room's push routes)
from the repository (its .streamlit settings apply), with VEOGEN_DATA_DIR (the media store),
LIVE_REDIS_URL, LIVE_PREFIX and LIVE_ITEMS (media keys, comma-separated) in the environment.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import redis
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the studio's packages

from studio.components.media import media_url
from studio.components.player import LiveItem, Source
from studio.live import LiveRoom
from studio.live_view import live_room

SESSION = "bench"


@st.cache_resource
def room() -> LiveRoom:
    return LiveRoom(redis.Redis.from_url(os.environ["LIVE_REDIS_URL"]), os.environ["LIVE_PREFIX"],
                    SESSION)  # fmt: skip


st.set_page_config(page_title="Live review")
who, name = int(st.query_params["who"]), st.query_params["name"]
labels = [f"Shot {n}" for n in range(1, 10)]
items = [
    LiveItem(key, label, [Source(media_url(key), label)])
    for label, key in zip(labels, os.environ["LIVE_ITEMS"].split(","), strict=False)
]
label_of = {item.key: item.label for item in items}
st.title("Live review")


def decide(item: str | None) -> None:
    """The page's part for the presenter's item: here, only the announcement."""
    shown = item or items[0].key
    if st.button(f"Approve {label_of[shown]}", icon=":material/check:"):
        room().announce(f"{name} approved {label_of[shown]}", shown)


live_room(room(), who, name, items, for_item=decide)
