"""`veogen up`: the embedded Redis, one engine and the studio, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from engine import queue_address, start_embedded
from storage.db import Database
from storage.settings import Settings

APP = Path(__file__).with_name("app.py")
ROOT = APP.parent.parent


def studio_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def up(settings: Settings, port: int) -> int:
    # Ctrl-C, and a supervisor's SIGTERM, stop all three (even when started in the background).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    Database(settings.db_url).migrate()
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    env = {**os.environ, **settings.as_env()}
    try:
        if not settings.redis_url:
            children.append(("redis", start_embedded(settings.redis_dir)))
            env["VEOGEN_REDIS_URL"] = queue_address(settings)
        children.append(
            ("engine", subprocess.Popen([sys.executable, "-m", "studio.cli", "engine"], env=env))
        )
        children.append(("studio", subprocess.Popen(studio_command(port), env=env, cwd=ROOT)))
        print(f"VeoGen Studio is running at http://localhost:{port}  (Ctrl-C stops it)", flush=True)
        while True:
            for name, child in children:
                if child.poll() is not None:
                    print(
                        f"veogen: the {name} stopped (exit code {child.returncode}); stopping the rest",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nveogen: stopping…", flush=True)
        return 0
    finally:
        # One at a time, in reverse: the engine finishes with Redis still there.
        for _, child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=40)
            except subprocess.TimeoutExpired:
                child.kill()
