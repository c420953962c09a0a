"""The engine's own HTTP endpoints: ``/metrics`` for Prometheus, ``/healthz`` (alive) and
``/readyz`` (Redis and SQL reachable).

Served by a small threaded WSGI server beside the event loop, so a scrape or a probe never
waits on the jobs' loop, nor they on it. Each check answers 200 "ok", or 503 and why not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from storage.errors import SettingsError

# A check: None when all is well, else what is wrong, in words.
Check = Callable[[], str | None]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Probes every few seconds are not news."""


class Endpoints:
    def __init__(self, registry: CollectorRegistry, checks: dict[str, Check]) -> None:
        """``checks``: each path's check, such as ``{"/healthz": ..., "/readyz": ...}``."""
        self.metrics = make_wsgi_app(registry)
        self.checks = checks
        self._server: ThreadingWSGIServer | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/metrics":
            return self.metrics(environ, start_response)  # type: ignore[no-any-return]
        check = self.checks.get(path)
        if check is None:
            return _answer(
                start_response,
                "404 Not Found",
                "no such page: /metrics, " + (", ".join(self.checks)),
            )
        problem = check()
        if problem is None:
            return _answer(start_response, "200 OK", "ok")
        return _answer(start_response, "503 Service Unavailable", problem)

    def start(self, address: str, port: int) -> int:
        """Listen on ``address:port`` in a thread of its own; returns the port (given 0 for
        any free one). A port in use is refused at start, by the setting's name."""
        try:
            server = make_server(address, port, self, ThreadingWSGIServer, handler_class=_Quiet)
        except OSError as exc:
            raise SettingsError(
                f"VEOGEN_ENGINE_METRICS_PORT: cannot listen on {address}:{port} "
                f"({exc.strerror}); give each engine on this machine a port of its own, or 0 "
                "for none"
            ) from None
        self._server = server
        threading.Thread(target=server.serve_forever, name="endpoints", daemon=True).start()
        return int(server.server_port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _answer(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = (text + "\n").encode()
    start_response(
        status,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
