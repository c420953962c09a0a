"""A live review room carried over Redis: one presenter drives, everyone else follows.

The presenter's state (item, playing, position, drawing) and the group's announcements go
on one Redis stream per room (XADD with MAXLEN ~), so a reader asks for what came after
the last entry it saw, nothing is missed between two reads, and order is kept; the latest
state is also kept in a hash, so a late joiner starts from it however long ago it was set.
A stream rather than pub/sub: a reader that reconnects asks for what came after the last
entry it saw, where pub/sub drops whatever is published between two reads.

Who presents is one key, changed only by Lua scripts that check who holds it (a presenter
hands over; a raised hand takes over once the presenter has been gone a few seconds).
Presence is a sorted set of heartbeats. Every time is Redis's clock (TIME), so studio
processes on several machines agree on it. A page admits its viewer with a pass (a random
key in Redis, kept alive by the page's heartbeat), which the room's push route
(``studio.live_push``) asks for. No Streamlit here: ``studio.live_view`` shows it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, cast

import redis

PRESENT_S = 5.0  # a heartbeat keeps one present this long; a presenter silent longer is gone
KEEP_S = 12 * 3600  # an unused room's keys expire after this
STREAM_LENGTH = 500  # about this many entries are kept: enough for a reader a moment behind
RECENT = 20  # announcements a late joiner is shown
PASS_S = 15  # a viewer's pass lasts this long past their page's last heartbeat

Shapes = list[dict[str, Any]]
Fields = dict[bytes, bytes]  # the studio's clients answer in bytes
Entry = tuple[bytes, Fields]


@dataclass(frozen=True)
class LiveState:
    """What the presenter shows: ``position`` seconds into item ``item`` (its key: an item
    keeps it when the items are reordered) at ``sent_at`` (Redis's clock), playing on from
    there or paused, with ``shapes`` drawn over it."""

    item: str
    playing: bool
    position: float
    shapes: Shapes
    sent_at: float
    seq: int  # counts the room's states: a player applies each one once
    by: int  # who presented it


@dataclass(frozen=True)
class Announcement:
    text: str
    item: str | None  # the item it is about, if any
    at: float


@dataclass(frozen=True)
class Said:
    """Announcements a reader has not seen yet, in order, and the entry to read after next."""

    announcements: list[Announcement]
    last_id: str


@dataclass(frozen=True)
class Participant:
    id: int
    name: str
    presenting: bool
    hand_raised: bool


@dataclass(frozen=True)
class Presence:
    """Who is here (the presenter first, then raised hands in the order raised, then the
    others by name), who presents even if gone, and whether the room has ended."""

    here: list[Participant]
    presenter: int | None
    presenter_here: bool
    ended: bool

    @property
    def hands(self) -> list[Participant]:
        return [p for p in self.here if p.hand_raised]

    def name_of(self, participant_id: int | None) -> str | None:
        return next((p.name for p in self.here if p.id == participant_id), None)


# KEYS: presenter, ended, seq, state, events. ARGV: participant, item, playing (0/1),
# position, shapes (JSON), at ("" for now), stream length, expiry.
LEAD = """
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return false
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local at = tonumber(ARGV[6])
if at == nil or at > now or at < now - 5 then at = now end
local sent_at = string.format('%.6f', at)
local seq = redis.call('INCR', KEYS[3])
local fields = {'kind', 'state', 'item', ARGV[2], 'playing', ARGV[3], 'position', ARGV[4],
  'shapes', ARGV[5], 'sent_at', sent_at, 'seq', seq, 'by', ARGV[1]}
redis.call('DEL', KEYS[4])
redis.call('HSET', KEYS[4], unpack(fields))
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[7], '*', unpack(fields))
for i = 1, 5 do redis.call('EXPIRE', KEYS[i], ARGV[8]) end
return {sent_at, seq}
"""

# KEYS: presenter, seen, hands, ended. ARGV: from, to, presence seconds, expiry.
# The presenter hands over to someone here.
_HAND_OVER = """
if redis.call('EXISTS', KEYS[4]) == 1 or redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local seen = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[2]))
if seen == nil or seen < now - tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[4])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
"""

# KEYS: presenter, seen, hands, ended. ARGV: who, presence seconds, expiry.
# A raised hand takes over when nobody presents, or the presenter has been gone a while.
_TAKE_OVER = """
if redis.call('EXISTS', KEYS[4]) == 1 or not redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local presenter = redis.call('GET', KEYS[1])
if presenter then
  local seen = tonumber(redis.call('ZSCORE', KEYS[2], presenter))
  if seen ~= nil and seen >= now - tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
