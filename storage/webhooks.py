"""Webhooks: addresses a project's owner chooses, told of its comments, decisions, renders
and budget as they happen. An event is written as one delivery per webhook in the
transaction of the event (an outbox), so a refused comment is never announced and the
studio never waits for a receiver; the engines send them (engine/notifier.py)."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import audit, public_addresses
from storage.db import Database
from storage.errors import Conflict, NotFound
from storage.models import DeliveryStatus, Project, Role, User, Webhook, WebhookDelivery, utcnow
from storage.permissions import require
from storage.validation import Checker

# The kinds of event a webhook may want, with what they tell of; an event's name starts
# with its kind ("comment.added").
EVENTS = {
    "comment": "comments and replies",
    "decision": "decisions on takes and versions",
    "render": "renders that finished or failed",
    "budget": "spending past 80% of the budget",
}
MAX_WEBHOOKS = 10  # per project
MAX_URL_CHARS = 2000
RECENT = 20  # deliveries in the log, per webhook
URL = "webhook URL"  # the field, as refusals name it


@dataclass(frozen=True)
class Hook:
    id: int
    url: str
    events: list[str]
    created_at: datetime


@dataclass(frozen=True)
class NewHook:
    """A webhook just made, with its secret: shown this once, never again."""

    hook: Hook
    secret: str


@dataclass(frozen=True)
class Sent:
    """One delivery as the log shows it."""

    id: int
    event: str
    event_id: str
    created_at: datetime
    status: DeliveryStatus
    attempts: int
    status_code: int | None
    error: str | None
    next_attempt_at: datetime | None  # None once delivered or given up
    delivered_at: datetime | None


def add_webhook(
    db: Database,
    actor: User,
    project_id: int,
    url: str,
    events: list[str] | None = None,
    allow_private: bool = False,
) -> NewHook:
    """A webhook told of ``events`` (all kinds when None) of the project; the owner's. Its
    address must be public unless ``allow_private`` (VEOGEN_WEBHOOKS_ALLOW_PRIVATE)."""
    with db.session() as s:
        require(s, actor, project_id, Role.owner, "adding a webhook")
        check = Checker({URL: url, "events": events})
        address = _clean_url(check, allow_private)
        wanted = _clean_events(check, events)
        check.done()
        made = s.scalar(select(func.count()).where(Webhook.project_id == project_id)) or 0
        if made >= MAX_WEBHOOKS:
            raise Conflict(
                f"webhooks: the project has {made}, the most it may have; delete one first"
            )
        secret = "whsec_" + secrets.token_urlsafe(32)
        hook = Webhook(project_id=project_id, url=address, secret=secret, events=wanted,
                       created_by=actor.id)  # fmt: skip
        s.add(hook)
        s.flush()
        audit.record(s, actor, "webhook.added", project_id, webhook=hook.id,
                     host=urlsplit(address).hostname, events=wanted)  # fmt: skip
        return NewHook(_hook(hook), secret)


def _clean_url(check: Checker, allow_private: bool) -> str:
    url = check.text(URL, limit=MAX_URL_CHARS, required=True)
    if check.errors:
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        check.fail(URL, f"{url!r} is not a web address; it starts with https:// (or http://)")
    elif parts.username is not None or parts.password is not None:
        check.fail(URL, "must not hold a user name or password; receivers check the signature")
    elif any(c.isspace() for c in url):
        check.fail(URL, "must not hold spaces")
    elif _port(parts) is None:
        check.fail(URL, "its port must be a number from 1 to 65535")
    elif not allow_private:
        refusal = _private(parts)
        if refusal:
            check.fail(URL, refusal)
    return url


def _port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        return None
    if port == 0:
        return None
    return port or public_addresses.DEFAULT_PORTS[parts.scheme]


def _private(parts: SplitResult) -> str | None:
    """Why the address is not a public one (None: it is, or its name does not resolve
    today: each delivery checks again, on the address it connects to)."""
    host = parts.hostname or ""
    ip = public_addresses.literal(host)
    try:
        found = [ip] if ip else public_addresses.resolved(host, _port(parts) or 0)
    except (OSError, UnicodeError):
        return None
    return public_addresses.refusal(host, found)


def _clean_events(check: Checker, events: list[str] | None) -> list[str]:
    if events is None:
        return list(EVENTS)
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        said = f"{unknown[0]!r} is not an event" if unknown else "choose at least one"
        check.fail("events", f"{said}; allowed: {', '.join(EVENTS)}")
    return [e for e in EVENTS if e in events]


def list_webhooks(db: Database, actor: User, project_id: int) -> list[Hook]:
    """The project's webhooks, oldest first (never their secrets); the owner's to read."""
    with db.session() as s:
        require(s, actor, project_id, Role.owner, "reading the webhooks")
        rows = s.scalars(
            select(Webhook).where(Webhook.project_id == project_id).order_by(Webhook.id)
        )
        return [_hook(h) for h in rows]


def delete_webhook(db: Database, actor: User, webhook_id: int) -> None:
    """Delete a webhook and its deliveries: what was not sent yet never will be."""
    with db.session() as s:
        hook = _owned(s, actor, webhook_id, "deleting a webhook")
        audit.record(s, actor, "webhook.deleted", hook.project_id, webhook=hook.id,
                     host=urlsplit(hook.url).hostname)  # fmt: skip
        s.delete(hook)


def delivery_log(db: Database, actor: User, webhook_id: int, limit: int = RECENT) -> list[Sent]:
    """The webhook's latest deliveries, newest first: what was sent, how it went, what is
    tried again when."""
    with db.session() as s:
        _owned(s, actor, webhook_id, "reading the webhook deliveries")
        rows = s.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
        return [
            Sent(d.id, d.event, d.event_id, d.created_at, DeliveryStatus(d.status), d.attempts,
                 d.status_code, d.error,
                 d.next_attempt_at if d.status == DeliveryStatus.pending else None,
                 d.delivered_at)
            for d in rows
        ]  # fmt: skip


def _owned(s: Session, actor: User, webhook_id: int, doing: str) -> Webhook:
    hook = s.get(Webhook, webhook_id)
    unknown = f"webhook {webhook_id}: no such webhook"
    if hook is None:
        raise NotFound(unknown)
    require(s, actor, hook.project_id, Role.owner, doing, unknown)
    return hook


def _hook(row: Webhook) -> Hook:
    return Hook(row.id, row.url, list(row.events), row.created_at)


def payload(
    who: User | None,
    text: str,
    take_id: int | None = None,
    movie_id: int | None = None,
    **more: Any,
) -> dict[str, Any]:
    """What an event says beyond its name and project: who did it (None: the studio), in
    words, about which take or movie version, and anything the event adds."""
    return {
        "who": None if who is None else {"id": who.id, "name": who.name},
        "text": text,
        "item": {"take_id": take_id, "movie_id": movie_id},
        **more,
    }


def announce(s: Session, project_id: int, event: str, said: dict[str, Any]) -> None:
    """Write ``event`` ("comment.added") for each of the project's webhooks that wants its
    kind, in the caller's transaction: it is sent only if that transaction commits."""
    hooks = [
        h
        for h in s.scalars(select(Webhook).where(Webhook.project_id == project_id))
        if event.split(".")[0] in h.events
    ]
    if not hooks:
        return
    project = s.get(Project, project_id)
    assert project is not None  # the event's own transaction holds it
    event_id = str(uuid.uuid4())
    body = json.dumps({
        "id": event_id,
        "event": event,
        "project": {"id": project_id, "name": project.name},
        **said,
        "timestamp": utcnow().isoformat(timespec="seconds") + "Z",
    })  # fmt: skip
    s.add_all(
        WebhookDelivery(webhook_id=h.id, event_id=event_id, event=event, body=body) for h in hooks
    )
