"""Which network addresses the studio may call on an owner's word (a webhook): public ones
only, so nobody can point the studio at itself, its network or a cloud's metadata service
(server-side request forgery). Checked when a webhook is saved and again at each delivery,
on the very address connected to (a name's DNS answer can change in between)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOW_PRIVATE = "VEOGEN_WEBHOOKS_ALLOW_PRIVATE"  # the setting that lifts the rule
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 addresses reached through IPv6
DEFAULT_PORTS = {"http": 80, "https": 443}


def why_not_public(ip: IP) -> str | None:
    """Why the studio must not call ``ip`` unasked, in words (None: a public address)."""
    inner = _embedded(ip)
    if inner is not None:
        why = why_not_public(inner)
        return f"{inner} inside it, {why}" if why else None
    if ip in METADATA:
        return "the cloud's metadata service"
    if ip.is_unspecified:
        return "no address at all (it means this machine)"
    if ip.is_loopback:
        return "a loopback address (this machine itself)"
    if ip.is_link_local:
        return "a link-local address (cloud metadata services answer there)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved or not ip.is_global:
        return "a reserved address, not one on the internet"
    return None


def _embedded(ip: IP) -> IP | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), which is what it reaches."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def literal(host: str) -> IP | None:
    """The address a URL's host is written as (None: a name to look up)."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def resolved(host: str, port: int) -> list[IP]:
    """Every address ``host`` stands for now (raises ``socket.gaierror`` if none)."""
    return addresses(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))


def addresses(answers: Sequence[tuple[Any, ...]]) -> list[IP]:
    """The distinct addresses of ``getaddrinfo``'s answers, in its order (its preference)."""
    return list(dict.fromkeys(ipaddress.ip_address(str(a[4][0]).split("%")[0]) for a in answers))


def refusal(host: str, addresses: list[IP]) -> str | None:
    """Why a webhook may not call ``host`` at these addresses, in words (None: it may)."""
    for ip in addresses:
        why = why_not_public(ip)
        if why:
            where = f"{host} is {why}" if literal(host) else f"{host} resolves to {ip}, {why}"
            return (
                f"{where}: webhooks call public addresses only (for a receiver on your own "
                f"network, the studio's administrator sets {ALLOW_PRIVATE})"
            )
    return None
