"""What a function may do with the server's own AWS APIs: its execution role, in tags.

On Lambda a function calls S3, SQS or another function with its role's credentials,
and the role's IAM policy says which buckets, queues and functions. Here every
function gets a key of its own (``FunctionKeys``, in its environment as
``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``), and three tags say what that key
opens, each a space-separated list (AWS's tag values allow no ``,`` and no ``*``):

- ``wasmhost:buckets``: bucket names (S3: s3_functions.py);
- ``wasmhost:queues``: queue names or ARNs (SQS: function_apis.py);
- ``wasmhost:functions``: function names or ARNs it may invoke (Lambda: function_apis.py),
  every version and alias of each.

Nothing is granted by default. Keys are derived from a secret drawn at each start
(HMAC of the function name): nothing is stored; a restart deploys every function
again, with new keys.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import re
import secrets
import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # aiohttp loads when the endpoints start, not when functions are configured
    from aiohttp import web

BUCKETS = "wasmhost:buckets"
QUEUES = "wasmhost:queues"
FUNCTIONS = "wasmhost:functions"
_AKID = re.compile(r"Credential=([^/,\s]+)/")


async def listen(sock: socket.socket, handler: Any, **app_options: Any) -> web.AppRunner:
    """One of the functions' loopback endpoints serving: every path to ``handler``, on
    ``sock`` (bound before the server restored its functions: their environment names it)."""
    from aiohttp import web
    app = web.Application(**app_options)
    app.router.add_route("*", "/{path:.*}", handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner


def key_id(authorization: str) -> str:
    """The access key id a SigV4 ``Authorization`` header names ("" if none)."""
    m = _AKID.search(authorization)
    return m.group(1) if m else ""


@dataclasses.dataclass(frozen=True)
class Grant:
    function: str
    buckets: frozenset[str] = frozenset()
    queues: frozenset[str] = frozenset()
    functions: frozenset[str] = frozenset()


def granted_buckets(tags: dict[str, str]) -> frozenset[str]:
    """The buckets the ``wasmhost:buckets`` tag names, each checked."""
    from ...buckets.errors import BucketError
    from ...buckets.names import check_bucket_name
    names = frozenset((tags.get(BUCKETS) or "").split())
    for name in names:
        try:
            check_bucket_name(name)
        except BucketError as e:
            raise ValueError(f"tag {BUCKETS}: {name!r} is not a bucket name ({e.message})") from None
    return names


def granted_queues(tags: dict[str, str]) -> frozenset[str]:
    """Queue names from the ``wasmhost:queues`` tag: names or ``arn:aws:sqs:REGION:ACCOUNT:NAME``."""
    from .sqs import NAME_RE
    out = set()
    for entry in (tags.get(QUEUES) or "").split():
        name = entry.rsplit(":", 1)[-1] if entry.startswith("arn:") else entry
        if (entry.startswith("arn:") and not entry.startswith("arn:aws:sqs:")) or not NAME_RE.fullmatch(name):
            raise ValueError(f"tag {QUEUES}: {entry[:100]!r} is not a queue name or ARN (names are 1-80 letters, "
                             "digits, - and _)")
        out.add(name)
    return frozenset(out)


def granted_functions(tags: dict[str, str]) -> frozenset[str]:
    """Function names from the ``wasmhost:functions`` tag: names or ARNs (a qualifier is
    ignored: the grant covers every version and alias, as an IAM policy on the
    unqualified ARN does for a function's callers that name one)."""
    from ..errors import ApiError
    from ..lambda_model.names import parse_function
    out = set()
    for entry in (tags.get(FUNCTIONS) or "").split():
        try:
            out.add(parse_function(entry)[0])
        except ApiError:
            raise ValueError(f"tag {FUNCTIONS}: {entry[:100]!r} is not a function name or ARN") from None
    return frozenset(out)


def grant_from_tags(function: str, tags: dict[str, str]) -> Grant:
    return Grant(function, granted_buckets(tags), granted_queues(tags), granted_functions(tags))


class FunctionKeys(dict):
    """access key id -> secret, for the functions deployed (what ``AuthConfig.keys``
    and ``sigv4_verify`` look keys up in), and each key's grant."""

    def __init__(self) -> None:
        super().__init__()
        self._secret = secrets.token_bytes(32)
        self.grants: dict[str, Grant] = {}

    def issue(self, grant: Grant) -> tuple[str, str]:
        digest = hmac.new(self._secret, grant.function.encode(), hashlib.sha256).digest()
        akid = "WHFN" + base64.b32encode(digest[:10]).decode()[:16]
        secret = base64.b64encode(digest[10:]).decode()
        self[akid] = secret
        self.grants[akid] = grant
        return akid, secret

    def grant_of(self, akid: str) -> Grant:
        return self.grants.get(akid) or Grant("")
