"""The small value types of ``pydantic_core._pydantic_core`` (part of the stand-in, see
``wasmhost_pydantic_core``): ``PydanticUndefined``, ``Some``, ``ArgsKwargs``, ``TzInfo``,
``Url``/``MultiHostUrl`` (WHATWG-style parsing as the Rust ``url`` crate does it, over
``urllib.parse`` and the ``idna`` codec), ``from_json`` and the ``_schema_gather`` helper.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import re
import types
import urllib.parse


def _core_version() -> str:
    try:
        return importlib.metadata.version("pydantic_core")
    except importlib.metadata.PackageNotFoundError:
        return "2.50.5"


VERSION = _core_version()
try:
    CORE = tuple(int(p) for p in VERSION.split(".")[:2])
except ValueError:
    CORE = (2, 50)
# wordings that changed between pydantic-core versions (pydantic 2.11's 2.33 and 2.12's 2.41)
OLD_WORDS = CORE < (2, 35)
# pydantic-core 2.14 (pydantic 2.5): datetimes did not fall back to dates, durations were "P1DT7200S"
OLDEST = CORE < (2, 16)


class PydanticUndefinedType:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = object.__new__(cls)
        return cls._instance

    def __repr__(self):
        return "PydanticUndefined"

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return "PydanticUndefined"

    def __bool__(self):
        return False


PydanticUndefined = PydanticUndefinedType()


class Some:
    __slots__ = ("value",)
    __match_args__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"Some({self.value!r})"

    def __eq__(self, other):
        return type(other) is Some and other.value == self.value

    @classmethod
    def __class_getitem__(cls, item):
        return cls


class ArgsKwargs:
    __slots__ = ("args", "kwargs")

    def __init__(self, args, kwargs=None):
        self.args = tuple(args)
        self.kwargs = kwargs or None

    def __eq__(self, other):
        return isinstance(other, ArgsKwargs) and self.args == other.args and (self.kwargs or {}) == (other.kwargs or {})

    def __repr__(self):
        return f"ArgsKwargs({self.args!r}, {self.kwargs!r})" if self.kwargs else f"ArgsKwargs({self.args!r})"


class TzInfo(datetime.tzinfo):
    """A fixed offset, as pydantic-core gives parsed datetimes (``TzInfo(3600)``)."""

    __slots__ = ("_seconds",)

    def __init__(self, seconds: float = 0.0):
        seconds = int(seconds)
        if not -86400 < seconds < 86400:
            raise ValueError(f"TzInfo offset must be strictly between -86400 and 86400 (24 hours) seconds, got {seconds}")
        self._seconds = seconds

    def utcoffset(self, dt):
        return datetime.timedelta(seconds=self._seconds)

    def dst(self, dt):
        return None

    def tzname(self, dt):
        s = self._seconds
        if s == 0:
            return "UTC"
        sign = "-" if s < 0 else "+"
        h, m = divmod(abs(s) // 60, 60)
        rest = abs(s) % 60
        return f"{sign}{h:02d}:{m:02d}" + (f":{rest:02d}" if rest else "")

    def fromutc(self, dt):
        return dt + datetime.timedelta(seconds=self._seconds)

    def __repr__(self):
        return f"TzInfo({self.tzname(None)})" if OLD_WORDS else f"TzInfo({self._seconds})"

    def __str__(self):
        return self.tzname(None)

    def __eq__(self, other):
        if isinstance(other, datetime.tzinfo):
            return self.utcoffset(None) == other.utcoffset(None)
        return NotImplemented

    def __hash__(self):
        return hash(self._seconds)

    def __reduce__(self):
        return TzInfo, (self._seconds,)

    def __deepcopy__(self, memo):
        return self


# -- URLs ---------------------------------------------------------------------------------
SPECIAL = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21, "file": None}
_PATH_SAFE = "/:@!$&'()*+,;=-._~%[]|"
_QUERY_SAFE = "/?:@!$&'()*+,;=-._~%[]|{}^`\\"
_FRAG_SAFE = "/?:@!$&'()*+,;=-._~%[]|{}^#"


class UrlError(ValueError):
    """A URL the parser rejects; the message is the ``url`` crate's (``url_parsing``)."""


