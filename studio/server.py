"""The studio's server: its pages (`studio/app.py`) and, beside them, the live review's
push routes (``studio.live_push``). `veogen up` runs `streamlit run studio/server.py`."""

from pathlib import Path

import streamlit as st

from engine import queue_address
from storage.settings import load_settings
from studio.live_push import live_routes

settings = load_settings()
app = st.App(
    Path(__file__).with_name("app.py"),
    routes=live_routes(queue_address(settings), settings.redis_prefix),
)
