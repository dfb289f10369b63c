"""wasmhost_sdk: what a Python function reaches through the host's capabilities.

    from wasmhost_sdk import kv
    kv.set("visits", b"1"); kv.get("visits") -> b"1" | None; kv.delete("visits"); kv.keys(prefix="")
    shared = kv.store("sessions")   # a named store granted in FunctionConfig.kv_stores

Outbound HTTP needs no import: ``urllib.request``, ``http.client``, ``urllib3``,
``requests``, ``httpx`` and ``aiohttp`` (from requirements.txt) go through the host,
which checks the function's ``allowed_hosts`` and does TLS with certificate checks. A
refused request raises ``OutboundRefused`` (a ``PermissionError``; urllib wraps it in
``URLError``, requests in ``ConnectionError``, urllib3 in ``NewConnectionError``, httpx
in ``ConnectError``, aiohttp in ``ClientOSError``), whose message names the host and the
setting to change.

The guest has no sockets: ``http.client`` connections get a stand-in socket that
collects the request bytes and, once the request is complete, has the host send it
(``host.http_send``); the response is read back from memory. ``requests`` is served by
an adapter (its ``HTTPAdapter.send`` is replaced when ``requests.adapters`` is imported),
httpx by its transport's connection pool (``httpcore``'s ``handle_request``, likewise),
and asyncio's ``create_connection`` (aiohttp's client) gives a stand-in transport that
does with each request what the stand-in socket does.
"""

import http.client
import importlib
import importlib.abc
import importlib.machinery
import io
import json
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request

from wit_world.imports import host

# The runtime holds only the standard library imported when it is built: what
# requests, urllib3, idna and charset_normalizer import must be imported here
# (whole packages where they import submodules, whose names vary between versions).
def _preload():
    import pkgutil
    for name in ("queue", "http.cookiejar", "http.cookies", "encodings.idna", "stringprep", "mimetypes",
                 "zipfile", "tempfile", "shutil", "selectors", "select", "array", "atexit", "sysconfig", "locale",
                 "quopri", "threading", "linecache", "tokenize", "csv", "bz2", "lzma",
                 "email", "importlib.metadata", "importlib.resources", "importlib.readers", "json", "urllib"):
        try:
            module = importlib.import_module(name)
        except ImportError:  # not in this CPython build (bz2, lzma): a package that needs it says so
            continue
        for sub in pkgutil.iter_modules(getattr(module, "__path__", None) or []):
            try:
                importlib.import_module(f"{name}.{sub.name}")
            except ImportError:
                pass


_preload()

__all__ = ["KVError", "OutboundRefused", "kv"]


class OutboundRefused(PermissionError):
    """The host refused an outbound request (not in allowed_hosts, a non-public
    address, a size limit)."""


class KVError(ValueError):
    """A refused key-value call (a quota, a store not granted)."""

    def __init__(self, message):
        kind, _, text = message.partition(": ")
        super().__init__(message)
        self.kind = kind