def _host(host: str, special: bool) -> str:
    if host.startswith("["):
        import ipaddress  # noqa: PLC0415
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1] if host.endswith(']') else '')}]"
        except ValueError:
            raise UrlError("invalid IPv6 address") from None
    if not special:  # an opaque host: kept, non-ASCII percent-encoded
        if any(c in host for c in " #/<>?@[\\]^|"):
            raise UrlError("invalid domain character")
        return urllib.parse.quote(host, safe="!$&'()*+,;=-._~%:")
    host = urllib.parse.unquote(host).lower()
    try:
        if not host.isascii():
            host = host.encode("idna").decode("ascii")
        elif "xn--" in host:
            host.encode("ascii").decode("idna")  # punycode that does not decode
    except UnicodeError:
        raise UrlError("invalid international domain name") from None
    if any(c in host for c in " #%/:<>?@[\\]^|") or any(ord(c) < 0x20 for c in host):
        raise UrlError("invalid domain character")
    return host


class _Parts:
    __slots__ = ("scheme", "hosts", "path", "query", "fragment")


def parse_url(text: str, multi: bool = False) -> _Parts:
    text = text.strip(" \t\n\r\x00")
    text = text.replace("\t", "").replace("\n", "").replace("\r", "")
    if not text:
        raise UrlError("input is empty")
    m = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):(.*)\Z", text, re.S)
    if not m:
        raise UrlError("relative URL without a base")
    scheme, rest = m[1].lower(), m[2]
    special = scheme in SPECIAL
    if special:
        rest = rest.replace("\\", "/")
    p = _Parts()
    p.scheme, p.hosts = scheme, []
    rest, hash_, frag = rest.partition("#")
    p.fragment = urllib.parse.quote(frag, safe=_FRAG_SAFE) if hash_ else None
    rest, q, query = rest.partition("?")
    p.query = urllib.parse.quote(query, safe=_QUERY_SAFE) if q else None
    if rest.startswith("//") or (special and scheme != "file"):
        rest = rest.lstrip("/") if special and scheme != "file" else rest[2:]
        authority, slash, path = rest.partition("/")
        path = slash + path
        for part in authority.split(",") if multi else [authority]:
            userinfo, at, hostport = part.rpartition("@")
            user, _, password = userinfo.partition(":") if at else ("", "", "")
            m = re.match(r"(\[[^\]]*\]|[^:]*)(?::(.*))?\Z", hostport)
            host, port = m[1], m[2] if m else (hostport, None)
            if port:
                if not port.isdigit() or int(port) > 65535:
                    raise UrlError("invalid port number")
                port = int(port)
            else:
                port = None
            if special and scheme != "file" and not host:
                raise UrlError("empty host")
            host = _host(host, special)
            if port is not None and port == SPECIAL.get(scheme):
                port = None
            p.hosts.append((urllib.parse.quote(user, safe="%!$&'()*+,;=-._~") or None,
                            urllib.parse.quote(password, safe="%!$&'()*+,;=-._~") if password else None, host or None,
                            port))
        if special and not path:
            path = "/"
    else:
        path = rest
    p.path = urllib.parse.quote(path, safe=_PATH_SAFE if special else _PATH_SAFE + "\\")
    if special:
        p.path = _dot_segments(p.path)
    return p


def _dot_segments(path: str) -> str:
    if "/." not in path:
        return path
    out: list[str] = []
    segs = path.split("/")[1:]
    for i, seg in enumerate(segs):
        if seg in (".", "%2e", "%2E"):
            if i == len(segs) - 1:
                out.append("")
        elif seg in ("..", ".%2e", "%2e.", "%2e%2e", ".%2E", "%2E.", "%2E%2E"):
            if out:
                out.pop()
            if i == len(segs) - 1:
                out.append("")
        else:
            out.append(seg)
    return "/" + "/".join(out)


def _netloc(user, password, host, port) -> str:
    s = ""
    if user or password:
        s = (user or "") + (f":{password}" if password else "") + "@"
    return s + (host or "") + (f":{port}" if port is not None else "")


def _url_text(scheme, netloc, path, query, fragment) -> str:
    """What ``Url.build``/``MultiHostUrl.build`` parse: the parts joined as the url crate joins them."""
    return (f"{scheme}://{netloc}" + ("/" + path if path else "") + ("?" + query if query else "")
            + ("#" + fragment if fragment else ""))


