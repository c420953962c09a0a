"""The engine's notifier: sends what the studio's transactions left in SQL for the world
outside, beside the worker and never in its way, nor in the studio's.

Webhook deliveries are claimed one by one with a conditional UPDATE (several engines never
send one at once), posted with a short timeout and signed (HMAC-SHA256 of
"{timestamp}.{body}" with the webhook's secret; docs/webhooks.md), and on failure tried
again later, each wait longer, until the last attempt is given up. Each goes to a public
address checked at that moment (engine/pinning.py), never following a redirect; one that
is not public is given up at once. Inbox e-mail, when the studio has an SMTP server, goes
at once or as a daily digest, as each person chose.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import smtplib
import socket
import time
from collections.abc import Sequence

import httpx

from engine.mailer import Mailer
from engine.pinning import Refused, pinned, post
from storage import deliveries, mailings
from storage.db import Database
from storage.deliveries import Outgoing

log = logging.getLogger("veogen.notifier")

# Seconds before each attempt after a failed one: 10 s, 30 s, 2 min, 10 min, 1 h, 3 h, 6 h;
# the eighth attempt, some ten hours after the first, is the last.
RETRY_DELAYS_S: tuple[float, ...] = (10, 30, 120, 600, 3600, 3 * 3600, 6 * 3600)
SEND_TIMEOUT_S = 5.0
LEASE_S = 60.0  # a claimed delivery is this engine's for longer than any send takes
BATCH = 20  # deliveries under way at once, per engine
INTERVAL_S = 1.0
SIGNATURE = "X-VeoGen-Signature"
TIMESTAMP = "X-VeoGen-Timestamp"
EVENT_ID = "X-VeoGen-Event-Id"
EVENT = "X-VeoGen-Event"


def signature(secret: str, timestamp: str, body: str) -> str:
    """What a receiver recomputes to know the studio sent ``body`` at ``timestamp``."""
    signed = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"sha256={signed.hexdigest()}"


class Notifier:
    def __init__(
        self,
        db: Database,
        mailer: Mailer | None,
        digest_hour: int,
        retry_delays: Sequence[float] = RETRY_DELAYS_S,
        timeout_s: float = SEND_TIMEOUT_S,
        interval_s: float = INTERVAL_S,
        allow_private: bool = False,
    ) -> None:
        """``mailer`` None: the studio has no SMTP server, and mails nothing.
        ``allow_private``: webhooks may call private addresses (on premises)."""
        self.db, self.mailer, self.digest_hour = db, mailer, digest_hour
        self.allow_private = allow_private
        self.retry_delays, self.timeout_s, self.interval_s = retry_delays, timeout_s, interval_s
        self.mail_failures = 0
        self.mail_paused_until = 0.0
        self.sending: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send what is due every ``interval_s`` until ``stop``; sends under way finish."""
        # the certificates load in a thread: the worker's heartbeat shares this event loop
        verify = await asyncio.to_thread(httpx.create_ssl_context)
        # no connection kept: each call is made to the address checked for it, and a kept
        # one (pooled by address) could carry another host's call over this one's TLS
        async with httpx.AsyncClient(
            timeout=self.timeout_s, verify=verify, follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as client:  # fmt: skip
            while not stop.is_set():
                for turn in (self._deliver(client), self._mail()):
                    try:
                        await turn
                    except Exception:  # a database blip: the next turn tries again
                        log.exception("notifier: sending failed; trying again shortly")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
            await asyncio.gather(*self.sending)

    async def _deliver(self, client: httpx.AsyncClient) -> None:
        """Claim what is due, as many as there is room for beside the sends under way, and
        send each on its own: a slow endpoint holds up nobody else's deliveries."""
        room = BATCH - len(self.sending)
        if room <= 0:
            return
        due = await asyncio.to_thread(deliveries.due_deliveries, self.db, room)
        claims = [
            asyncio.to_thread(deliveries.claim_delivery, self.db, delivery_id, LEASE_S)
            for delivery_id in due
        ]
        for sent in await asyncio.gather(*claims):
            if sent:
                task = asyncio.create_task(self._post(client, sent))
                self.sending.add(task)
                task.add_done_callback(self.sending.discard)

    async def _post(self, client: httpx.AsyncClient, sent: Outgoing) -> None:
        try:
            await self._attempt(client, sent)
        except Exception:  # SQL away: the claim runs out, and it is sent again then
            log.exception("webhook delivery %d: its attempt could not be recorded", sent.id)

    async def _attempt(self, client: httpx.AsyncClient, sent: Outgoing) -> None:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "VeoGen-Studio-Webhooks",
            TIMESTAMP: timestamp,
            SIGNATURE: signature(sent.secret, timestamp, sent.body),
            EVENT_ID: sent.event_id,
            EVENT: sent.event,
        }
        status: int | None = None
        delays = self.retry_delays
        try:
            # the whole call, not each phase: a trickling endpoint must not outlast the claim
            answer = await asyncio.wait_for(self._call(client, sent, headers), self.timeout_s)
            status = answer.status_code
            if answer.is_success:
                await asyncio.to_thread(deliveries.record_delivered, self.db, sent, status)
                return
            error = f"the endpoint answered {status} {answer.reason_phrase}".strip()
            if answer.is_redirect:
                error += " (webhooks follow no redirect: give the address it leads to)"
        except Refused as exc:  # asking again changes nothing the owner can see
            error, delays = f"not sent: {exc}", ()
        except socket.gaierror as exc:
            error = f"could not find its address ({exc.strerror or exc})"
        except (httpx.TimeoutException, TimeoutError):
            error = f"no answer within {self.timeout_s:g} s"
        except httpx.HTTPError as exc:
            error = f"could not reach it: {str(exc) or type(exc).__name__}"
        again = await asyncio.to_thread(
            deliveries.record_failed, self.db, sent, status, error, delays
        )
        log.warning(
            "webhook delivery %d (%s), attempt %d: %s; %s", sent.id, sent.event, sent.attempt,
            error, "tried again later" if again else "given up",
        )  # fmt: skip

    async def _call(
        self, client: httpx.AsyncClient, sent: Outgoing, headers: dict[str, str]
    ) -> httpx.Response:
        to = await pinned(sent.url, self.allow_private)
        return await post(client, to, content=sent.body.encode(), headers={**headers, **to.headers})

    async def _mail(self) -> None:
        if self.mailer is None or time.monotonic() < self.mail_paused_until:
            return
        due = await asyncio.to_thread(mailings.take_mail, self.db, self.digest_hour)
        for n, mailing in enumerate(due):
            try:
                await self.mailer.send(mailing)
            except smtplib.SMTPRecipientsRefused as exc:  # this address alone: the rest go on
                log.warning("e-mail to user %d refused by the server: %s", mailing.user_id, exc)
                continue
            except (smtplib.SMTPException, OSError) as exc:
                for unsent in due[n:]:  # due again once the server is back
                    await asyncio.to_thread(mailings.give_back, self.db, unsent)
                delay = self.retry_delays[min(self.mail_failures, len(self.retry_delays) - 1)]
                self.mail_failures += 1
                self.mail_paused_until = time.monotonic() + delay
                log.warning("e-mail: the SMTP server failed (%s); trying again in %g s", exc, delay)
                return
            self.mail_failures = 0