"""

# KEYS: seen, names, presenter, pass. ARGV: who, name, expiry, pass expiry ("": no pass).
# A heartbeat; the presenter's also keeps the presenter key from expiring. It keeps the
# viewer's pass, or gives it back after a lapse (a laptop asleep): only their page knows it.
_HERE = """
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(t[1]) + tonumber(t[2]) / 1000000, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('EXPIRE', KEYS[3], ARGV[3]) end
if ARGV[4] ~= '' then redis.call('SET', KEYS[4], ARGV[1], 'EX', ARGV[4]) end
return 1
"""


class RoomKeys:
    """Where one live review session's room lives in Redis: ``{prefix}:live:{session_id}:``."""

    def __init__(self, prefix: str, session_id: int | str) -> None:
        self.room_id = str(session_id)
        self.base = f"{prefix}:live:{session_id}:"
        self.keys = {
            name: self.base + name
            for name in ("presenter", "ended", "seq", "state", "events", "seen", "names", "hands")
        }

    def pass_key(self, viewer_pass: str) -> str:
        return f"{self.base}pass:{viewer_pass}"

    def lead_call(
        self,
        participant_id: int,
        item: str,
        position: float,
        playing: bool,
        shapes: Shapes,
        at: float | None = None,
    ) -> tuple[list[str], list[Any]]:
        """The keys and arguments of ``LEAD``: what ``LiveRoom.lead`` runs, and the push
        route on its own connection."""
        keys = [self.keys[n] for n in ("presenter", "ended", "seq", "state", "events")]
        return keys, [participant_id, item, int(playing), repr(float(position)),
                      json.dumps(shapes), "" if at is None else repr(at), STREAM_LENGTH, KEEP_S]  # fmt: skip


