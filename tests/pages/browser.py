"""Driving the running studio in Debian's Chromium (Playwright, no browser download)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from storage.settings import Settings

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def need_chromium() -> Any:
    """Playwright's sync API, or a skip that says what is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"browser test: no Chromium at {CHROMIUM} (Debian's package 'chromium')")
    return sync_api


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.3)


def answers(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


def idle(page: Any) -> None:
    """Wait until Streamlit has finished the run a click or a visit started."""
    page.wait_for_timeout(300)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=30_000
    )
    page.wait_for_timeout(500)


# Streamlit's frontend probes these below a deep URL (/library/_stcore/health) and falls
# back to the root: its own 404s, not the studio's.
PROBES = re.compile(r"/[^/]+/_stcore/(health|host-config)$")


def watch(page: Any) -> tuple[list[str], list[str]]:
    """Console errors and uncaught exceptions, and requests for anything not on this
    machine, as they happen on ``page``."""
    errors: list[str] = []
    away: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and not PROBES.search(message.location.get("url", "")):
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: None if "//127.0.0.1" in r.url else away.append(r.url))
    return errors, away


@contextlib.contextmanager
def studio_up(settings: Settings) -> Iterator[str]:
    """`veogen up` (studio, engine) on a free port; its base URL; stopped with Ctrl-C."""
    port = free_port()
    env = {**os.environ, **settings.as_env()}
    up = subprocess.Popen([sys.executable, "-m", "studio.cli", "up", "--port", str(port)], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: answers(f"{base}/_stcore/health"), "the studio")
        yield base
    finally:
        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=60) == 0
