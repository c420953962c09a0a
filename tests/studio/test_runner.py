"""`veogen up`: a child that dies is started again, the studio answers only this machine,
and the engine serves its metrics and health."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from storage.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children_of(pid: int) -> dict[int, str]:
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(proc.name)] = command
    return found


def listening_on(port: int) -> set[str]:
    """The IPv4 addresses a socket listens on at ``port`` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def wait_for(check: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


def test_a_dead_engine_is_started_again_and_the_studio_listens_on_loopback(
    settings: Settings, tmp_path: Path
) -> None:
    port, metrics = free_port(), free_port()
    log = tmp_path / "up.log"
    with log.open("w") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "studio.cli", "up", "--port", str(port)],
            env={**os.environ, **settings.as_env(), "VEOGEN_ENGINE_METRICS_PORT": str(metrics)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def answers(url: str = f"http://127.0.0.1:{port}/_stcore/health") -> bool:
            try:
                return urllib.request.urlopen(url, timeout=2).status == 200
            except OSError:
                return False

        wait_for(answers, "the studio")
        engines = lambda: [p for p, c in children_of(up.pid).items() if " engine" in c]  # noqa: E731
        wait_for(lambda: len(engines()) == 1, "the engine")
        [first] = engines()
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: engines() not in ([], [first]), "a new engine")
        assert up.poll() is None and answers()  # the studio never stopped
        engine_ready = f"http://127.0.0.1:{metrics}/readyz"  # the new engine's, on the same port
        wait_for(lambda: answers(engine_ready), "the engine's readiness")
        text = log.read_text()
        assert f"The engine's metrics: http://127.0.0.1:{metrics}/metrics" in text
        assert "veogen: the engine stopped (exit code -9); starting it again" in text
        assert "Only this machine can reach it" in text
        assert listening_on(port) == {"127.0.0.1"}
    finally:
        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=60) == 0
