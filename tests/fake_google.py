"""A fake Google endpoint that speaks the wire protocol google-genai uses in Vertex AI mode.

Read from the SDK's own source (``models.py``, ``operations.py``): a Veo job is
``POST /v1beta1/projects/P/locations/L/publishers/google/models/M:predictLongRunning``
with ``{"instances": [...], "parameters": {...}}``, answered with an operation name; its
status is ``POST .../models/M:fetchPredictOperation`` with ``{"operationName": ...}``,
answered with ``{"name", "done", "response": {"videos": [...], "raiMediaFilteredCount",
"raiMediaFilteredReasons"}}`` or ``{"error": {...}}``. Gemini text is ``:generateContent``.
Errors are Google's JSON: ``{"error": {"code", "message", "status"}}``.

Tests script what happens (errors before a submission is accepted, the outcome of each
operation, poll failures), read back every request body, and count submissions.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from tests.clips import mp4_bytes

TOKEN = "fake-token"
LOST = 0  # a scripted "error" that drops the connection instead of answering
STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
MODEL_PATH = re.compile(
    r"^/v1beta1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+):(?P<verb>\w+)$"
)
GCS_PATH = re.compile(r"^/storage/v1/b/(?P<bucket>[^/]+)/o/(?P<name>[^?]+)\?alt=media$")


@dataclass
class Outcome:
    """How one operation ends. ``blocked`` samples are held back by the safety filter."""

    blocked: int = 0
    reasons: tuple[str, ...] = ()
    error: dict[str, Any] | None = None
    never: bool = False  # the operation never finishes: the engine's timeout must end it


@dataclass
class Operation:
    name: str
    body: dict[str, Any]
    outcome: Outcome
    ready_at: float
    polls: int = 0
    seen_at: float | None = None  # when a poll first found it done


@dataclass
class FakeGoogle:
    generation_seconds: float = 0.2
    video_seconds_scale: float = 1.0  # fake videos can be shorter than asked, to keep tests fast
    submit_seconds: float = 0.0  # a slow round trip: the request is accepted, the answer waits
    token: str = TOKEN  # the access token Google accepts now
    after_submit: Callable[[], None] | None = None  # e.g. the token expires once Veo works
    submissions: list[dict[str, Any]] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    operations: dict[str, Operation] = field(default_factory=dict)
    submit_errors: list[tuple[int, str]] = field(default_factory=list)
    poll_errors: list[tuple[int, str]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    gemini_replies: list[str] = field(default_factory=list)
    gemini_requests: list[dict[str, Any]] = field(default_factory=list)
    objects: dict[str, bytes] = field(default_factory=dict)
    peak_in_flight: int = 0
    last_submission: float = 0.0  # time.monotonic() of the latest accepted submission

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._videos: dict[tuple[float, bool, bool], bytes] = {}
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = _Server(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> FakeGoogle:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return sum(1 for op in self.operations.values() if not self._done(op))

    def _done(self, op: Operation) -> bool:
        return not op.outcome.never and time.monotonic() >= op.ready_at

    # -- the protocol -----------------------------------------------------------------------

    def submit(self, model: str, body: dict[str, Any], prefix: str) -> tuple[int, dict[str, Any]]:
        """Accept a Veo job. A scripted error of code ``LOST`` accepts it and then drops the
        connection without answering: the request reached Google, its answer did not."""
        with self._lock:
            lost = bool(self.submit_errors) and self.submit_errors[0][0] == LOST
            if self.submit_errors and not lost:
                code, message = self.submit_errors.pop(0)
                return code, _error(code, message)
            if lost:
                self.submit_errors.pop(0)
            problem = _invalid(body)
            if problem:
                return 400, _error(400, problem)
            self.submissions.append({"model": model, **body})
            self.last_submission = time.monotonic()
            outcome = self.outcomes.pop(0) if self.outcomes else Outcome()
            name = f"{prefix}/publishers/google/models/{model}/operations/{next(self._ids)}"
            self.operations[name] = Operation(
                name, body, outcome, time.monotonic() + self.generation_seconds
            )
            live = sum(1 for op in self.operations.values() if not self._done(op))
            self.peak_in_flight = max(self.peak_in_flight, live)
        return (LOST, {}) if lost else (200, {"name": name})

    def fetch(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self.poll_errors:
                code, message = self.poll_errors.pop(0)
                return code, _error(code, message)
            op = self.operations.get(body.get("operationName", ""))
            if op is None:
                return 404, _error(404, f"Operation {body.get('operationName')} not found")
            op.polls += 1
            if not self._done(op):
                return 200, {"name": op.name, "done": False}
            op.seen_at = op.seen_at or time.monotonic()
        if op.outcome.error:
            return 200, {"name": op.name, "done": True, "error": op.outcome.error}
        return 200, {"name": op.name, "done": True, "response": self._response(op)}

    def _response(self, op: Operation) -> dict[str, Any]:
        params = op.body.get("parameters", {})
        count = params.get("sampleCount", 1)
        kept = max(0, count - op.outcome.blocked)
        seconds = params.get("durationSeconds", 8) * self.video_seconds_scale
        data = self.video(
            seconds, params.get("aspectRatio") == "9:16", params.get("generateAudio", False)
        )
        videos = []
        for index in range(kept):
            if params.get("storageUri"):
                uri = f"{params['storageUri'].rstrip('/')}/sample_{index}.mp4"
                self.objects[uri] = data
                videos.append({"gcsUri": uri, "mimeType": "video/mp4"})
            else:
                videos.append(
                    {"bytesBase64Encoded": base64.b64encode(data).decode(), "mimeType": "video/mp4"}
                )
        response: dict[str, Any] = {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
            "videos": videos,
        }
        if op.outcome.blocked:
            response["raiMediaFilteredCount"] = op.outcome.blocked
            response["raiMediaFilteredReasons"] = list(op.outcome.reasons)
        return response

    def video(self, seconds: float, portrait: bool, audio: bool) -> bytes:
        key = (round(seconds, 3), portrait, audio)
        if key not in self._videos:
            size = (180, 320) if portrait else (320, 180)
            self._videos[key] = mp4_bytes(seconds, *size, audio=audio)
        return self._videos[key]

    def generate_content(self, model: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.gemini_requests.append({"model": model, **body})
            if not self.gemini_replies:
                return 500, _error(500, "no reply scripted")
            text = self.gemini_replies.pop(0)
        return 200, {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
            ],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 20},
            "modelVersion": model,
        }


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": STATUS.get(code, "UNKNOWN")}}


def _invalid(body: dict[str, Any]) -> str | None:
    """The checks Vertex makes before it accepts a Veo request."""
    instances, params = body.get("instances"), body.get("parameters", {})
    if not instances or not isinstance(instances, list) or not instances[0].get("prompt"):
        return "instances[0].prompt is required"
    if not 1 <= params.get("sampleCount", 1) <= 4:
        return "sampleCount must be between 1 and 4"
    for key in ("image", "lastFrame"):
        image = instances[0].get(key)
        if image is not None:
            try:
                base64.b64decode(image["bytesBase64Encoded"], validate=True)
            except (KeyError, ValueError):
                return f"instances[0].{key}.bytesBase64Encoded is not base64"
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 4096  # a thousand engines' polls can arrive at once


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGoogle
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, code: int, payload: dict[str, Any] | bytes) -> None:
        if code == LOST:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(code)
        self.send_header(
            "Content-Type", "application/json" if not isinstance(payload, bytes) else "video/mp4"
        )
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.fake.token}" or self.headers.get(
            "x-goog-api-key"
        ):
            return True
        self._reply(401, _error(401, "Request had invalid authentication credentials."))
        return False

    def do_GET(self) -> None:
        match = GCS_PATH.match(self.path)
        self.fake.requests["gcs"] += 1
        if not self._authorised():
            return
        if match is None:
            self._reply(404, _error(404, "not found"))
            return
        uri = f"gs://{match['bucket']}/{unquote(match['name'])}"
        data = self.fake.objects.get(uri)
        self._reply(200, data) if data else self._reply(404, _error(404, f"{uri} not found"))

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        path = self.path.split("?")[0]
        match = MODEL_PATH.match(path) or re.match(
            r"^/v1(?:beta)?/models/(?P<model>[^/:]+):(?P<verb>\w+)$", path
        )
        if match is None:
            self._reply(404, _error(404, f"no such method {path}"))
            return
        verb = match["verb"]
        self.fake.requests[verb] += 1
        if not self._authorised():
            return
        prefix = f"projects/{match.groupdict().get('project')}/locations/{match.groupdict().get('location')}"
        if verb == "predictLongRunning":
            answer = self.fake.submit(match["model"], body, prefix)
            if self.fake.after_submit is not None:
                self.fake.after_submit()
            time.sleep(self.fake.submit_seconds)  # accepted at Google; the answer is on its way
            self._reply(*answer)
        elif verb == "fetchPredictOperation":
            self._reply(*self.fake.fetch(body))
        elif verb == "generateContent":
            self._reply(*self.fake.generate_content(match["model"], body))
        else:
            self._reply(404, _error(404, f"no such method {verb}"))
