"""A webhook's call pinned to an address checked just before it: the host's name is looked
up at each delivery (its DNS answer may have changed since the webhook was saved, on
purpose: DNS rebinding), every address it has is checked, and the call connects to them,
by number, in the resolver's order, so no second lookup can lead it elsewhere. The name
stays in the Host header and in TLS (SNI, and the certificate is checked against it)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from typing import Any

import httpx

from storage import public_addresses


class Refused(Exception):
    """The address is one webhooks may not call: said in words, never tried again."""


@dataclass(frozen=True)
class Pinned:
    urls: list[httpx.URL]  # the address, its host replaced by each checked address in turn
    headers: dict[str, str]  # and the httpx extensions, that keep the name
    extensions: dict[str, Any]


async def pinned(url: str, allow_private: bool) -> Pinned:
    """Where to call for ``url`` now; raises ``Refused``, or ``socket.gaierror`` when the
    name is not found."""
    target = httpx.URL(url)
    host = target.raw_host.decode("ascii")
    port = target.port or public_addresses.DEFAULT_PORTS[target.scheme]
    answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found = public_addresses.addresses(answers)
    refusal = None if allow_private else public_addresses.refusal(host, found)
    if refusal:
        raise Refused(refusal)
    named = public_addresses.literal(host) is None
    return Pinned(
        [target.copy_with(host=str(ip)) for ip in found],
        {"Host": target.netloc.decode("ascii")},
        {"sni_hostname": host} if named else {},
    )


async def post(client: httpx.AsyncClient, to: Pinned, **request: Any) -> httpx.Response:
    """POST to each address in turn until one connects (one family may be unreachable
    from here)."""
    *others, last = to.urls  # getaddrinfo answers with one address at least
    for url in others:
        with contextlib.suppress(httpx.ConnectError):
            return await client.post(url, extensions=to.extensions, **request)
    return await client.post(last, extensions=to.extensions, **request)
