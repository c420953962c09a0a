"""Webhooks sent by engines' notifiers to a real local HTTP endpoint: signed, each event
once though two engines poll, a failing endpoint tried again with longer waits and then
given up, all in the owner's log; and the studio's comments and decisions never wait."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from engine.notifier import Notifier
from storage import comments, decisions, projects, public_addresses, scenes, webhooks
from storage.db import Database
from storage.models import User
from storage.settings import Settings
from storage.users import local_user
from studio.services import Services
from tests.engine.receivers import Call, WebhookReceiver
from tests.helpers import until
from tests.pages.browser import free_port, wait_for
from tests.storage.made_takes import made_take

MODEL = "veo-3.1-fast-generate-001"
DELAYS = (0.4, 0.8)  # the real schedule's shape, in tenths of seconds: three attempts
HOLD_S = 60.0  # how long the held endpoint keeps a call unless released
PUBLIC = ipaddress.ip_address("93.184.215.14")


def docs_check() -> Callable[[str, dict[str, str], bytes], bool]:
    """The receiver's check as docs/webhooks.md shows it, to be run as it is written."""
    text = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()
    code = text.split("### Checking a call\n\n```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, Any] = {}
    exec(code, scope)
    return scope["verified"]  # type: ignore[no-any-return]


def verified(call: Call, secret: str) -> dict[str, object]:
    """The body of a call, if it is signed with ``secret`` and timed a moment ago, as a
    receiver would check it (docs/webhooks.md)."""
    assert docs_check()(secret, call.headers, call.body.encode())
    assert not docs_check()(secret, call.headers, call.body.encode() + b" ")
    stamp = call.headers["X-VeoGen-Timestamp"]
    mac = hmac.new(secret.encode(), f"{stamp}.{call.body}".encode(), hashlib.sha256)
    assert hmac.compare_digest(call.headers["X-VeoGen-Signature"], f"sha256={mac.hexdigest()}")
    assert abs(time.time() - int(stamp)) < 30
    body: dict[str, object] = json.loads(call.body)
    assert call.headers["X-VeoGen-Event-Id"] == body["id"]
    assert call.headers["X-VeoGen-Event"] == body["event"]
    return body


def test_webhooks_are_signed_sent_once_retried_and_logged_while_the_studio_goes_on(
    db: Database, owner: User
) -> None:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    (scene,) = scenes.add_scenes(db, owner, pid, [{"title": "Dawn", "prompt": "boats"}])
    take = made_take(db, owner, pid, scene.id, 4.0)
    receiver = WebhookReceiver()
    here = partial(webhooks.add_webhook, db, owner, pid, allow_private=True)  # 127.0.0.1
    good = here(receiver.url("/held"))
    broken = here(receiver.url("/broken"), ["decision"]).hook
    refused = here(f"http://127.0.0.1:{free_port()}/nobody-listens", ["decision"]).hook
    studio_calls: list[float] = []

    async def studio(action: Callable[[], object]) -> None:
        started = time.monotonic()
        await asyncio.to_thread(action)
        studio_calls.append(time.monotonic() - started)

    def settled() -> bool:
        logs = [webhooks.delivery_log(db, owner, h.id) for h in (broken, refused)]
        return len(receiver.to("/held")) >= 6 and all(
            len(log) == 3 and all(d.status == "failed" for d in log) for log in logs
        )

    async def go() -> None:
        stop = asyncio.Event()
        engines = [
            Notifier(db, None, 8, DELAYS, timeout_s=HOLD_S, interval_s=0.05, allow_private=True)
            for _ in "ab"
        ]
        sending = asyncio.gather(*(engine.run(stop) for engine in engines))
        try:
            await studio(partial(comments.add_comment, db, owner, take.id, None, "first", 1))
            await until(lambda: bool(receiver.to("/held")))  # its endpoint holds on to it
            for n in range(2, 4):  # so the studio works on while a send hangs
                await studio(partial(comments.add_comment, db, owner, take.id, None, f"n{n}", n))
            for _ in range(3):
                await studio(partial(decisions.decide, db, owner, take.id, None, "changes", "x"))
            assert not receiver.release.is_set()
            receiver.release.set()
            await until(settled, timeout=60)
        finally:
            stop.set()
            await sending
            receiver.close()

    asyncio.run(go())
    # each took far less than the endpoint held its call (a minute, unless released): the
    # outbox write waits for no send (on a busy machine a call may still take a second)
    assert len(studio_calls) == 6 and max(studio_calls) < HOLD_S / 4, studio_calls

    bodies = [verified(call, good.secret) for call in receiver.to("/held")]
    assert sorted(str(b["event"]) for b in bodies) == ["comment.added"] * 3 + ["decision.made"] * 3
    assert len({b["id"] for b in bodies}) == 6  # each event once, though two engines poll
    assert all(b["project"] == {"id": pid, "name": "Harbour"} for b in bodies)
    assert all(b["who"] == {"id": owner.id, "name": owner.name} for b in bodies)
    good_log = webhooks.delivery_log(db, owner, good.hook.id)
    assert {(d.status, d.attempts, d.status_code, d.error) for d in good_log} == {
        ("delivered", 1, 200, None)
    }

    for sent in webhooks.delivery_log(db, owner, broken.id):
        assert (sent.status, sent.attempts, sent.status_code, sent.next_attempt_at) == (
            "failed", 3, 500, None
        )  # fmt: skip
        assert sent.error == "the endpoint answered 500 Internal Server Error"
        tries = [c.at for c in receiver.to("/broken") if json.loads(c.body)["id"] == sent.event_id]
        waits = [later - earlier for earlier, later in pairwise(tries)]
        assert len(tries) == 3 and waits[0] >= DELAYS[0] - 0.05 and waits[1] >= DELAYS[1] - 0.05
    for sent in webhooks.delivery_log(db, owner, refused.id):
        assert (sent.status, sent.attempts, sent.status_code) == ("failed", 3, None)
        assert sent.error and sent.error.startswith("could not reach it: ")


def test_a_running_engine_sends_the_webhooks_and_stops_with_its_worker(
    settings: Settings, tmp_path: Path
) -> None:
    settings = replace(settings, webhooks_allow_private=True)  # the receiver is on 127.0.0.1
    studio = Services(settings)
    owner = local_user(studio.db)
    pid = projects.create_project(studio.db, owner, {"name": "Harbour"}, MODEL).id
    (scene,) = scenes.add_scenes(studio.db, owner, pid, [{"title": "Dawn", "prompt": "boats"}])
    take = made_take(studio.db, owner, pid, scene.id, 4.0)
    receiver = WebhookReceiver()
    made = webhooks.add_webhook(studio.db, owner, pid, receiver.url("/in"), allow_private=True)
    engine = subprocess.Popen(
        [sys.executable, "-m", "studio.cli", "engine"], env={**os.environ, **settings.as_env()},
        cwd=tmp_path, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        comments.add_comment(studio.db, owner, take.id, None, "warmer light", 3)
        wait_for(lambda: bool(receiver.to("/in")) or engine.poll() is not None, "the webhook", 60)
    finally:
        engine.send_signal(signal.SIGTERM)
        _, log = engine.communicate(timeout=60)
        receiver.close()
    assert engine.returncode == 0, log
    (call,) = receiver.to("/in")
    assert verified(call, made.secret)["text"] == "warmer light"


def deliver(db: Database, allow_private: bool, settled: Callable[[], bool]) -> None:
    """Run one engine's notifier until ``settled``."""

    async def go() -> None:
        stop = asyncio.Event()
        engine = Notifier(db, None, 8, DELAYS, timeout_s=5, interval_s=0.05,
                          allow_private=allow_private)  # fmt: skip
        sending = asyncio.create_task(engine.run(stop))
        try:
            await until(settled, timeout=30)
        finally:
            stop.set()
            await sending

    asyncio.run(go())


def test_a_webhook_whose_name_now_leads_to_this_machine_is_refused_at_the_call(
    db: Database, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved while its name resolved to a public address; by the delivery it resolves to
    127.0.0.1 (DNS rebinding): nothing is sent, and the log says why, given up at once."""
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    (scene,) = scenes.add_scenes(db, owner, pid, [{"title": "Dawn", "prompt": "boats"}])
    take = made_take(db, owner, pid, scene.id, 4.0)
    receiver = WebhookReceiver()
    port = receiver.server.server_address[1]
    with monkeypatch.context() as dns_at_save:
        dns_at_save.setattr(public_addresses, "resolved", lambda host, port: [PUBLIC])
        hook = webhooks.add_webhook(db, owner, pid, f"http://localhost:{port}/in").hook
    comments.add_comment(db, owner, take.id, None, "warmer light", 3)
    try:
        deliver(db, False, lambda: webhooks.delivery_log(db, owner, hook.id)[0].attempts > 0)
    finally:
        receiver.close()
    (sent,) = webhooks.delivery_log(db, owner, hook.id)
    assert (sent.status, sent.attempts, sent.status_code, sent.next_attempt_at) == (
        "failed", 1, None, None
    )  # fmt: skip
    assert sent.error == (
        "not sent: localhost resolves to 127.0.0.1, a loopback address (this machine itself): "
        "webhooks call public addresses only (for a receiver on your own network, the "
        "studio's administrator sets VEOGEN_WEBHOOKS_ALLOW_PRIVATE)"
    )
    assert receiver.calls == []


def test_a_call_goes_to_the_checked_address_under_its_name_and_follows_no_redirect(
    db: Database, owner: User
) -> None:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    (scene,) = scenes.add_scenes(db, owner, pid, [{"title": "Dawn", "prompt": "boats"}])
    take = made_take(db, owner, pid, scene.id, 4.0)
    receiver = WebhookReceiver()
    port = receiver.server.server_address[1]
    here = partial(webhooks.add_webhook, db, owner, pid, allow_private=True)
    named = here(f"http://localhost:{port}/in").hook
    moved = here(f"http://localhost:{port}/moved").hook
    comments.add_comment(db, owner, take.id, None, "warmer light", 3)

    def settled() -> bool:
        logs = [webhooks.delivery_log(db, owner, h.id)[0] for h in (named, moved)]
        return logs[0].status == "delivered" and logs[1].attempts > 0

    try:
        deliver(db, True, settled)
    finally:
        receiver.close()
    (call,) = receiver.to("/in")  # the redirect was not followed there
    assert call.headers["Host"] == f"localhost:{port}"
    (sent,) = webhooks.delivery_log(db, owner, moved.id)
    assert (sent.status, sent.status_code) == ("pending", 302)
    assert sent.error == (
        "the endpoint answered 302 Found (webhooks follow no redirect: give the address it "
        "leads to)"
    )