# -- outbound HTTP ------------------------------------------------------------------------------
def send(method, url, headers, body=b"", follow=False):
    """One request through the host: ``(status, reason, [(name, value)], body, url)``."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    status, head, rbody = host.http_send(method, url, json.dumps([[str(k), str(v)] for k, v in headers]),
                                         bytes(body or b"").decode("latin-1"), follow)
    doc = json.loads(head)
    if status == 0:
        if doc.get("error") in ("Refused", "TooLarge"):
            raise OutboundRefused(doc.get("message", "refused"))
        raise ConnectionError(doc.get("message", "request failed"))
    return status, doc["reason"], [tuple(h) for h in doc["headers"]], rbody.encode("latin-1"), doc["url"]


class _HostSocket:
    """Stands in for the socket of an ``http.client`` connection."""

    def __init__(self, scheme, host, port):
        self.origin = f"{scheme}://{host}" + ("" if port == (443 if scheme == "https" else 80) else f":{port}")
        self.out = bytearray()
        self.response = None

    def sendall(self, data):
        self.out += data
        request = _complete(self.out)
        if request is not None:
            method, target, headers, body = request
            url = target if "://" in target else self.origin + target
            status, reason, rheaders, rbody, _ = send(method, url, headers, body)
            self.response = _Body(rbody if method != "HEAD" else b"", status, reason, rheaders)
            self.out = bytearray()

    def send(self, data):
        self.sendall(data)
        return len(data)

    def makefile(self, mode="rb", *args, **kwargs):
        if self.response is None:
            raise http.client.RemoteDisconnected("the request was incomplete")
        return self.response

    def settimeout(self, timeout):
        pass  # the host bounds every request by the invocation's deadline

    def setsockopt(self, *args):
        pass

    def close(self):
        pass


class _Body(io.BytesIO):
    """The response as the host parsed it: the body to read, the status and headers."""

    def __init__(self, body, status, reason, headers):
        super().__init__(body)
        self.status, self.reason, self.header_list = status, reason, headers


class _HostResponse(http.client.HTTPResponse):
    """Takes the status and headers the host parsed instead of parsing them again
    (``email.parser`` is slow in the sandbox)."""

    def begin(self):
        if self.headers is not None:
            return
        body = self.fp
        if not isinstance(body, _Body):  # not from the host: a real socket's response
            return super().begin()
        self.version, self.status, self.reason = 11, body.status, body.reason
        self.code = body.status
        msg = http.client.HTTPMessage()
        for k, v in body.header_list:
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                msg[k] = v
        self.msg = self.headers = msg
        self.length = len(body.getbuffer())
        self.chunked, self.will_close = False, True


def _complete(buf):
    """``(method, target, headers, body)`` once ``buf`` holds a whole request, else None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    method, target = lines[0].split(" ")[:2]
    headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:] if ":" in line]
    names = {k.lower(): v for k, v in headers}
    rest = bytes(buf[end + 4:])
    if names.get("transfer-encoding", "").lower() == "chunked":
        body, i = bytearray(), 0
        while True:
            eol = rest.find(b"\r\n", i)
            if eol < 0:
                return None
            size = int(rest[i:eol].split(b";")[0], 16)
            if size == 0:
                break
            if len(rest) < eol + 2 + size + 2:
                return None
            body += rest[eol + 2:eol + 2 + size]
            i = eol + 2 + size + 2
        headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
        return method, target, headers, bytes(body)
    length = int(names.get("content-length", "0"))
    if len(rest) < length:
        return None
    return method, target, headers, rest[:length]


def _connect_http(self):
    self.sock = _HostSocket("http", self.host, self.port)


def _connect_https(self):
    self.sock = _HostSocket("https", self.host, self.port)


class HTTPSConnection(http.client.HTTPConnection):
    """HTTPS through the host's TLS (certificates are checked there)."""

    default_port = http.client.HTTPS_PORT

    def __init__(self, host, port=None, *, context=None, timeout=None, **kwargs):
        super().__init__(host, port, timeout=timeout if timeout is not None else 60, **kwargs)

    connect = _connect_https


class HTTPSHandler(urllib.request.AbstractHTTPHandler):
    def __init__(self, debuglevel=None, context=None, check_hostname=None):
        super().__init__(debuglevel)

    def https_open(self, req):
        return self.do_open(http.client.HTTPSConnection, req)

    https_request = urllib.request.AbstractHTTPHandler.do_request_


def _patch_urllib3_connection(module):
    """``urllib3`` (importable without packaging, as on Lambda, with boto3): its
    connections get the host's stand-in socket; the rest, ``http.client`` underneath,
    is the same as for ``urllib``. Its HTTPS connection is this one (TLS with its
    certificate checks is the host's). A request the host could not make (refused by
    the allow-list, or no connection) fails as a connection that could not be made
    fails in urllib3: ``NewConnectionError``, retried, then ``MaxRetryError``, not a
    connection aborted halfway."""
    import inspect
    accepted = set(inspect.signature(module.HTTPConnection.__init__).parameters)
    new_connection_error = module.NewConnectionError

    class HostSocket(_HostSocket):
        def __init__(self, conn, scheme):
            super().__init__(scheme, conn.host, conn.port)
            self.conn = conn

        def sendall(self, data):
            try:
                super().sendall(data)
            except OSError as e:
                raise new_connection_error(self.conn, f"Failed to establish a new connection: {e}") from None

    class HTTPSConnection(module.HTTPConnection):
        default_port = http.client.HTTPS_PORT
        is_verified = True  # by the host
        proxy_is_verified = None

        def __init__(self, host, port=None, **kwargs):  # drops the TLS settings urllib3 passes
            super().__init__(host, port, **{k: v for k, v in kwargs.items() if k in accepted})

        def set_cert(self, *args, **kwargs):
            pass

    def connect(self):
        self.sock = HostSocket(self, "https" if isinstance(self, HTTPSConnection) else "http")

    module.HTTPConnection.connect = connect
    module.HTTPSConnection = HTTPSConnection