class _UrlBase:
    __slots__ = ("_p", "_s")
    _multi = False

    def __init__(self, url: str):
        from wasmhost_pydantic_core_errors import line_error, raise_validation  # noqa: PLC0415
        try:
            self._set(parse_url(url, self._multi))
        except UrlError as e:
            raise_validation("url" if not self._multi else "multi-host-url",
                             [line_error("url_parsing", url, {"error": str(e)})])

    @classmethod
    def _from(cls, parts):
        u = cls.__new__(cls)
        u._set(parts)
        return u

    def _set(self, p):
        self._p = p
        if p.hosts:
            auth = "//" + ",".join(_netloc(*h) for h in p.hosts)
        elif p.scheme == "file" or p.path.startswith("//"):
            auth = "//"
        else:
            auth = ""
        self._s = (f"{p.scheme}:{auth}{p.path}" + (f"?{p.query}" if p.query is not None else "")
                   + (f"#{p.fragment}" if p.fragment is not None else ""))

    @property
    def scheme(self):
        return self._p.scheme

    @property
    def path(self):
        return self._p.path or None

    @property
    def query(self):
        return self._p.query

    def query_params(self):
        return urllib.parse.parse_qsl(self._p.query or "", keep_blank_values=True)

    @property
    def fragment(self):
        return self._p.fragment

    def __str__(self):
        return self._s

    def __repr__(self):
        return f"{type(self).__name__}({self._s!r})"

    def __eq__(self, other):
        return type(other) is type(self) and other._s == self._s

    def __lt__(self, other):
        return self._s < other._s

    def __le__(self, other):
        return self._s <= other._s

    def __gt__(self, other):
        return self._s > other._s

    def __ge__(self, other):
        return self._s >= other._s

    def __hash__(self):
        return hash(self._s)

    def __len__(self):
        return len(self._s)

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return type(self), (self._s,)

    def __getnewargs__(self):
        return (self._s,)

    def unicode_string(self):
        s = self._s
        for h in self._p.hosts:
            if h[2] and "xn--" in h[2]:
                try:
                    s = s.replace(h[2], h[2].encode("ascii").decode("idna"), 1)
                except UnicodeError:
                    pass
        return s


class Url(_UrlBase):
    __slots__ = ()

    @property
    def username(self):
        return self._p.hosts[0][0] if self._p.hosts else None

    @property
    def password(self):
        return self._p.hosts[0][1] if self._p.hosts else None

    @property
    def host(self):
        return self._p.hosts[0][2] if self._p.hosts else None

    def unicode_host(self):
        h = self.host
        return h.encode("ascii").decode("idna") if h and "xn--" in h else h

    @property
    def port(self):
        if not self._p.hosts:
            return None
        port = self._p.hosts[0][3]
        return port if port is not None else SPECIAL.get(self._p.scheme)

    @classmethod
    def build(cls, *, scheme, host, username=None, password=None, port=None, path=None, query=None, fragment=None):
        return cls(_url_text(scheme, _netloc(username, password, host, port), path, query, fragment))


class MultiHostUrl(_UrlBase):
    __slots__ = ()
    _multi = True

    def hosts(self):
        default = SPECIAL.get(self._p.scheme)
        return [{"username": u, "password": pw, "host": h, "port": port if port is not None else default}
                for u, pw, h, port in self._p.hosts]

    @classmethod
    def build(cls, *, scheme, hosts=None, path=None, query=None, fragment=None, host=None, username=None,
              password=None, port=None):
        if hosts:
            netloc = ",".join(_netloc(h.get("username"), h.get("password"), h.get("host"), h.get("port"))
                              for h in hosts)
        else:
            netloc = _netloc(username, password, host, port)
        return cls(_url_text(scheme, netloc, path, query, fragment))


# -- JSON -----------------------------------------------------------------------------------
class JsonError(ValueError):
    pass


def _position(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line} column {col}"


def _open_bracket(text: str) -> str:
    """The innermost bracket still open at the end of ``text`` ('' when none)."""
    stack: list[str] = []
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            stack.append(ch)
        elif ch in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else ""


# a number or literal cut short by the end of the text (jiter: EOF while parsing a value)
_CUT_SHORT = re.compile(r"(?<![\w.+-])(?:-|-?\d+\.|-?\d+(?:\.\d+)?[eE][+-]?|tr?u?|fa?l?s?|nu?l?)\Z")


def _eof_position(text: str) -> str:
    """Where jiter says the text ended: the line after a final newline, column 0 there."""
    return f"line {text.count(chr(10)) + 1} column {len(text) - text.rfind(chr(10)) - 1}"


