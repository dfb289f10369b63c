"""The outbound connection itself: pinned to the address the allow-list check
approved (capabilities/http.py), with the host's TLS. A module of its own so that
``http.client``, ``socket`` and ``ssl`` (~30 ms of imports with ``email``) load with
a function's first outbound request, not with ``import wasmhost``."""

from __future__ import annotations

import http.client
import socket
import ssl

_TLS: ssl.SSLContext | None = None


def _tls() -> ssl.SSLContext:
    global _TLS
    if _TLS is None:
        _TLS = ssl.create_default_context()  # certificate and host-name checks on
    return _TLS


class Pinned(http.client.HTTPConnection):
    """A connection to the address the allow-list check approved, not to whatever the
    name resolves to later."""

    def __init__(self, host: str, port: int, addr: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addr = addr

    def connect(self) -> None:
        self.sock = socket.create_connection((self.addr, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PinnedTLS(Pinned):
    default_port = 443

    def connect(self) -> None:
        super().connect()
        self.sock = _tls().wrap_socket(self.sock, server_hostname=self.host)
