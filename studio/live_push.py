"""The live room pushed to each viewer's player, beside the studio's pages.

``GET /live/{room}/events`` is a stream of Server-Sent Events: the room's clock, whether
this viewer presents, and each new state of the presenter's. ``POST /live/{room}/lead``
takes a presenter's act. So a follower is one Redis round trip and one HTTP write behind
the presenter, and no page run is on the way (a page polling the room from a timed
fragment put 11 pages' runs on two cores, and the follow lag over a second:
docs/benchmarks.md, "Live review").

In each studio process one reader per room (``_Room``) waits on the room's stream with
XREAD BLOCK and hands the newest state to that room's viewers; so a room of any size holds
one Redis connection, and each viewer is a queue of one in memory. Both routes ask for
the viewer's pass (``LiveRoom.admit``): a page makes one after its own permission check
and keeps it alive with its heartbeat; someone shown out loses theirs (``dismiss``), and
their stream ends within a second.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import redis
import redis.asyncio as aioredis
import streamlit as st
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from storage.comments import clean_drawing
from storage.errors import InvalidInput
from storage.validation import Checker
from studio.live import LEAD, STREAM_LENGTH, Fields, LiveState, RoomKeys, state_from

WAIT_MS = 1000  # a read waits this long: also how soon a lapsed pass ends its stream
KEEP_ALIVE_S = 15.0  # a quiet stream says something this often, so proxies keep it open
MOST_BYTES = 256 * 1024  # a presenter's act with its drawing (2,000 points at most)
MOST_DEPTH = 8  # an act's JSON nests no deeper than a drawing's points
ROOM = re.compile(r"[A-Za-z0-9_-]{1,64}")
NO_ROOM = "There is no such live review."
NO_PASS = "This page's pass to the live review is not valid (any more): reload the page."
NOT_PRESENTING = "Someone else is presenting now, or the live review has ended."
AWAY = "The live review cannot be reached just now (its Redis does not answer)."
NOT_AN_ACT = "A presenter's act is a JSON object: item, position, playing, shapes, at."


@dataclass
class _Heard:
    """What the room's reader last heard: Redis's clock, who presents, and the newest state
    since the viewer last looked (None: nothing new)."""

    now: float = 0.0
    presenter: int | None = None
    state: LiveState | None = None
    passes: set[str] = field(default_factory=set)  # of the viewers still admitted


class _Viewer:
    """One open stream: what it has not sent yet, and a bell that rings when there is more."""

    def __init__(self, viewer_pass: str, me: int) -> None:
        self.viewer_pass, self.me = viewer_pass, me
        self.state: LiveState | None = None
        self.bell = asyncio.Event()

    def hear(self, state: LiveState | None) -> None:
        if state is not None:
            self.state = state  # a state is whole: a newer one replaces one not yet sent
        self.bell.set()


class _Room:
    """One room's reader in this process, while anyone here watches it."""

    def __init__(self, client: aioredis.Redis, keys: RoomKeys) -> None:
        self.client, self.keys = client, keys
        self.viewers: set[_Viewer] = set()
        self.heard = _Heard()
        self.task: asyncio.Task[None] | None = None

    async def read(self) -> None:
        """Until nobody here watches: each new state, and a look round every WAIT_MS. If
        Redis goes away it stops, its viewers' streams end, and their pages try again."""
        keys, last_id = self.keys.keys, b"0-0"
        try:
            newest = cast(list[tuple[bytes, Fields]],
                          await self.client.xrevrange(keys["events"], count=1))  # fmt: skip
            if newest:
                last_id = newest[0][0]
            while self.viewers:
                found = await self.client.xread({keys["events"]: last_id}, count=STREAM_LENGTH,
                                                block=WAIT_MS)  # fmt: skip
                entries = cast(list[tuple[bytes, Fields]], found[0][1] if found else [])  # type: ignore[index]
                states = [f for _, f in entries if f[b"kind"] == b"state"]
                if entries:
                    last_id = entries[-1][0]
                await self.look(state_from(states[-1]) if states else None)
        except (redis.RedisError, OSError):
            return

    async def look(self, state: LiveState | None) -> None:
        """Redis's clock, who presents and whose passes hold, told to every viewer with
        ``state`` (new, or None)."""
        watching = list(self.viewers)
        pipe = self.client.pipeline(transaction=False)
        pipe.time()
        pipe.get(self.keys.keys["presenter"])
        for viewer in watching:
            pipe.get(self.keys.pass_key(viewer.viewer_pass))
        (seconds, micros), presenter, *holders = await pipe.execute()
        held = {v.viewer_pass for v, h in zip(watching, holders, strict=True)
                if h is not None and int(h) == v.me}  # fmt: skip
        self.heard = _Heard(seconds + micros / 1e6, int(presenter) if presenter else None,
                            state, held)  # fmt: skip
        for viewer in watching:
            viewer.hear(state)