class LiveRoom(RoomKeys):
    """One live review session's room, over a Redis connection."""

    def __init__(self, redis_client: redis.Redis, prefix: str, session_id: int | str) -> None:
        super().__init__(prefix, session_id)
        self.redis = redis_client
        self._lead = redis_client.register_script(LEAD)
        self._hand_over = redis_client.register_script(_HAND_OVER)
        self._take_over = redis_client.register_script(_TAKE_OVER)
        self._here = redis_client.register_script(_HERE)

    def _key(self, *names: str) -> list[str]:
        return [self.keys[n] for n in names]

    def start(self, presenter_id: int) -> None:
        """Open the room afresh with ``presenter_id`` presenting: no state, no hands."""
        pipe = self.redis.pipeline()
        # the count of states goes on: a player open across an end and a start applies each
        pipe.delete(*self._key("ended", "state", "events", "hands"))
        pipe.set(self.keys["presenter"], str(presenter_id), ex=KEEP_S)
        pipe.execute()

    def end(self) -> None:
        """Close the room: nobody presents or can take over until it is started again."""
        pipe = self.redis.pipeline()
        pipe.set(self.keys["ended"], "1", ex=KEEP_S)
        pipe.delete(*self._key("presenter", "hands"))
        pipe.execute()

    def lead(
        self,
        participant_id: int,
        item: str,
        position: float,
        playing: bool,
        shapes: Shapes,
        at: float | None = None,
    ) -> LiveState | None:
        """Publish the presenter's state, true at ``at`` (Redis's clock; now if None or
        implausible); None, and nothing published, unless ``participant_id`` presents."""
        keys, args = self.lead_call(participant_id, item, position, playing, shapes, at)
        done = self._lead(keys=keys, args=args)
        if not done:
            return None
        sent_at, seq = done
        return LiveState(item, playing, position, shapes, float(sent_at), int(seq), participant_id)

    def latest(self) -> LiveState | None:
        """The presenter's latest state, however long ago it was set."""
        return state_from(cast(Fields, self.redis.hgetall(self.keys["state"])))

    def said_since(self, last_id: str | None) -> Said:
        """Announcements after ``last_id``; None: a late joiner's start (the recent ones)."""
        events = self.keys["events"]
        if last_id is None:
            newest_first = cast(list[Entry], self.redis.xrevrange(events, count=STREAM_LENGTH))
            said = [_announcement(f) for _, f in reversed(newest_first) if f[b"kind"] == b"said"]
            last = newest_first[0][0].decode() if newest_first else "0-0"
            return Said(said[-RECENT:], last)
        entries = cast(
            list[Entry], self.redis.xrange(events, min=f"({last_id}", count=STREAM_LENGTH)
        )
        said = [_announcement(f) for _, f in entries if f[b"kind"] == b"said"]
        return Said(said, entries[-1][0].decode() if entries else last_id)

    def announce(self, text: str, item: str | None = None) -> None:
        """Tell the room something at once, e.g. a decision just recorded on an item."""
        seconds, micros = self.redis.time()
        fields = {"kind": "said", "text": text, "item": item or "",
                  "at": f"{seconds}.{micros:06d}"}  # fmt: skip
        pipe = self.redis.pipeline()
        pipe.xadd(self.keys["events"], fields, maxlen=STREAM_LENGTH, approximate=True)  # type: ignore[arg-type]
        pipe.expire(self.keys["events"], KEEP_S)
        pipe.execute()

    def here(self, participant_id: int, name: str, viewer_pass: str = "") -> None:
        """A heartbeat: ``participant_id`` (shown as ``name``) is in the room, and their
        page's pass stays valid."""
        self._here(keys=[*self._key("seen", "names", "presenter"), self.pass_key(viewer_pass)],
                   args=[participant_id, name, KEEP_S, PASS_S if viewer_pass else ""])  # fmt: skip

    def admit(self, participant_id: int, viewer_pass: str | None = None) -> str:
        """A pass for one page of ``participant_id`` (``viewer_pass`` again, if given): what
        the push route asks for."""
        viewer_pass = viewer_pass or secrets.token_urlsafe(24)
        self.redis.set(self.pass_key(viewer_pass), str(participant_id), ex=PASS_S)
        return viewer_pass

    def dismiss(self, viewer_pass: str) -> None:
        """The pass stops working (someone shown out): its stream ends within a second."""
        self.redis.delete(self.pass_key(viewer_pass))

    def present(self) -> Presence:
        """Who has sent a heartbeat in the last PRESENT_S seconds, and their hands."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.time()
        pipe.zrange(self.keys["seen"], 0, -1, withscores=True)
        pipe.hgetall(self.keys["names"])
        pipe.get(self.keys["presenter"])
        pipe.zrange(self.keys["hands"], 0, -1)
        pipe.exists(self.keys["ended"])
        (seconds, micros), seen, names, presenter_raw, hands_raw, ended = pipe.execute()
        now = seconds + micros / 1e6
        here = {int(pid): stamp for pid, stamp in seen if stamp >= now - PRESENT_S}
        presenter = int(presenter_raw) if presenter_raw else None
        hands = [int(h) for h in hands_raw if int(h) in here]
        name = {int(k): v.decode() for k, v in names.items()}

        def order(pid: int) -> tuple[int, int, str]:
            return (pid != presenter, hands.index(pid) if pid in hands else len(hands),
                    name.get(pid, "").casefold())  # fmt: skip

        people = [
            Participant(pid, name.get(pid, f"Participant {pid}"), pid == presenter, pid in hands)
            for pid in sorted(here, key=order)
        ]
        return Presence(people, presenter, presenter in here, bool(ended))

    def raise_hand(self, participant_id: int) -> None:
        seconds, micros = self.redis.time()
        pipe = self.redis.pipeline()
        pipe.zadd(self.keys["hands"], {str(participant_id): seconds + micros / 1e6}, nx=True)
        pipe.expire(self.keys["hands"], KEEP_S)
        pipe.execute()

    def lower_hand(self, participant_id: int) -> None:
        self.redis.zrem(self.keys["hands"], str(participant_id))

    def hand_over(self, from_id: int, to_id: int) -> bool:
        """The presenter ``from_id`` hands over to ``to_id``, who must be here."""
        keys = self._key("presenter", "seen", "hands", "ended")
        return bool(self._hand_over(keys=keys, args=[from_id, to_id, PRESENT_S, KEEP_S]))

    def take_over(self, participant_id: int) -> bool:
        """A raised hand presents, if nobody does or the presenter has been gone for more
        than PRESENT_S seconds."""
        keys = self._key("presenter", "seen", "hands", "ended")
        return bool(self._take_over(keys=keys, args=[participant_id, PRESENT_S, KEEP_S]))

    def presenter(self) -> int | None:
        """Who presents now (None: nobody, or the room has ended)."""
        found = self.redis.get(self.keys["presenter"])
        return int(cast(bytes, found)) if found else None

    def now(self) -> float:
        """Redis's clock, which states are stamped with: a follower extrapolates by it."""
        seconds, micros = self.redis.time()
        return float(seconds + micros / 1e6)

    def delete(self) -> None:
        """Remove every key of the room (tests, and a session deleted for good)."""
        self.redis.delete(*self.keys.values())


def state_from(fields: Fields) -> LiveState | None:
    """A state as the room stores it (the hash, or a stream entry of kind ``state``)."""
    if not fields:
        return None
    return LiveState(
        item=fields[b"item"].decode(),
        playing=fields[b"playing"] == b"1",
        position=float(fields[b"position"]),
        shapes=json.loads(fields[b"shapes"]),
        sent_at=float(fields[b"sent_at"]),
        seq=int(fields[b"seq"]),
        by=int(fields[b"by"]),
    )


def _announcement(fields: Fields) -> Announcement:
    item = fields[b"item"].decode()
    return Announcement(fields[b"text"].decode(), item or None, float(fields[b"at"]))
