"""The live room against a real Redis: who may lead, what a late joiner sees, presence,
hands, handing over and taking over."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from studio import live
from studio.live import LiveRoom
from tests.conftest import REDIS_URL

ANA, BEN, CLEO = 1, 2, 3
BOX = {"kind": "box", "points": [[0.1, 0.1], [0.4, 0.5]], "color": "#ff3b30"}


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except (redis.RedisError, OSError):
        pytest.skip("the live room needs Redis at 127.0.0.1:6379, which is not reachable")
    yield client
    client.close()


@pytest.fixture
def room(client: redis.Redis) -> Iterator[LiveRoom]:
    room = LiveRoom(client, f"test-{uuid.uuid4().hex[:10]}", 7)
    room.start(ANA)
    yield room
    room.delete()


def test_only_the_presenter_leads_and_the_room_keeps_the_latest_state(room: LiveRoom) -> None:
    assert room.latest() is None
    assert room.lead(BEN, "shot-0", 1.0, False, []) is None  # Ben does not present
    sent = room.lead(ANA, "shot-1", 2.5, True, [BOX])
    assert sent is not None and sent.seq == 1 and sent.by == ANA
    assert abs(sent.sent_at - room.now()) < 1
    assert room.latest() == sent


def test_a_late_joiner_starts_from_the_latest_state_and_recent_announcements(
    room: LiveRoom,
) -> None:
    for n in range(3):
        room.lead(ANA, f"shot-{n}", n * 1.0, False, [])
    room.announce("Ana approved item 2", "shot-1")
    latest = room.lead(ANA, "shot-2", 0.5, False, [])
    joined = room.said_since(None)
    assert room.latest() == latest
    assert [(a.text, a.item) for a in joined.announcements] == [("Ana approved item 2", "shot-1")]
    assert room.said_since(joined.last_id).announcements == []


def test_a_state_is_stamped_when_it_was_true_on_redis_clock(room: LiveRoom) -> None:
    now = room.now()
    sent = room.lead(ANA, "shot-0", 3.0, True, [], at=now - 0.2)
    assert sent is not None and sent.sent_at == pytest.approx(now - 0.2, abs=1e-3)
    wrong = room.lead(ANA, "shot-0", 3.0, True, [], at=now + 60)  # a browser clock gone astray
    assert wrong is not None and abs(wrong.sent_at - room.now()) < 1


def test_announcements_arrive_in_order_between_states(room: LiveRoom) -> None:
    mark = room.said_since(None).last_id
    room.lead(ANA, "shot-0", 0.0, True, [])
    room.announce("Ben requested changes on item 1", "shot-0")
    room.announce("The group moves on")
    update = room.said_since(mark)
    assert [a.text for a in update.announcements] == [
        "Ben requested changes on item 1",
        "The group moves on",
    ]
    assert update.announcements[1].item is None


def test_presence_shows_the_presenter_first_then_raised_hands_in_order(room: LiveRoom) -> None:
    for pid, name in ((CLEO, "Cleo"), (BEN, "Ben"), (ANA, "Ana"), (4, "Dee")):
        room.here(pid, name)
    room.raise_hand(CLEO)
    room.raise_hand(BEN)
    seen = room.present()
    assert [p.name for p in seen.here] == ["Ana", "Cleo", "Ben", "Dee"]
    assert (seen.presenter, seen.presenter_here, seen.ended) == (ANA, True, False)
    assert [p.id for p in seen.hands] == [CLEO, BEN]
    room.lower_hand(CLEO)
    assert [p.id for p in room.present().hands] == [BEN]


def test_someone_without_a_heartbeat_for_a_while_is_no_longer_here(
    room: LiveRoom, monkeypatch: pytest.MonkeyPatch
) -> None:
    room.here(BEN, "Ben")
    monkeypatch.setattr(live, "PRESENT_S", 0.2)
    time.sleep(0.3)
    room.here(ANA, "Ana")
    assert [p.name for p in room.present().here] == ["Ana"]


def test_the_presenter_hands_over_to_someone_here_and_the_new_one_leads(room: LiveRoom) -> None:
    room.here(ANA, "Ana")
    room.raise_hand(BEN)
    assert not room.hand_over(ANA, BEN)  # Ben is not here
    room.here(BEN, "Ben")
    assert not room.hand_over(BEN, ANA)  # only the presenter hands over
    assert room.hand_over(ANA, BEN)
    seen = room.present()
    assert (seen.presenter, seen.hands, room.presenter()) == (BEN, [], BEN)
    assert room.lead(ANA, "shot-0", 0.0, False, []) is None
    assert room.lead(BEN, "shot-0", 1.0, False, []) is not None


def test_a_raised_hand_takes_over_only_once_the_presenter_is_gone(
    room: LiveRoom, monkeypatch: pytest.MonkeyPatch
) -> None:
    room.here(ANA, "Ana")
    room.here(BEN, "Ben")
    assert not room.take_over(BEN)  # no hand raised
    room.raise_hand(BEN)
    assert not room.take_over(BEN)  # Ana is here
    monkeypatch.setattr(live, "PRESENT_S", 0.2)
    time.sleep(0.3)
    room.here(BEN, "Ben")
    assert room.take_over(BEN)
    assert room.present().presenter == BEN


def test_an_ended_room_has_no_presenter_and_refuses_to_be_led(room: LiveRoom) -> None:
    room.here(BEN, "Ben")
    room.raise_hand(BEN)
    room.end()
    seen = room.present()
    assert (seen.ended, seen.presenter, room.presenter()) == (True, None, None)
    assert room.lead(ANA, "shot-0", 0.0, False, []) is None
    assert not room.take_over(BEN)
    room.start(BEN)
    assert not room.present().ended
    assert room.lead(BEN, "shot-0", 0.0, False, []) is not None


def test_the_stream_stays_bounded(room: LiveRoom, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "STREAM_LENGTH", 10)
    for n in range(300):
        room.lead(ANA, "shot-0", n / 24, True, [])
    assert room.redis.xlen(room.keys["events"]) < 300
    latest = room.latest()
    assert latest is not None and latest.seq == 300
