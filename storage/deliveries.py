"""The engines' side of webhook deliveries: which are due, claiming one to send, and what
came of it. A claim is a conditional UPDATE that moves the delivery's next attempt past
its send (a lease), so two engines never send one at once, and a delivery whose engine
stopped mid-send is due again when the lease ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from storage.db import Database
from storage.models import DeliveryStatus, Webhook, WebhookDelivery, utcnow

MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class Outgoing:
    """A delivery claimed by this engine: what to send where, signed with what."""

    id: int
    event_id: str
    event: str
    url: str
    secret: str
    body: str
    attempt: int  # this one's number, from 1


def due_deliveries(db: Database, limit: int) -> list[int]:
    """Deliveries waiting to be sent, the longest waiting first."""
    with db.session() as s:
        return list(
            s.scalars(
                select(WebhookDelivery.id)
                .where(
                    WebhookDelivery.status == DeliveryStatus.pending,
                    WebhookDelivery.next_attempt_at <= utcnow(),
                )
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(limit)
            )
        )


def claim_delivery(db: Database, delivery_id: int, lease_s: float) -> Outgoing | None:
    """This engine's to send for ``lease_s``; None if another engine claimed it first (or
    it was sent, given up or deleted meanwhile)."""
    now = utcnow()
    with db.session() as s:
        claimed = s.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status == DeliveryStatus.pending,
                WebhookDelivery.next_attempt_at <= now,
            )
            .values(
                next_attempt_at=now + timedelta(seconds=lease_s),
                attempts=WebhookDelivery.attempts + 1,
            )
        )
        if cast(CursorResult[Any], claimed).rowcount != 1:
            return None
        row = s.execute(
            select(WebhookDelivery, Webhook.url, Webhook.secret)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.id == delivery_id)
        ).one()
        d, url, secret = row
        return Outgoing(d.id, d.event_id, d.event, url, secret, d.body, d.attempts)


def record_delivered(db: Database, sent: Outgoing, status_code: int) -> None:
    _record(db, sent, status=DeliveryStatus.delivered, status_code=status_code, error=None,
            next_attempt_at=None, delivered_at=utcnow())  # fmt: skip


def record_failed(
    db: Database, sent: Outgoing, status_code: int | None, error: str, delays: Sequence[float]
) -> bool:
    """Note a failed attempt: tried again after ``delays[attempt - 1]`` seconds, or given
    up after the last (attempts = one more than the delays). Says whether it is retried."""
    again = sent.attempt <= len(delays)
    _record(
        db, sent, status_code=status_code, error=error[:MAX_ERROR_CHARS],
        status=DeliveryStatus.pending if again else DeliveryStatus.failed,
        next_attempt_at=utcnow() + timedelta(seconds=delays[sent.attempt - 1]) if again else None,
    )  # fmt: skip
    return again


def _record(db: Database, sent: Outgoing, **values: Any) -> None:
    """Only the attempt it claimed: an engine that outlived its lease, while another sent
    the delivery again, does not overwrite what that one recorded."""
    with db.session() as s:
        s.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == sent.id, WebhookDelivery.attempts == sent.attempt)
            .values(**values)
        )