def live_routes(redis_url: str, prefix: str) -> list[Route]:
    """The room's two routes, over the Redis at ``redis_url`` under ``prefix``."""
    clients: dict[int, tuple[aioredis.Redis, Any]] = {}  # per event loop: a client is bound
    rooms: dict[str, _Room] = {}

    def connection() -> tuple[aioredis.Redis, Any]:
        """This loop's client, and the ``LEAD`` script on it."""
        loop = id(asyncio.get_running_loop())
        if loop not in clients:
            made = aioredis.Redis.from_url(redis_url)
            clients[loop] = made, made.register_script(LEAD)
        return clients[loop]

    def client() -> aioredis.Redis:
        return connection()[0]

    async def events(request: Request) -> Response:
        keys = _keys(prefix, request)
        if keys is None:
            return _refused(404, NO_ROOM)
        viewer_pass = request.query_params.get("pass", "")
        try:
            me = await client().get(keys.pass_key(viewer_pass))
        except (redis.RedisError, OSError):
            return _refused(503, AWAY)
        if me is None:
            return _refused(403, NO_PASS)
        room = rooms.setdefault(keys.room_id, _Room(client(), keys))
        stream = _stream(room, _Viewer(viewer_pass, int(me)))
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # nginx: no buffer
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)

    async def lead(request: Request) -> Response:
        keys = _keys(prefix, request)
        if keys is None:
            return _refused(404, NO_ROOM)
        try:
            me = await client().get(keys.pass_key(request.query_params.get("pass", "")))
            if me is None:
                return _refused(403, NO_PASS)
            act = _act(await _body(request))
            done = await connection()[1](*keys.lead_call(int(me), **act))
        except _TooLarge as exc:
            return _refused(413, str(exc))
        except ValueError as exc:
            return _refused(400, str(exc))
        except InvalidInput as exc:
            return _refused(400, exc.in_words())
        except (redis.RedisError, OSError):
            return _refused(503, AWAY)
        return JSONResponse({"ok": True}) if done else _refused(403, NOT_PRESENTING)

    return [
        Route(live_base("{room}") + "/events", events, methods=["GET"]),
        Route(live_base("{room}") + "/lead", lead, methods=["POST"]),
    ]


def live_base(room_id: str) -> str:
    """Where a room's routes are: under ``server.baseUrlPath``, as the pages are, so that a
    proxy forwarding the studio's path forwards these too."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{'/' + base if base else ''}/live/{room_id}"


def _keys(prefix: str, request: Request) -> RoomKeys | None:
    room_id = str(request.path_params["room"])
    return RoomKeys(prefix, room_id) if ROOM.fullmatch(room_id) else None


def _refused(status: int, why: str) -> Response:
    return JSONResponse({"error": why}, status_code=status)


class _TooLarge(ValueError):
    pass


async def _body(request: Request) -> Any:
    """The posted JSON, read no further than MOST_BYTES (ValueError beyond, or if it nests
    deeper than an act does)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MOST_BYTES:
            raise _TooLarge(f"A presenter's act is at most {MOST_BYTES // 1024} KB.")
    depth = deepest = 0
    for byte in body:  # before parsing: a deep nest would exhaust Python's recursion
        depth += (byte in b"[{") - (byte in b"]}")
        deepest = max(deepest, depth)
    if deepest > MOST_DEPTH:
        raise ValueError(NOT_AN_ACT)
    try:
        return json.loads(body)
    except ValueError:
        raise ValueError(NOT_AN_ACT) from None


def _act(body: Any) -> dict[str, Any]:
    """A presenter's act as posted, checked field by field (refusals name the field)."""
    if not isinstance(body, dict):
        raise ValueError(NOT_AN_ACT)
    check = Checker(body)
    item = check.text("item", limit=64, required=True)
    position, playing, at = body.get("position"), body.get("playing"), body.get("at")
    if not isinstance(position, int | float) or not math.isfinite(position) or position < 0:
        check.fail("position", "must be seconds into the item, 0 or more")
    if not isinstance(playing, bool):
        check.fail("playing", "must be true or false")
    if at is not None and (not isinstance(at, int | float) or not math.isfinite(at)):
        check.fail("at", "must be a time on the room's clock, in seconds")
    shapes = clean_drawing(check, body.get("shapes"))
    check.done()
    return {"item": item, "position": float(cast(float, position)), "playing": playing,
            "shapes": shapes or [], "at": None if at is None else float(at)}  # fmt: skip


async def _stream(room: _Room, viewer: _Viewer) -> AsyncIterator[str]:
    """The room as ``viewer`` sees it, from its latest state, until their pass lapses."""
    yield "retry: 1000\n\n"  # a dropped connection is tried again after a second
    keys = room.keys.keys
    try:
        viewer.state = state_from(cast(Fields, await room.client.hgetall(keys["state"])))
        room.viewers.add(viewer)
        if room.task is None or room.task.done():
            room.task = asyncio.create_task(room.read())
        await room.look(None)  # now, not after the reader's first wait
        leading, quiet = None, 0.0
        while True:
            heard = room.heard
            if viewer.viewer_pass not in heard.passes:
                return
            presents = heard.presenter == viewer.me
            if viewer.state is not None or presents != leading:  # the first time, always
                yield _event(heard.now, presents, viewer.state)
                viewer.state, leading, quiet = None, presents, 0.0
            elif quiet >= KEEP_ALIVE_S:
                yield ": still here\n\n"
                quiet = 0.0
            viewer.bell.clear()
            try:
                await asyncio.wait_for(viewer.bell.wait(), timeout=2 * WAIT_MS / 1000)
            except TimeoutError:  # the reader stopped (Redis away): the page tries again
                return
            quiet += WAIT_MS / 1000
    except (redis.RedisError, OSError):
        return  # the browser connects again in a second
    finally:
        room.viewers.discard(viewer)


def _event(now: float, leading: bool, state: LiveState | None) -> str:
    body = {"now": now, "leading": leading, "state": asdict(state) if state else None}
    return f"data: {json.dumps(body)}\n\n"
