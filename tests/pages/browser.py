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
from pathlib import Path
from typing import Any

import pytest

from storage import accounts
from storage.db import Database
from storage.settings import Settings
from storage.users import LOCAL_EMAIL, bootstrap_admin, local_user

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
    page.on("request", lambda r: None if _here(r.url) else away.append(r.url))
    return errors, away


def _here(url: str) -> bool:
    return url.startswith(("http://127.0.0.1:", "http://localhost:", "data:", "blob:"))


OPEN = re.compile(r"^Open$")  # a project card's button (a select box's toggle is also "Open")
PASSWORD = "a studio password"  # the local user's, for signing in through the local provider


def sign_in(page: Any, base: str, email: str = LOCAL_EMAIL, password: str = PASSWORD) -> None:
    """Sign in through the studio's own provider, as a person does: the studio's button,
    the provider's form, and back to the studio."""
    provider_form(page, base, email, password)
    page.wait_for_url(f"{base}/**")
    idle(page)


def provider_form(page: Any, base: str, email: str, password: str) -> None:
    """The studio's sign-in button, then the provider's form filled and sent."""
    page.goto(f"{base}/")
    idle(page)
    page.get_by_role("button", name="Sign in with").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@contextlib.contextmanager
def studio_up(
    settings: Settings, log: Path | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """`veogen up` (studio, engine, sign-in provider) on free ports, with an account for
    the local user; its base URL; stopped with Ctrl-C. Its output goes to ``log`` if
    given (what an operator would read), else to the test's."""
    port = free_port()
    env = {**os.environ, **settings.as_env(), "VEOGEN_IDP_PORT": str(free_port())}
    env.update(extra_env or {})
    db = Database(settings.db_url)
    db.migrate()
    admin = bootstrap_admin(db) or local_user(db)  # the local user is the first admin
    if LOCAL_EMAIL not in accounts.account_emails(db):
        accounts.add_account(db, admin, LOCAL_EMAIL, "Local creator", PASSWORD)
    out = log.open("wb") if log else None
    command = [sys.executable, "-m", "studio.cli", "up", "--port", str(port)]
    up = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT if out else None)
    try:
        base = f"http://localhost:{port}"  # the address sign-in returns to: its cookie is here
        wait_for(lambda: answers(f"{base}/_stcore/health"), "the studio")
        yield base
    finally:
        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=60) == 0
        if out:
            out.close()


def faked_clock(at: Path) -> dict[str, str]:
    """The environment that runs a process on a clock the test moves (libfaketime): write
    "+2d" to ``at`` and its time is two days on. Skips when libfaketime is missing."""
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    if not found:
        pytest.skip("moving the studio's clock needs libfaketime (Debian's package 'libfaketime')")
    at.write_text("+0\n")
    return {"LD_PRELOAD": str(found[0]), "FAKETIME_TIMESTAMP_FILE": str(at),
            "FAKETIME_NO_CACHE": "1"}  # fmt: skip


@contextlib.contextmanager
def streamlit_up(script: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """`streamlit run script` from the repository (its .streamlit settings apply) on a free
    port, with ``env`` added to this environment; its base URL; stopped at the end."""
    port = free_port()
    root = Path(__file__).parents[2]
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    with log.open("wb") as out:
        app = subprocess.Popen(command, cwd=root, env={**os.environ, **env}, stdout=out,
                               stderr=subprocess.STDOUT)  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(
                lambda: app.poll() is None and answers(f"{base}/_stcore/health"), str(script), 60
            )
            yield base
        finally:
            app.terminate()
            app.wait(timeout=30)


def choose(page: Any, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label``, as a person types it; again if
    a rerun redrew the list under the keys."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label)
    field = box.locator("input").first
    for _ in range(3):
        field.click()
        page.keyboard.type(option)
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")  # once left, the box shows what is chosen, not what was typed
        page.wait_for_timeout(300)
        if option in field.input_value():
            return
    raise AssertionError(f"{label}: could not choose {option!r}")


def upload(page: Any, path: Path) -> None:
    """Put a file in the page's uploader, and wait until the uploader shows it."""
    page.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_text(path.name).first.wait_for()