def json_message(text: str, err: json.JSONDecodeError) -> str:
    """The ``jiter`` wording of a JSON syntax error (``Invalid JSON: ...``)."""
    pos = err.pos
    cut = _CUT_SHORT.search(text)
    if err.msg.startswith("Unterminated string"):
        return f"EOF while parsing a string at {_eof_position(text)}"
    if pos >= len(text.rstrip()) or (cut is not None and pos >= cut.start()
                                     and (pos > cut.start() or err.msg != "Extra data")):
        last = text.rstrip()[-1:]
        bracket = _open_bracket(text)
        if cut is not None or last in ",:" or not bracket:
            what = "a value"
        else:
            what = "a list" if bracket == "[" else "an object"
        return f"EOF while parsing {what} at {_eof_position(text)}"
    if err.msg.startswith("Illegal trailing comma"):  # Python 3.13+ points at the comma, jiter at the bracket
        pos = len(text) - len(text[pos + 1:].lstrip())
    if text[pos] in "]}" and text[:pos].rstrip().endswith(","):
        return f"trailing comma at {_position(text, pos)}"
    if err.msg.startswith("Invalid \\escape"):
        return f"invalid escape at {_position(text, pos + 1)}"
    msg = {"Expecting value": "expected value", "Extra data": "trailing characters",
           "Unexpected UTF-8 BOM (decode using utf-8-sig)": "expected value",
           "Expecting property name enclosed in double quotes": "key must be a string",
           "Expecting ':' delimiter": "expected `:`",
           "Invalid control character at": "control character (\\u0000-\\u001F) found while parsing a string",
           }.get(err.msg)
    if msg is None:
        if err.msg.startswith("Expecting ',' delimiter"):
            msg = "expected `,` or `]`" if _open_bracket(text[:pos]) == "[" else "expected `,` or `}`"
        else:
            msg = err.msg.lower()
    return f"{msg} at {_position(text, pos)}"


def _reject_constant(name):
    raise JsonError(f"expected value at {name}")


def loads(data, allow_inf_nan: bool = True):
    """JSON text to Python, as ``jiter``: ``ValueError`` in its words."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise JsonError("invalid unicode code point at line 1 column 1") from None
    try:
        if allow_inf_nan:
            return json.loads(data)
        return json.loads(data, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise JsonError(json_message(data, e)) from None
    except RecursionError:
        raise JsonError("recursion limit exceeded at line 1 column 1") from None


def from_json(data, *, allow_inf_nan=True, cache_strings=True, allow_partial=False):
    if not isinstance(data, (str, bytes, bytearray)):
        raise TypeError("Expected bytes, bytearray or str")
    if allow_partial not in (False, "off"):
        raise NotImplementedError("from_json(allow_partial=...) is not supported by wasmhost's pure-Python "
                                  "pydantic-core stand-in (WebAssembly sandbox)")
    return loads(data, allow_inf_nan)


# -- schema gathering (pydantic >= 2.11 calls it while cleaning a schema) -------------------
class MissingDefinitionError(LookupError):
    def __init__(self, schema_reference):
        super().__init__(schema_reference)
        self.schema_reference = schema_reference


# keys whose values are data, not schemas (a default or a literal may look like one)
_NOT_SCHEMAS = frozenset({"metadata", "default", "expected", "members", "cls", "ref", "function"})


def gather_schemas_for_cleaning(schema, definitions):
    """Which ``definition-ref`` schemas occur (a ref met once can be inlined: its schema is
    the value; more than once: None), and the schemas whose discriminator application
    was deferred (``pydantic.internal.tagged_union_discriminator`` metadata)."""
    refs: dict = {}
    deferred: list = []
    seen_defs: set = set()

    def walk(s):
        if isinstance(s, dict):
            t = s.get("type")
            meta = s.get("metadata")
            if isinstance(meta, dict) and meta.get("pydantic_internal_union_discriminator") is not None:
                deferred.append(s)
            if t == "definition-ref":
                ref = s["schema_ref"]
                if ref not in definitions:
                    raise MissingDefinitionError(ref)
                if ref in refs:
                    refs[ref] = None
                else:
                    refs[ref] = s if not s.get("serialization") and not s.get("metadata") else None
                    if ref not in seen_defs:
                        seen_defs.add(ref)
                        walk(definitions[ref])
                return
            for k, v in s.items():
                if k not in _NOT_SCHEMAS and isinstance(v, (dict, list, tuple)):
                    walk(v)
        elif isinstance(s, (list, tuple)):
            for v in s:
                walk(v)

    walk(schema)
    return refs, deferred


_schema_gather = types.ModuleType("pydantic_core._pydantic_core._schema_gather")
_schema_gather.MissingDefinitionError = MissingDefinitionError  # type: ignore[attr-defined]
_schema_gather.gather_schemas_for_cleaning = gather_schemas_for_cleaning  # type: ignore[attr-defined]
