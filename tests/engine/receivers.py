"""Real local servers the notifier talks to: an HTTP endpoint for webhooks and an SMTP
server (aiosmtpd) for e-mail, each recording what reached it."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.pages.browser import free_port


@dataclass(frozen=True)
class Call:
    path: str
    headers: dict[str, str]
    body: str
    at: float  # time.time() when it arrived


class WebhookReceiver:
    """Answers ``/held`` with 200 once ``release`` is set (or after a minute), ``/broken``
    with 500, ``/moved`` with a redirect to ``/in``, anything else with 200 at once."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.release = threading.Event()
        calls, lock, release = self.calls, threading.Lock(), self.release

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                with lock:
                    calls.append(Call(self.path, dict(self.headers), body, time.time()))
                if self.path == "/held":
                    release.wait(timeout=60)
                self.send_response({"/broken": 500, "/moved": 302}.get(self.path, 200))
                if self.path == "/moved":
                    self.send_header("Location", "/in")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class _Inbox:
    """aiosmtpd's handler: keeps each message as it arrived."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[EmailMessage]]]:
    """A real SMTP server on a free port of this machine: its port and what it received."""
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox.messages
    finally:
        controller.stop()
