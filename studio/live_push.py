"""The live room pushed to each viewer's player, beside the studio's pages.

``GET /live/{room}/events`` is a stream of Server-Sent Events: the room's clock, whether
this viewer presents, and each new state of the presenter's, read from the room's Redis
stream with XREAD BLOCK as it is written. ``POST /live/{room}/lead`` takes a presenter's
act. So a follower is one Redis round trip and one HTTP write behind the presenter, and no
page run is on the way (a page polling the room from a timed fragment put 11 pages' runs on
two cores, and the follow lag over a second: docs/benchmarks.md, "Live review").

Both ask for the viewer's pass (``LiveRoom.admit``): a page makes one after its own
permission check and keeps it alive with its heartbeat, and a guest shown out loses theirs
(``LiveRoom.dismiss``), so their stream ends within a second.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import AsyncIterator
from dataclasses import asdict
from functools import lru_cache
from typing import Any, cast

import redis
import redis.asyncio as aioredis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from studio.live import LEAD, STREAM_LENGTH, Fields, LiveRoom, LiveState, state_from

WAIT_MS = 1000  # an XREAD waits this long: also how soon a lapsed pass ends its stream
KEEP_ALIVE_S = 15.0  # a quiet stream says something this often, so proxies keep it open
MOST_BYTES = 256 * 1024  # a presenter's act with its drawing: far more than 500 points
ROOM = re.compile(r"[A-Za-z0-9_-]{1,64}")
NO_PASS = "This page's pass to the live review is not valid (any more): reload the page."


def live_routes(redis_url: str, prefix: str) -> list[Route]:
    """The room's two routes, over the Redis at ``redis_url`` under ``prefix``."""
    sync_client = redis.Redis.from_url(redis_url)
    clients: dict[int, aioredis.Redis] = {}  # one per event loop: a client is bound to one

    def client() -> aioredis.Redis:
        loop = id(asyncio.get_running_loop())
        if loop not in clients:
            clients[loop] = aioredis.Redis.from_url(redis_url)
        return clients[loop]

    @lru_cache(maxsize=256)
    def room(room_id: str) -> LiveRoom:
        return LiveRoom(sync_client, prefix, room_id)

    async def events(request: Request) -> Response:
        room_id = str(request.path_params["room"])
        if not ROOM.fullmatch(room_id):
            return _refused(404, "There is no such live review.")
        the_room = room(room_id)
        viewer_pass = request.query_params.get("pass", "")
        me = await client().get(the_room.pass_key(viewer_pass))
        if me is None:
            return _refused(403, NO_PASS)
        stream = _stream(client(), the_room, viewer_pass, int(me))
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # nginx: no buffer
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)

    async def lead(request: Request) -> Response:
        room_id = str(request.path_params["room"])
        if not ROOM.fullmatch(room_id):
            return _refused(404, "There is no such live review.")
        if int(request.headers.get("content-length") or 0) > MOST_BYTES:
            return _refused(413, f"A presenter's act is at most {MOST_BYTES // 1024} KB.")
        try:
            act = _act(json.loads(await request.body()))
        except (ValueError, TypeError) as exc:
            return _refused(400, str(exc))
        the_room, aclient = room(room_id), client()
        me = await aclient.get(the_room.pass_key(request.query_params.get("pass", "")))
        if me is None:
            return _refused(403, NO_PASS)
        keys, args = the_room.lead_call(int(me), **act)
        if not await aclient.register_script(LEAD)(keys=keys, args=args):
            return _refused(403, "Someone else is presenting now, or the live review has ended.")
        return JSONResponse({"ok": True})

    return [
        Route("/live/{room}/events", events, methods=["GET"]),
        Route("/live/{room}/lead", lead, methods=["POST"]),
    ]


def _refused(status: int, why: str) -> Response:
    return JSONResponse({"error": why}, status_code=status)


def _act(body: Any) -> dict[str, Any]:
    """A presenter's act as posted, checked field by field (ValueError names the field)."""
    if not isinstance(body, dict):
        raise ValueError("A presenter's act is a JSON object.")
    item, position, playing = body.get("item"), body.get("position"), body.get("playing")
    shapes, at = body.get("shapes", []), body.get("at")
    if not isinstance(item, str) or not 0 < len(item) <= 64:
        raise ValueError("item: the item's key, 1 to 64 characters.")
    if not isinstance(position, int | float) or not math.isfinite(position) or position < 0:
        raise ValueError("position: seconds into the item, 0 or more.")
    if not isinstance(playing, bool):
        raise ValueError("playing: true or false.")
    if not isinstance(shapes, list) or not all(isinstance(s, dict) for s in shapes):
        raise ValueError("shapes: a list of drawn shapes.")
    if at is not None and (not isinstance(at, int | float) or not math.isfinite(at)):
        raise ValueError("at: a time on the room's clock, in seconds.")
    return {"item": item, "position": float(position), "playing": playing, "shapes": shapes,
            "at": None if at is None else float(at)}  # fmt: skip


async def _stream(
    client: aioredis.Redis, room: LiveRoom, viewer_pass: str, me: int
) -> AsyncIterator[str]:
    """The room as this viewer sees it, from its latest state, until their pass lapses."""
    keys = room.keys
    yield "retry: 1000\n\n"  # a dropped connection is tried again after a second
    pipe = client.pipeline(transaction=True)
    pipe.hgetall(keys["state"])
    pipe.xrevrange(keys["events"], count=1)
    state_fields, newest = await pipe.execute()
    last_id = newest[0][0] if newest else b"0-0"
    state, leading, quiet = state_from(cast(Fields, state_fields)), None, 0.0
    while True:
        pipe = client.pipeline(transaction=True)
        pipe.time()
        pipe.get(keys["presenter"])
        pipe.get(room.pass_key(viewer_pass))
        (seconds, micros), presenter, holder = await pipe.execute()
        if holder is None or int(holder) != me:
            return
        presents = presenter is not None and int(presenter) == me
        if state is not None or presents != leading:  # the first time round, always
            yield _event(seconds + micros / 1e6, presents, state)
            state, leading, quiet = None, presents, 0.0
        elif quiet >= KEEP_ALIVE_S:
            yield ": still here\n\n"
            quiet = 0.0
        found = await client.xread({keys["events"]: last_id}, count=STREAM_LENGTH, block=WAIT_MS)
        entries = cast(list[tuple[bytes, Fields]], found[0][1] if found else [])  # type: ignore[index]
        if entries:
            last_id = entries[-1][0]
            states = [f for _, f in entries if f[b"kind"] == b"state"]
            state = state_from(states[-1]) if states else None
        else:
            quiet += WAIT_MS / 1000


def _event(now: float, leading: bool, state: LiveState | None) -> str:
    body = {"now": now, "leading": leading, "state": asdict(state) if state else None}
    return f"data: {json.dumps(body)}\n\n"
