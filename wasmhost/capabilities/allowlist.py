"""Outbound HTTP's allow-list: which hosts and ports a function may reach, and which
resolved addresses are public.

Entries: an exact host (its scheme's default port), ``*.domain`` or ``.domain`` (subdomains only),
``*`` (any host name), with ``:port`` or ``:*``; an IP address (``[v6]`` with a port)
matches only requests to that address. Non-public addresses (loopback, private,
link-local, the metadata address) pass only when named literally; the http
capability checks that on every address a name resolves to.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from ..errors import DeployError

_IP = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAME_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$")


@dataclass(frozen=True)
class Rule:
    """One allow-list entry: an exact host, ``*.domain`` (any subdomain, not the domain
    itself), or ``*`` (any host name); a port (``None``: the scheme's default port,
    ``0``: any); ``literal`` when the host is an IP address."""

    host: str
    port: int | None
    literal: _IP | None

    def matches(self, host: str, port: int, default_port: int) -> bool:
        if self.port is None and port != default_port or self.port not in (None, 0, port):
            return False
        if self.host == "*":
            return True
        if self.host.startswith("*."):
            return host.endswith(self.host[1:]) and len(host) > len(self.host) - 1
        return host == self.host


def _bare(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _ip(host: str) -> _IP | None:
    try:
        return ipaddress.ip_address(_bare(host))
    except ValueError:
        return None


def parse_rule(entry: str) -> Rule:
    """``api.example.com``, ``*.example.org``, ``127.0.0.1:8080``, ``[::1]:8080``,
    ``host:*``; a leading ``http://`` or ``https://`` is ignored."""
    if not isinstance(entry, str) or not entry.strip():
        raise DeployError(f"allowed_hosts entries must be non-empty strings, not {entry!r}")
    text = entry.strip().lower()
    for scheme in ("http://", "https://"):
        if text.startswith(scheme):
            text = text[len(scheme):]
    text = text.rstrip("/")
    if text.startswith("."):  # ".example.org": the spelling a Lambda tag value allows (no "*")
        text = "*" + text
    port: int | None = None
    if text.startswith("["):  # [v6]:port
        end = text.find("]")
        host, rest = text[:end + 1], text[end + 1:]
        if rest and not rest.startswith(":"):
            raise DeployError(f"allowed_hosts entry {entry!r}: expected [address]:port")
        port_text = rest[1:] if rest else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    if port_text:
        if port_text == "*":
            port = 0
        elif port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536:
            port = int(port_text)
        else:
            raise DeployError(f"allowed_hosts entry {entry!r}: the port must be 1-65535 or *")
    literal = _ip(host)
    if literal is None:
        name = host[2:] if host.startswith("*.") else host
        if host != "*" and not _NAME_RE.match(name):
            raise DeployError(f"allowed_hosts entry {entry!r} is not a host name, *.domain, an IP address or *")
    return Rule(_bare(host) if literal else host, port, literal)


class AllowList:
    def __init__(self, entries: tuple[str, ...]) -> None:
        self.rules = tuple(parse_rule(e) for e in entries)

    def rule_for(self, host: str, port: int, default_port: int) -> Rule | None:
        ip = _ip(host)
        for rule in self.rules:
            if ip is not None:
                if rule.literal == ip and rule.matches(rule.host, port, default_port):
                    return rule
            elif rule.literal is None and rule.matches(host, port, default_port):
                return rule
        return None


def parse_allowed_hosts(value: Any) -> tuple[str, ...]:
    """The setting as given in a config, or as one string of entries separated by commas
    or spaces (a Lambda tag value allows no commas), checked."""
    if isinstance(value, str):
        value = tuple(p for p in re.split(r"[,\s]+", value) if p)
    entries = tuple(value)
    AllowList(entries)  # raises DeployError naming a bad entry
    return entries


def public(ip: _IP) -> bool:
    """Is ``ip`` a public unicast address (IPv4-mapped IPv6 judged as IPv4)?"""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
