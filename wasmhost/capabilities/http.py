"""Outbound HTTP, deny by default: a function reaches only the hosts its
``allowed_hosts`` names (``FunctionConfig.allowed_hosts``, the Lambda tag
``wasmhost:allowed-hosts``).

The host makes the request (the guest has no sockets): the allow-list is checked
on the name, then on every address the name resolves to (a lookup bounded by the
invocation's deadline), and the connection goes to the addresses that were
checked, each in turn until one accepts (no second lookup a rebinding DNS server
could answer differently). Loopback, private, link-local (the cloud metadata address
169.254.169.254) and other non-public addresses are refused unless the allow-list
names that address literally. Redirects are followed by the host only when the
guest asks, each hop checked again. HTTPS uses the host's TLS with certificate and
host-name checks (``ssl.create_default_context``). The request body, the response
body and the time spent count against the invocation: bodies are capped, and
waiting is bounded by the invocation's deadline (a host call burns no fuel; past
the deadline the invocation times out). Each refusal reaches the guest as an error
naming the host and the setting to change.

Guest interfaces (guest_sdk/ABI.md):

- core modules: ``wasmhost.http_request(req_ptr, req_len) -> i32`` takes a msgpack
  map ``{method, url, headers: [[name, value]...], body: bin, follow: bool}`` and
  returns the length of the reply, which ``wasmhost.http_reply(ptr, cap) -> i32``
  copies out: ``{status, reason, headers, body, url}`` or ``{error, message}``;
- language runtimes: ``http-send(method, url, headers-json, body, follow)`` in the
  WIT ``host`` interface, bodies carried as latin-1 strings (wasmtime-py marshals
  ``list<u8>`` a byte at a time), returning ``(status, head-json, body)`` with
  status 0 and ``{"error", "message"}`` as the head on failure.
"""

from __future__ import annotations

import ipaddress
import json
import time
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import msgpack

from ..errors import InvocationTimeout
from .allowlist import AllowList, Rule, public

if TYPE_CHECKING:  # http.client, socket and ssl (~30 ms with email) load with the first request: http_connection.py
    from .http_connection import Pinned

NAME = "http"
SIDE_EFFECTS = True  # a request may change the world: never run twice

MAX_REQUEST_BODY = 6 * 1024 * 1024  # Lambda's own payload limit
MAX_RESPONSE_BODY = 16 * 1024 * 1024
MAX_REDIRECTS = 5
DNS_THREADS = 4  # lookups in flight at once, process-wide (each bounded by its invocation's deadline)
SETTING = "FunctionConfig.allowed_hosts / Lambda tag wasmhost:allowed-hosts"
DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = (301, 302, 303, 307, 308)
# (host, port) of the buckets' S3 endpoints in this process (server/sources/s3_functions.py): the
# bodies a function sends there and reads back are its bucket bytes written and read, not outbound traffic
BUCKET_ENDPOINTS: set[tuple[str, int]] = set()
_HOP_HEADERS = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer",
                "host", "content-length"}


# -- per-instance state ---------------------------------------------------------------------
class Refused(Exception):
    """An outbound request the host will not make (sent to the guest as an error)."""

    kind = "Refused"


class TooLarge(Refused):
    kind = "TooLarge"


class Failed(Refused):
    kind = "ConnectionError"


class HttpState:
    """One instance's outbound HTTP: its allow-list, kept-alive connections, the
    counters its invocation's report takes, and the core ABI's pending reply."""

    def __init__(self, allowed: AllowList) -> None:
        self.allowed = allowed
        self.conns: dict[tuple[str, str, int], Pinned] = {}
        self.requests = 0
        self.bytes = 0
        self.bucket_read = self.bucket_written = 0  # bodies to and from BUCKET_ENDPOINTS
        self.reply = b""

    def take_usage(self) -> tuple[int, int, int, int]:
        usage = self.requests, self.bytes, self.bucket_read, self.bucket_written
        self.requests = self.bytes = self.bucket_read = self.bucket_written = 0
        return usage

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()
        self.conns.clear()


def new_state(grants) -> HttpState:
    return HttpState(AllowList(grants.allowed_hosts))


