"""The studio's server: its pages (`studio/app.py`) and, beside them, the live review's
push routes (``studio.live_push``) and the studio's health and metrics (``studio.health``).
`veogen up` and `veogen studio` run `streamlit run studio/server.py`."""

from pathlib import Path

import streamlit as st

from engine import queue_address
from storage.logs import configure_logging
from storage.settings import load_settings
from studio import health
from studio.live_push import live_routes

settings = load_settings()
configure_logging(settings, "studio")  # the studio's own lines; Streamlit keeps its own
app = st.App(
    Path(__file__).with_name("app.py"),
    routes=[*live_routes(queue_address(settings), settings.redis_prefix), *health.routes],
)
