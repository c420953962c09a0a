"""The live room's push routes over HTTP, served by a real uvicorn against a real Redis:
a viewer's pass, the stream a follower reads, a presenter's acts, and the refusals."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from starlette.applications import Starlette
from streamlit import config

from studio.live import LiveRoom
from studio.live_push import live_base, live_routes
from tests.conftest import REDIS_URL
from tests.pages.browser import free_port

ANA, BEN = 1, 2
ROOM = "31"


@pytest.fixture
def room() -> Iterator[LiveRoom]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except (redis.RedisError, OSError):
        pytest.skip("the live room needs Redis at 127.0.0.1:6379, which is not reachable")
    room = LiveRoom(client, f"test-{uuid.uuid4().hex[:10]}", ROOM)
    room.start(ANA)
    yield room
    room.delete()


@pytest.fixture
def base(room: LiveRoom) -> Iterator[str]:
    prefix = room.base.removesuffix(f":live:{ROOM}:")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=live_routes(REDIS_URL, prefix)),
                                           port=port, log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _heard(lines: Iterator[str]) -> dict[str, Any]:
    """The next event's data on a stream of Server-Sent Events."""
    for line in lines:
        if line.startswith("data: "):
            return dict(json.loads(line.removeprefix("data: ")))
    raise AssertionError("the stream ended")


def _act(**changes: Any) -> dict[str, Any]:
    return {"item": "take-4", "position": 1.25, "playing": False, "shapes": [], "at": None,
            **changes}  # fmt: skip


def test_a_follower_hears_the_presenters_act_at_once(room: LiveRoom, base: str) -> None:
    room.lead(ANA, "take-3", 0.5, False, [])
    ana, ben = room.admit(ANA), room.admit(BEN)
    with httpx.stream("GET", f"{base}/live/{ROOM}/events?pass={ben}", timeout=10) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        first = _heard(lines)  # a late joiner starts from the latest state
        assert (first["leading"], first["state"]["item"], first["state"]["position"]) == (
            False, "take-3", 0.5)  # fmt: skip
        assert abs(first["now"] - room.now()) < 1
        posted = time.monotonic()
        answer = httpx.post(f"{base}/live/{ROOM}/lead?pass={ana}", json=_act(playing=True))
        assert answer.status_code == 200, answer.text
        heard = _heard(lines)
        assert time.monotonic() - posted < 0.5
        assert (heard["state"]["item"], heard["state"]["playing"], heard["state"]["by"]) == (
            "take-4", True, ANA)  # fmt: skip


def test_who_presents_is_told_when_it_changes(room: LiveRoom, base: str) -> None:
    ben = room.admit(BEN)
    room.here(ANA, "Ana")
    room.here(BEN, "Ben", ben)
    with httpx.stream("GET", f"{base}/live/{ROOM}/events?pass={ben}", timeout=10) as stream:
        lines = stream.iter_lines()
        assert _heard(lines)["leading"] is False
        assert room.hand_over(ANA, BEN)
        room.announce("Ben is presenting now")
        assert _heard(lines)["leading"] is True
    answer = httpx.post(f"{base}/live/{ROOM}/lead?pass={ben}", json=_act())
    assert answer.status_code == 200


def test_acts_are_refused_in_words(room: LiveRoom, base: str) -> None:
    ana, ben = room.admit(ANA), room.admit(BEN)
    lead = f"{base}/live/{ROOM}/lead"
    refused = httpx.post(f"{lead}?pass={ben}", json=_act())
    assert (refused.status_code, refused.json()["error"]) == (
        403, "Someone else is presenting now, or the live review has ended.")  # fmt: skip
    for wrong, field in ((_act(position=-1), "position"), (_act(item=""), "item"),
                         (_act(playing="yes"), "playing"), (_act(shapes="box"), "drawing"),
                         ([1, 2], "JSON object"), ({"item": [[[[[[[[[[1]]]]]]]]]]}, "JSON object"),
                         ("{not json", "JSON object")):  # fmt: skip
        sent = {"content": wrong} if isinstance(wrong, str) else {"json": wrong}
        answer = httpx.post(f"{lead}?pass={ana}", **sent)  # type: ignore[arg-type]
        assert answer.status_code == 400 and field in answer.json()["error"], answer.text
    huge = httpx.post(f"{lead}?pass={ana}", json=_act(shapes=[{"points": [[0.5, 0.5]] * 40_000}]))
    assert huge.status_code == 413

    def chunks() -> Iterator[bytes]:  # no length said: it is counted as it comes
        yield b'{"item": "take-4", "shapes": ['
        for _ in range(30_000):
            yield b'{"kind": "free", "points": [[0.5, 0.5]]},'

    assert httpx.post(f"{lead}?pass={ana}", content=chunks()).status_code == 413
    assert httpx.post(f"{lead}?pass=guessed", json=_act()).status_code == 403
    assert httpx.post(f"{base}/live/a:b/lead?pass={ana}", json=_act()).status_code == 404
    assert room.latest() is None  # nothing refused was published


def test_a_stream_needs_a_pass_and_ends_when_it_is_taken_back(room: LiveRoom, base: str) -> None:
    refused = httpx.get(f"{base}/live/{ROOM}/events?pass=guessed", timeout=5)
    assert refused.status_code == 403 and "reload the page" in refused.json()["error"]
    ben = room.admit(BEN)
    with httpx.stream("GET", f"{base}/live/{ROOM}/events?pass={ben}", timeout=10) as stream:
        lines = stream.iter_lines()
        _heard(lines)
        room.dismiss(ben)  # a guest shown out
        taken_back = time.monotonic()
        assert [line for line in lines if line.startswith("data: ")] == []
        assert time.monotonic() - taken_back < 2.5


def test_a_heartbeat_gives_a_lapsed_pass_back_to_its_page(room: LiveRoom) -> None:
    ben = room.admit(BEN)
    room.redis.delete(room.pass_key(ben))  # lapsed: the laptop slept
    room.here(BEN, "Ben", ben)
    assert room.redis.get(room.pass_key(ben)) == str(BEN).encode()
    assert room.redis.ttl(room.pass_key(ben)) > 0


def test_a_room_of_many_viewers_waits_on_one_connection(room: LiveRoom, base: str) -> None:
    passes = [room.admit(100 + n) for n in range(12)]
    with contextlib.ExitStack() as streams:
        lines = [streams.enter_context(httpx.stream(
            "GET", f"{base}/live/{ROOM}/events?pass={p}", timeout=10)).iter_lines()
            for p in passes]  # fmt: skip
        for each in lines:
            _heard(each)
        time.sleep(0.3)
        waiting = [c for c in room.redis.client_list() if c["cmd"] == "xread"]
        assert len(waiting) == 1
        room.start(ANA)
        assert room.lead(ANA, "take-9", 2.0, False, []) is not None
        assert {_heard(each)["state"]["item"] for each in lines} == {"take-9"}


def test_the_routes_are_served_under_the_studios_base_path() -> None:
    config.set_option("server.baseUrlPath", "/veogen/")
    try:
        paths = [route.path for route in live_routes(REDIS_URL, "p")]  # type: ignore[attr-defined]
        assert paths == ["/veogen/live/{room}/events", "/veogen/live/{room}/lead"]
    finally:
        config.set_option("server.baseUrlPath", "")
    assert live_base("s-3") == "/live/s-3"