def _patch_urllib3_pool(module):
    # a stand-in socket carries one exchange: a pooled connection always takes a new one
    module.is_connection_dropped = lambda conn: True


def _patch_requests(adapters):
    """``requests``: send through the host instead of urllib3's sockets."""
    from requests.models import Response
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers
    from requests.exceptions import ConnectionError as RequestsConnectionError

    def send_(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        body = request.body
        if body is not None and not isinstance(body, (bytes, str)):
            body = b"".join(c.encode() if isinstance(c, str) else c for c in (body.read() if hasattr(body, "read")
                                                                              else body))
        # the host sends no Accept-Encoding unless asked: ask for the body as it is
        headers = [(k, v) for k, v in request.headers.items() if k.lower() != "accept-encoding"]
        try:
            status, reason, rheaders, rbody, url = send(request.method, request.url, headers, body or b"")
        except OSError as e:
            raise RequestsConnectionError(e, request=request) from None
        resp = Response()
        resp.status_code, resp.reason, resp.url, resp.request, resp.connection = status, reason, url, request, self
        resp.headers = CaseInsensitiveDict(rheaders)
        resp.encoding = get_encoding_from_headers(resp.headers)
        resp.raw = io.BytesIO(rbody)
        resp._content = rbody
        for value in (v for k, v in rheaders if k.lower() == "set-cookie"):
            name, _, rest = value.partition("=")
            resp.cookies.set(name.strip(), rest.split(";", 1)[0], domain=urllib.parse.urlsplit(url).hostname)
        return resp

    adapters.HTTPAdapter.send = send_


def _httpcore_exchange(request, body):
    """One ``httpcore`` request through the host: its ``Response``, or its ``ConnectError``."""
    from httpcore._exceptions import ConnectError
    from httpcore._models import Response
    url = request.url
    host = b"[%b]" % url.host if b":" in url.host else url.host
    target = (url.scheme + b"://" + host + (b":%d" % url.port if url.port is not None else b"") + url.target)
    try:
        status, reason, rheaders, rbody, _ = send(request.method.decode("ascii"), target.decode("ascii"),
                                                  [(k.decode("latin-1"), v.decode("latin-1"))
                                                   for k, v in request.headers], body)
    except OSError as e:
        raise ConnectError(str(e)) from None
    return Response(status, headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in rheaders],
                    content=rbody, extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason.encode("latin-1")})


def _patch_httpcore_sync(module):
    """``httpcore`` (httpx's transport, sync): its connection pool sends each request
    through the host instead of opening connections. What is above the pool (httpx's
    client, redirects, auth, decoding, its exceptions) is the library's own."""

    def handle_request(self, request):
        return _httpcore_exchange(request, b"".join(request.stream))

    module.ConnectionPool.handle_request = handle_request


def _patch_httpcore_async(module):
    """``httpcore``'s async pool (``httpx.AsyncClient``), the same way: the host's call
    completes before the coroutine goes on (a function's event loop has nothing else
    to wait on that the call could hold up: no sockets in the sandbox)."""

    async def handle_async_request(self, request):
        body = b""
        async for chunk in request.stream:
            body += chunk
        return _httpcore_exchange(request, body)

    module.AsyncConnectionPool.handle_async_request = handle_async_request


