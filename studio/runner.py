"""`veogen up`: the embedded Redis, one engine, the sign-in provider and the studio,
stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from engine import queue_address, start_embedded
from storage import accounts
from storage.db import Database
from storage.settings import Settings
from storage.users import bootstrap_admin
from studio.identity.local import local_provider, own_providers, secrets_file

APP = Path(__file__).with_name("server.py")  # the pages, and the routes beside them
ROOT = APP.parent.parent


LOOPBACK = ("127.0.0.1", "localhost", "::1")


OWN_SECRETS = ROOT / ".streamlit" / "secrets.toml"  # the operator's, if any


def studio_command(address: str, port: int, secrets: list[Path] | None = None) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        *(["--secrets.files", ",".join(str(p) for p in secrets)] if secrets else []),
    ]


def sign_in_setup(settings: Settings, port: int) -> tuple[list[Path], list[str] | None]:
    """The secrets the studio signs in with, and the command of the local provider (None
    when `.streamlit/secrets.toml` configures providers of its own)."""
    if own_providers(OWN_SECRETS):
        return [OWN_SECRETS], None
    provider = local_provider(settings, port)
    secrets = [p for p in (OWN_SECRETS,) if p.exists()] + [secrets_file(settings, provider)]
    command = [sys.executable, "-m", "studio.cli", "identity", "--studio-port", str(port)]
    return secrets, command


def first_admin(settings: Settings) -> str | None:
    """How the first admin signs in, said once: their e-mail and a password made now, when
    the studio has no admin yet and no account for them."""
    db = Database(settings.db_url)
    admin = bootstrap_admin(db)
    if admin is None or admin.email in accounts.account_emails(db):
        return None
    password = accounts.new_password()
    accounts.add_account(db, admin, admin.email, "Studio admin", password)
    return (
        f"First sign-in: {admin.email} with the password {password} (shown only this once; "
        f"change it with `veogen --as {admin.email} user password {admin.email}`)."
    )


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


# A child that stops is started again; one that stops this often in a minute is broken.
RESTARTS_PER_MINUTE = 5


def up(settings: Settings, port: int) -> int:
    # Ctrl-C, and a supervisor's SIGTERM, stop all three (even when started in the background).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    Database(settings.db_url).migrate()
    env = {**os.environ, **settings.as_env()}
    starters: dict[str, Callable[[], subprocess.Popen[bytes]]] = {}
    if not settings.redis_url:
        starters["redis"] = lambda: start_embedded(settings.redis_dir)
        env["VEOGEN_REDIS_URL"] = queue_address(settings)
    engine = [sys.executable, "-m", "studio.cli", "engine"]
    starters["engine"] = lambda: subprocess.Popen(engine, env=env)
    secrets, identity = sign_in_setup(settings, port)
    if identity:
        starters["sign-in provider"] = lambda: subprocess.Popen(identity, env=env)
        said = first_admin(settings)
        if said:
            print(said, flush=True)
    command = studio_command(settings.studio_address, port, secrets)
    starters["studio"] = lambda: subprocess.Popen(command, env=env, cwd=ROOT)
    children: dict[str, subprocess.Popen[bytes]] = {}
    stops: dict[str, list[float]] = {name: [] for name in starters}
    try:
        for name, start in starters.items():
            children[name] = start()
        print(f"VeoGen Studio is running at {studio_url(settings, port)}  (Ctrl-C stops it)")
        print(exposure(settings.studio_address), flush=True)
        if settings.engine_metrics_port:
            where = f"http://{settings.engine_metrics_address}:{settings.engine_metrics_port}"
            print(f"The engine's metrics: {where}/metrics (health: /healthz, /readyz)", flush=True)
        while True:
            for name, child in children.items():
                if child.poll() is None:
                    continue
                now = time.monotonic()
                stops[name] = [t for t in stops[name] if now - t < 60] + [now]
                if len(stops[name]) > RESTARTS_PER_MINUTE:
                    print(f"veogen: the {name} stopped {len(stops[name])} times in a minute "
                          f"(exit code {child.returncode}); stopping the rest", file=sys.stderr)  # fmt: skip
                    return 1
                print(f"veogen: the {name} stopped (exit code {child.returncode}); starting it "
                      "again", file=sys.stderr, flush=True)  # fmt: skip
                children[name] = starters[name]()
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nveogen: stopping…", flush=True)
        return 0
    finally:
        # One at a time, in reverse: the engine finishes with Redis still there.
        for child in reversed(children.values()):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=40)
            except subprocess.TimeoutExpired:
                child.kill()


def studio_url(settings: Settings, port: int) -> str:
    host = "localhost" if settings.studio_address in LOOPBACK else settings.studio_address
    return f"http://{host}:{port}"


def exposure(address: str) -> str:
    """Whom the studio answers (every visitor signs in first)."""
    if address in LOOPBACK:
        return (
            "Only this machine can reach it; set VEOGEN_STUDIO_ADDRESS=0.0.0.0 to open it to "
            "your network (everyone signs in first)."
        )
    return f"Listening on {address}: anyone who reaches it can try to sign in."
