"""Webhooks in SQL: the owner adds them (a secret shown once, an address refused in words
naming the field), events are written as deliveries in their own transaction (a refused
comment is never announced), and each person alone chooses what is e-mailed to them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storage import comments, email_prefs, members, projects, scenes, users, webhooks
from storage.db import Database
from storage.errors import Conflict, InvalidInput, PermissionDenied
from storage.models import EmailMode, Role, User, WebhookDelivery
from tests.storage.made_takes import made_take

MODEL = "veo-3.1-fast-generate-001"


def test_an_owner_adds_webhooks_whose_secret_is_shown_once(db: Database, owner: User) -> None:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    made = webhooks.add_webhook(db, owner, pid, " https://hooks.example.com/veogen ", ["render"])
    assert made.secret.startswith("whsec_") and len(made.secret) > 40
    assert made.hook.url == "https://hooks.example.com/veogen" and made.hook.events == ["render"]
    listed = webhooks.list_webhooks(db, owner, pid)
    assert listed == [made.hook] and made.secret not in repr(listed)
    other = webhooks.add_webhook(db, owner, pid, "http://10.0.0.5:8080/in", allow_private=True)
    assert other.secret != made.secret and other.hook.events == list(webhooks.EVENTS)

    refusals = {
        "": "webhook URL: is required",
        "ftp://example.com/x": "webhook URL: 'ftp://example.com/x' is not a web address; it "
        "starts with https:// (or http://)",
        "https://": "webhook URL: 'https://' is not a web address; it starts with https:// "
        "(or http://)",
        "https://me:pw@example.com/": "webhook URL: must not hold a user name or password; "
        "receivers check the signature",
        "https://example.com/a b": "webhook URL: must not hold spaces",
        "https://example.com:99999/": "webhook URL: its port must be a number from 1 to 65535",
    }
    for url, said in refusals.items():
        with pytest.raises(InvalidInput) as refused:
            webhooks.add_webhook(db, owner, pid, url)
        assert refused.value.in_words() == said
    with pytest.raises(InvalidInput) as refused:
        webhooks.add_webhook(db, owner, pid, "https://example.com/", ["comment", "gossip"])
    assert refused.value.in_words() == (
        "events: 'gossip' is not an event; allowed: comment, decision, render, budget"
    )
    for n in range(webhooks.MAX_WEBHOOKS - 2):
        webhooks.add_webhook(db, owner, pid, f"https://example.com/{n}")
    with pytest.raises(Conflict, match="the most it may have; delete one first"):
        webhooks.add_webhook(db, owner, pid, "https://example.com/one-more")
    webhooks.delete_webhook(db, owner, made.hook.id)
    assert made.hook not in webhooks.list_webhooks(db, owner, pid)


PUBLIC_ONLY = (
    ": webhooks call public addresses only (for a receiver on your own network, the "
    "studio's administrator sets VEOGEN_WEBHOOKS_ALLOW_PRIVATE)"
)


def test_a_webhook_may_not_point_at_the_studio_its_network_or_the_cloud_metadata(
    db: Database, owner: User
) -> None:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    refusals = {
        "http://127.0.0.1:8501/": "127.0.0.1 is a loopback address (this machine itself)",
        "http://localhost/admin": "localhost resolves to 127.0.0.1, a loopback address (this "
        "machine itself)",
        "http://2130706433/": "2130706433 resolves to 127.0.0.1, a loopback address (this "
        "machine itself)",
        "https://10.1.2.3/in": "10.1.2.3 is a private network address",
        "http://192.168.0.10/": "192.168.0.10 is a private network address",
        "http://169.254.169.254/latest/meta-data/": "169.254.169.254 is the cloud's metadata "
        "service",
        "http://169.254.10.1/": "169.254.10.1 is a link-local address (cloud metadata "
        "services answer there)",
        "http://[fd00:ec2::254]/": "fd00:ec2::254 is the cloud's metadata service",
        "http://[::1]:9000/": "::1 is a loopback address (this machine itself)",
        "http://[::ffff:127.0.0.1]/": "::ffff:127.0.0.1 is 127.0.0.1 inside it, a loopback "
        "address (this machine itself)",
        "http://[fe80::1]/": "fe80::1 is a link-local address (cloud metadata services "
        "answer there)",
        "http://0.0.0.0/": "0.0.0.0 is no address at all (it means this machine)",
        "http://[::]/": ":: is no address at all (it means this machine)",
        "http://224.0.0.1/": "224.0.0.1 is a multicast address",
        "http://100.64.0.1/": "100.64.0.1 is a reserved address, not one on the internet",
    }
    for url, said in refusals.items():
        with pytest.raises(InvalidInput) as refused:
            webhooks.add_webhook(db, owner, pid, url)
        assert refused.value.in_words() == f"webhook URL: {said}{PUBLIC_ONLY}"
    assert webhooks.list_webhooks(db, owner, pid) == []
    # on premises, the setting lets them in; a public address always was
    for url in ("http://127.0.0.1:8501/", "http://localhost/admin", "https://10.1.2.3/in"):
        webhooks.add_webhook(db, owner, pid, url, allow_private=True)
    webhooks.add_webhook(db, owner, pid, "https://93.184.215.14/in")
    assert len(webhooks.list_webhooks(db, owner, pid)) == 4


def test_events_are_written_with_what_they_tell_of_and_only_if_it_happened(
    db: Database, owner: User
) -> None:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    (scene,) = scenes.add_scenes(db, owner, pid, [{"title": "Dawn", "prompt": "boats"}])
    take = made_take(db, owner, pid, scene.id, 4.0)
    rae = users.sign_in(db, "https://idp.example", "rae", "rae@example.com", "Rae")
    members.add_member(db, owner, pid, rae, Role.reviewer)
    everything = webhooks.add_webhook(db, owner, pid, "https://a.example.com/").hook
    decisions_only = webhooks.add_webhook(db, owner, pid, "https://b.example/", ["decision"]).hook

    said = comments.add_comment(db, rae, take.id, None, "@local warmer, please", 10)
    with pytest.raises(InvalidInput):
        comments.add_comment(db, rae, take.id, None, "", 10)  # refused: never announced
    log = webhooks.delivery_log(db, owner, everything.id)
    assert [(d.event, d.status, d.attempts) for d in log] == [("comment.added", "pending", 0)]
    assert webhooks.delivery_log(db, owner, decisions_only.id) == []
    with db.session() as s:
        body = json.loads(s.scalars(select(WebhookDelivery.body)).one())
    assert body["timestamp"].endswith("Z") and body["id"] == log[0].event_id
    del body["timestamp"], body["id"]
    assert body == {
        "event": "comment.added",
        "project": {"id": pid, "name": "Harbour"},
        "who": {"id": rae.id, "name": "Rae"},
        "text": "@local warmer, please",
        "item": {"take_id": take.id, "movie_id": None},
        "comment_id": said.id,
        "frame": 10,  # from 0, as stored (the player says 11)
        "end_frame": None,
        "mentions": ["Local creator"],
    }


def test_each_person_alone_chooses_what_is_e_mailed_to_them(db: Database, owner: User) -> None:
    rae = users.sign_in(db, "https://idp.example", "rae", "rae@example.com", "Rae")
    assert email_prefs.email_mode(db, rae) == EmailMode.mentions  # the default
    assert email_prefs.set_email_mode(db, rae, rae.id, "digest") == EmailMode.digest
    assert email_prefs.email_mode(db, rae) == EmailMode.digest
    with pytest.raises(PermissionDenied) as refused:
        email_prefs.set_email_mode(db, owner, rae.id, "off")
    assert str(refused.value) == (
        "e-mail: Local creator may choose only their own; each person chooses theirs"
    )
    with pytest.raises(InvalidInput) as refused:
        email_prefs.set_email_mode(db, rae, rae.id, "hourly")
    assert refused.value.in_words() == (
        "e-mail: 'hourly' is not allowed; allowed: off, mentions, immediate, digest"
    )
    assert email_prefs.email_mode(db, rae) == EmailMode.digest