class _HostTransport:
    """A connection from asyncio's ``create_connection`` (aiohttp's client makes its own
    this way): each request written to it goes through the host once complete, and the
    response reaches the protocol as the server's bytes would. It carries HTTP only:
    anything else fails, as the socket it stands for would."""

    def __init__(self, loop, protocol, scheme, host, port):
        self._loop, self._protocol = loop, protocol
        self._socket = _HostSocket(scheme, host, port)
        self._peer = (host, port)
        self._closing = False

    def write(self, data):
        if self._closing:
            return
        sock = self._socket
        sock.out += data
        line_end = sock.out.find(b"\r\n")
        if line_end >= 0 and not bytes(sock.out[:line_end]).endswith((b" HTTP/1.1", b" HTTP/1.0")):
            self._closing = True
            raise PermissionError(13, _ONLY_HTTP)  # to the writer: not a bare "connection lost"
        try:
            sock.sendall(b"")
        except OSError as e:  # the host refused it or could not make it: the connection is lost
            self._lose(e)
            return
        response, sock.response = sock.response, None
        if response is not None:
            head = [f"HTTP/1.1 {response.status} {response.reason}"]
            head += [f"{k}: {v}" for k, v in response.header_list
                     if k.lower() not in ("content-length", "transfer-encoding", "connection")]
            body = response.getvalue()
            head.append(f"Content-Length: {len(body)}")
            self._loop.call_soon(self._protocol.data_received,
                                 ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    def writelines(self, chunks):
        self.write(b"".join(chunks))

    def _lose(self, exc):
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._protocol.connection_lost, exc)

    def close(self):
        self._lose(None)

    abort = close

    def is_closing(self):
        return self._closing

    def get_extra_info(self, name, default=None):
        return {"peername": self._peer, "sockname": ("127.0.0.1", 0)}.get(name, default)

    def can_write_eof(self):
        return False

    def get_write_buffer_size(self):
        return 0

    def get_write_buffer_limits(self):
        return (0, 0)

    def set_write_buffer_limits(self, high=None, low=None):
        pass

    def is_reading(self):
        return not self._closing

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass

    def set_protocol(self, protocol):
        self._protocol = protocol

    def get_protocol(self):
        return self._protocol


_ONLY_HTTP = ("only HTTP goes out of wasmhost's WebAssembly sandbox (through the host, with the function's "
              "allowed_hosts): it has no sockets")


def _patch_asyncio(base_events):
    """asyncio's connections (aiohttp's client) as HTTP through the host: a name is
    resolved by the host (``getaddrinfo`` hands it back as it is), ``sock_connect``
    notes where the socket was to go, and ``create_connection`` gives a ``_HostTransport``
    to that place (``https`` when TLS was asked for: the host does it)."""

    async def getaddrinfo(self, host, port, *, family=0, type=0, proto=0, flags=0):
        host = host.decode("idna") if isinstance(host, bytes) else host
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))]

    async def create_connection(self, protocol_factory, host=None, port=None, *, ssl=None, sock=None,
                                server_hostname=None, **kwargs):
        if sock is not None:
            host, port = getattr(sock, "_wasmhost_address", (None, None))[:2]
        if host is None:
            raise PermissionError(13, _ONLY_HTTP)
        protocol = protocol_factory()
        transport = _HostTransport(self, protocol, "https" if ssl else "http", server_hostname or host,
                                   port or (443 if ssl else 80))
        protocol.connection_made(transport)
        return transport, protocol

    base_events.BaseEventLoop.getaddrinfo = getaddrinfo
    base_events.BaseEventLoop.create_connection = create_connection


def _patch_sock_connect(selector_events):
    async def sock_connect(self, sock, address):
        sock._wasmhost_address = address  # create_connection(sock=) connects there, through the host

    selector_events.BaseSelectorEventLoop.sock_connect = sock_connect


# -- import hooks ------------------------------------------------------------------------------
_AFTER: dict = {}  # module name -> [patch(module)], run once the module has been executed
_STANDINS: dict = {}  # module name -> fill(module): a module of ours answers the import instead
_FALLBACKS: dict = {}  # the same, answered only when no folder on sys.path has the module


def after_import(name, patch):
    """Run ``patch(module)`` once ``name`` is imported from the function's packages
    (whatever finder finds it: the code, its requirements, layers, the bundled SDK)."""
    _AFTER.setdefault(name, []).append(patch)