def _addresses(allowed: AllowList, host: str, port: int, default_port: int, rule: Rule,
               deadline_ns: int) -> list[str]:
    """The addresses to connect to, in the resolver's order, each checked: a non-public
    one (loopback, private, link-local) is refused, and with it the request, unless
    the allow-list names that address literally."""
    if rule.literal is not None:
        return [str(rule.literal)]
    from .http_connection import resolve
    addrs: list[str] = []
    for info in resolve(host, port, deadline_ns):
        addr = str(info[4][0])
        ip = ipaddress.ip_address(addr.split("%")[0])
        if not public(ip) and allowed.rule_for(str(ip), port, default_port) is None:
            raise Refused(f"outbound HTTP to {host} refused: it resolves to {addr}, a non-public address "
                          f"(loopback, private or link-local), reachable only when allowed_hosts also names "
                          f"that address, e.g. \"{_entry(addr, port)}\" ({SETTING})")
        if addr not in addrs:
            addrs.append(addr)
    if not addrs:
        raise Failed(f"cannot resolve {host}: no addresses")
    return addrs


def _entry(addr: str, port: int) -> str:
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def _remaining(deadline_ns: int, what: str) -> float:
    left = (deadline_ns - time.perf_counter_ns()) / 1e9
    if left <= 0.005:  # a socket timeout set to the time left fires about now
        raise InvocationTimeout(f"the invocation's timeout passed during {what}")
    return left


def request(state: HttpState, deadline_ns: int, method: str, url: str, headers: list[tuple[str, str]],
            body: bytes, follow: bool) -> tuple[int, str, list[tuple[str, str]], bytes, str]:
    """Make the request (following redirects when asked): ``(status, reason, headers,
    body, final url)``. Raises ``Refused`` (and subclasses) for the guest, or
    ``InvocationTimeout`` when the invocation's deadline passes."""
    if len(body) > MAX_REQUEST_BODY:
        raise TooLarge(f"request body of {len(body)} bytes exceeds the {MAX_REQUEST_BODY}-byte limit "
                       f"of outbound requests")
    method = method.upper() or "GET"
    for _ in range(MAX_REDIRECTS + 1):
        status, reason, rheaders, rbody = _one(state, deadline_ns, method, url, headers, body)
        location = next((v for k, v in rheaders if k.lower() == "location"), None)
        if not follow or status not in _REDIRECTS or location is None:
            return status, reason, rheaders, rbody, url
        new_url = urljoin(url, location)
        if urlsplit(new_url).hostname != urlsplit(url).hostname:  # credentials stay with their host
            headers = [(k, v) for k, v in headers if k.lower() not in ("authorization", "cookie")]
        if status == 303 or (status in (301, 302) and method == "POST"):
            method, body = ("GET" if method != "HEAD" else "HEAD"), b""
            headers = [(k, v) for k, v in headers if not k.lower().startswith("content-")]
        url = new_url
    raise Failed(f"more than {MAX_REDIRECTS} redirects, the last to {url}")


