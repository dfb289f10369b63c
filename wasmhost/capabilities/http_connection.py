"""The outbound connection itself: name resolution bounded by the invocation's
deadline, and a connection pinned to the addresses the allow-list check approved
(capabilities/http.py), with the host's TLS. A module of its own so that
``http.client``, ``socket``, ``ssl`` and the resolver threads (~30 ms of imports with
``email``) come with a function's first outbound request, not with ``import wasmhost``;
it is only imported by http.py, after http.py has loaded, so it may import from it."""

from __future__ import annotations

import http.client
import queue
import socket
import ssl
import threading
from concurrent.futures import Future

from ..errors import InvocationTimeout
from .http import DNS_THREADS, Failed, _remaining

_TLS: ssl.SSLContext | None = None


def _tls() -> ssl.SSLContext:
    global _TLS
    if _TLS is None:
        _TLS = ssl.create_default_context()  # certificate and host-name checks on
    return _TLS


class Pinned(http.client.HTTPConnection):
    """A connection to the addresses the allow-list check approved, not to whatever the
    name resolves to later. They are tried in turn, as ``socket.create_connection``
    tries a name's: each attempt gets an equal share of the time left before
    ``deadline_ns``, so an address that drops packets cannot use up the time the
    next one needs."""

    def __init__(self, host: str, port: int, addrs: list[str], deadline_ns: int) -> None:
        super().__init__(host, port, timeout=_remaining(deadline_ns, f"a request to {host}"))
        self.addrs, self.deadline_ns = addrs, deadline_ns

    def connect(self) -> None:
        failures = []
        for i, addr in enumerate(self.addrs):
            left = _remaining(self.deadline_ns, f"connecting to {self.host}")
            try:
                self.sock = socket.create_connection((addr, self.port), left / (len(self.addrs) - i))
            except OSError as e:
                failures.append(f"{addr}: {e.strerror or e}")
                if i < len(self.addrs) - 1:
                    continue
                if len(failures) == 1:
                    raise
                # a timeout stays one, so the caller tells the invocation's deadline from a slow host
                raise type(e)(f"no address of {self.host} accepted a connection ({'; '.join(failures)})") from e
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return


class PinnedTLS(Pinned):
    default_port = 443

    def connect(self) -> None:
        super().connect()
        self.sock = _tls().wrap_socket(self.sock, server_hostname=self.host)


_getaddrinfo = socket.getaddrinfo  # the resolver (tests put one they control here)
_lookups: queue.SimpleQueue | None = None
_START = threading.Lock()


def _lookup_thread(jobs: queue.SimpleQueue) -> None:
    while True:
        done, host, port = jobs.get()
        if done.set_running_or_notify_cancel():
            try:
                done.set_result(_getaddrinfo(host, port, type=socket.SOCK_STREAM))
            except BaseException as e:
                done.set_exception(e)


def resolve(host: str, port: int, deadline_ns: int) -> list[tuple]:
    """``getaddrinfo``, waited for no longer than the invocation's deadline. The C
    resolver has no timeout of its own, so lookups run on DNS_THREADS daemon threads
    (a hung one must not hold up the process's exit, as a ThreadPoolExecutor's
    would); one still hanging when the deadline passes finishes there, unwaited for."""
    global _lookups
    if _lookups is None:
        with _START:
            if _lookups is None:
                jobs: queue.SimpleQueue = queue.SimpleQueue()
                for i in range(DNS_THREADS):
                    threading.Thread(target=_lookup_thread, args=(jobs,), name=f"wasmhost-dns-{i}", daemon=True).start()
                _lookups = jobs
    done: Future = Future()
    _lookups.put((done, host, port))
    try:
        return done.result(timeout=_remaining(deadline_ns, f"resolving {host}"))
    except TimeoutError:
        done.cancel()  # if no thread has taken it yet, none will
        raise InvocationTimeout(f"the invocation's timeout passed while resolving {host}") from None
    except socket.gaierror as e:
        raise Failed(f"cannot resolve {host}: {e.strerror}") from None
    except OSError as e:
        raise Failed(f"cannot resolve {host}: {e}") from None