def stand_in(name, fill, fallback=False):
    """Answer ``import name`` with a new module that ``fill(module)`` completes (for a
    module whose own code cannot load in the sandbox). ``fallback``: only when no folder
    on ``sys.path`` has a module of that name, for a standard-library module Lambda's
    CPython keeps as a file in lib-dynload (``resource``, ``fcntl``, ``grp``): the code's
    own ``resource.py`` comes first on Lambda's path, and so here."""
    (_FALLBACKS if fallback else _STANDINS)[name] = fill


class _StandInLoader(importlib.abc.Loader):
    def __init__(self, fill):
        self.fill = fill

    def create_module(self, spec):
        return None  # the default: a plain module

    def exec_module(self, module):
        self.fill(module)


class _Fallbacks(importlib.abc.MetaPathFinder):
    """Last on ``sys.meta_path``: serves ``stand_in(..., fallback=True)`` once every other
    finder has found nothing."""

    def find_spec(self, name, path, target=None):
        fill = _FALLBACKS.get(name)
        return None if fill is None else importlib.machinery.ModuleSpec(name, _StandInLoader(fill), origin=__file__)


class _ImportHooks(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path``: serves ``stand_in`` and ``after_import``; passes
    every other name on at the cost of two dictionary lookups."""

    def find_spec(self, name, path, target=None):
        fill = _STANDINS.get(name)
        if fill is not None:
            return importlib.machinery.ModuleSpec(name, _StandInLoader(fill), origin=__file__)
        patches = _AFTER.get(name)
        if patches is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                run = spec.loader.exec_module

                def exec_module(module):
                    run(module)
                    for patch in patches:
                        patch(module)
                spec.loader.exec_module = exec_module
                return spec
        return None


def install():
    http.client.HTTPConnection.connect = _connect_http
    http.client.HTTPConnection.response_class = _HostResponse
    http.client.HTTPSConnection = HTTPSConnection
    urllib.request.HTTPSHandler = HTTPSHandler
    urllib.request._opener = None  # rebuilt with the HTTPS handler on first use
    if not any(isinstance(f, _ImportHooks) for f in sys.meta_path):
        sys.meta_path.insert(0, _ImportHooks())
        sys.meta_path.append(_Fallbacks())
        after_import("requests.adapters", _patch_requests)
        after_import("urllib3.connection", _patch_urllib3_connection)
        after_import("urllib3.connectionpool", _patch_urllib3_pool)
        after_import("httpcore._sync.connection_pool", _patch_httpcore_sync)
        after_import("httpcore._async.connection_pool", _patch_httpcore_async)
        after_import("asyncio.base_events", _patch_asyncio)
        after_import("asyncio.selector_events", _patch_sock_connect)
        import wasmhost_botocore  # boto3/botocore send through the host too
        wasmhost_botocore.install()


# -- key-value state ---------------------------------------------------------------------------------
def _check(code, data):
    if code == -2:
        raise KVError(data)
    return code, data


def _key(key):
    if not isinstance(key, str):
        raise TypeError(f"keys are str, not {type(key).__name__}")
    return key


class Store:
    """A key-value store: the function's own (``kv``) or a named one (``kv.store(name)``)."""

    def __init__(self, name=""):
        self.name = name

    def get(self, key):
        """The value (bytes), or None when the key is absent."""
        code, data = _check(*host.kv_get(self.name, _key(key)))
        return data.encode("latin-1") if code == 1 else None

    def set(self, key, value):
        """Store ``value`` (bytes; a str is stored as UTF-8)."""
        if isinstance(value, str):
            value = value.encode("utf-8")
        elif not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"values are bytes or str, not {type(value).__name__}")
        _check(*host.kv_set(self.name, _key(key), bytes(value).decode("latin-1")))

    def delete(self, key):
        """Remove the key; True if it was there."""
        return _check(*host.kv_delete(self.name, _key(key)))[0] == 1

    def keys(self, prefix=""):
        """The keys starting with ``prefix``, sorted (at most 10,000)."""
        return json.loads(_check(*host.kv_keys(self.name, prefix))[1])

    def store(self, name):
        """A named store granted to this function (FunctionConfig.kv_stores)."""
        return Store(name)


kv = Store()
install()