def _one(state: HttpState, deadline_ns: int, method: str, url: str, headers: list[tuple[str, str]],
         body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise Refused(f"outbound requests must be http:// or https:// URLs, not {url[:200]!r}")
    host = (parts.hostname or "").lower()
    if not host:
        raise Refused(f"URL without a host: {url[:200]!r}")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise Refused(f"URL with a bad port: {url[:200]!r}") from None
    rule = state.allowed.rule_for(host, port, DEFAULT_PORTS[scheme])
    if rule is None:
        named = host if port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
        have = ", ".join(r.host + ("" if r.port is None else f":{r.port or '*'}") for r in state.allowed.rules)
        raise Refused(f"outbound HTTP to {named} refused: it is not in this function's allowed_hosts "
                      f"({have or 'empty: no outbound requests'}); add \"{named}\" to {SETTING}")
    import http.client
    import socket
    import ssl

    from .http_connection import Pinned, PinnedTLS
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    key = (scheme, host, port)
    conn = state.conns.pop(key, None)
    reused = conn is not None
    for attempt in (0, 1):
        if conn is None:
            addrs = _addresses(state.allowed, host, port, DEFAULT_PORTS[scheme], rule, deadline_ns)
            cls = PinnedTLS if scheme == "https" else Pinned
            conn = cls(host, port, addrs, deadline_ns)
        try:
            return _exchange(state, conn, key, deadline_ns, method, target, headers, body, host)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
            conn.close()
            conn = None
            if not reused or attempt:  # a kept-alive connection the server closed: once more, fresh
                raise Failed(f"connection to {host}:{port} failed: {e}") from None
        except socket.timeout:
            conn.close()
            _remaining(deadline_ns, f"a request to {host}")  # raises InvocationTimeout when it is the deadline
            raise Failed(f"request to {host}:{port} timed out") from None
        except ssl.SSLCertVerificationError as e:
            conn.close()
            raise Failed(f"TLS certificate check failed for {host}: {e.verify_message}") from None
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise Failed(f"request to {host}:{port} failed: {e}") from None
    raise AssertionError("unreachable")


def _exchange(state: HttpState, conn: Pinned, key: tuple[str, str, int], deadline_ns: int,
              method: str, target: str, headers: list[tuple[str, str]], body: bytes,
              host: str) -> tuple[int, str, list[tuple[str, str]], bytes]:
    conn.deadline_ns = deadline_ns  # a connection kept alive from an earlier invocation reconnects under this one's
    conn.timeout = _remaining(deadline_ns, f"a request to {host}")
    if conn.sock is not None:
        conn.sock.settimeout(conn.timeout)
    conn.putrequest(method, target, skip_accept_encoding=True)
    for k, v in headers:
        if k.lower() not in _HOP_HEADERS:
            conn.putheader(k, v)
    if body or method in ("POST", "PUT", "PATCH"):
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)
    buckets = (host, key[2]) in BUCKET_ENDPOINTS
    if buckets:
        state.bucket_written += len(body)
    else:
        state.requests += 1
        state.bytes += len(body)
    resp = conn.getresponse()
    chunks, size = [], 0
    while True:
        if resp.fp is not None and conn.sock is not None:
            conn.sock.settimeout(_remaining(deadline_ns, f"the response from {host}"))
        chunk = resp.read(65536) if method != "HEAD" else b""
        if not chunk:
            break
        size += len(chunk)
        if buckets:
            state.bucket_read += len(chunk)
        else:
            state.bytes += len(chunk)
        if size > MAX_RESPONSE_BODY:
            conn.close()
            raise TooLarge(f"the response from {host} exceeds the {MAX_RESPONSE_BODY}-byte limit of "
                           f"outbound responses")
        chunks.append(chunk)
    if resp.will_close:
        conn.close()
    else:
        state.conns[key] = conn  # kept alive for this instance's next request
    return resp.status, resp.reason, [(k, v) for k, v in resp.getheaders()], b"".join(chunks)


# -- the core ABI -------------------------------------------------------------------------------
def _http_request(guest, ptr: int, length: int) -> int:
    state: HttpState = guest.caps[NAME]
    try:
        req = msgpack.unpackb(guest.read(ptr, length), raw=False)
        status, reason, headers, body, url = request(
            state, guest.deadline_ns, str(req.get("method") or "GET"), str(req["url"]),
            [(str(k), str(v)) for k, v in req.get("headers") or ()], bytes(req.get("body") or b""),
            bool(req.get("follow", False)))
        reply = {"status": status, "reason": reason, "headers": [list(h) for h in headers], "body": body, "url": url}
    except Refused as e:
        reply = {"error": e.kind, "message": str(e)}
    except (ValueError, KeyError, TypeError, msgpack.ExtraData) as e:
        reply = {"error": "InvalidRequest", "message": f"http_request wants a msgpack map with a url: {e}"}
    state.reply = msgpack.packb(reply)
    return len(state.reply)


def _http_reply(guest, ptr: int, cap: int) -> int:
    reply = guest.caps[NAME].reply
    if len(reply) <= cap:
        guest.write(ptr, reply)
    return len(reply)


IMPORTS = {
    "http_request": (("i32", "i32"), ("i32",), _http_request),
    "http_reply": (("i32", "i32"), ("i32",), _http_reply),
}


# -- the runtimes' host interface -------------------------------------------------------------
def _http_send(guest, method: str, url: str, headers: str, body: str, follow: bool) -> tuple[int, str, str]:
    state: HttpState = guest.caps[NAME]
    try:
        status, reason, rheaders, rbody, final = request(
            state, guest.deadline_ns, method, url, [(str(k), str(v)) for k, v in json.loads(headers or "[]")],
            body.encode("latin-1"), follow)
    except Refused as e:
        return 0, json.dumps({"error": e.kind, "message": str(e)}), ""
    except (ValueError, TypeError) as e:
        return 0, json.dumps({"error": "InvalidRequest", "message": str(e)}), ""
    return status, json.dumps({"reason": reason, "headers": rheaders, "url": final}), rbody.decode("latin-1")


COMPONENT_IMPORTS = {"http-send": (("u16", "string", "string"), _http_send)}
