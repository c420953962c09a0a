"""`benchmarks/live_app.py` served with the live room's push routes, as the studio serves
its pages (`studio/server.py`): `streamlit run benchmarks/live_server.py`."""

import os
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the studio's packages

from studio.live_push import live_routes

app = st.App(
    Path(__file__).with_name("live_app.py"),
    routes=live_routes(os.environ["LIVE_REDIS_URL"], os.environ["LIVE_PREFIX"]),
)
