"""What a component's browser code is given for media: URLs it can load, small posters."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import streamlit as st
from PIL import Image
from streamlit.runtime import Runtime

from studio.ui import services

POSTER_HEIGHT = 72  # pixels: a timeline row, twice over for sharp screens


def media_url(key: str, mimetype: str = "video/mp4") -> str:
    """A URL the browser plays ``key`` from: the store's own, or Streamlit's media
    endpoint serving the local file (with range requests, so seeking never reloads)."""
    target = services().media.playback(key)
    if target.startswith(("http://", "https://")):
        return target
    # the endpoint st.video uses: Streamlit reads the file again on each rerun, as for
    # st.video, so a page mounts players only for what is on screen
    return Runtime.instance().media_file_mgr.add(target, mimetype, coordinates=f"veogen:{key}")


@st.cache_data(max_entries=2000, show_spinner=False)
def poster_uri(key: str) -> str | None:
    """A take's poster as a small JPEG data URI (keys are never reused for other media)."""
    media = services().media
    if not media.exists(key):
        return None
    with Image.open(io.BytesIO(media.read(key))) as image:
        image = image.convert("RGB")
        width = max(1, round(image.width * 2 * POSTER_HEIGHT / image.height))
        image = image.resize((width, 2 * POSTER_HEIGHT))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def asset_text(name: str) -> str:
    """A component's JavaScript or CSS, kept beside this module as a plain file."""
    return (Path(__file__).parent / name).read_text(encoding="utf-8")
