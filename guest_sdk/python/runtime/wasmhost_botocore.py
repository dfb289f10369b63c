"""boto3 and botocore inside a function: their HTTP goes through the host.

botocore sends with urllib3 over sockets and imports ``ssl`` names at import time
(``botocore.httpsession``); the sandbox has neither sockets nor ``ssl``. When a
function imports botocore (the runtime's bundled boto3 or its own), this module
stands in for ``botocore.httpsession`` (``wasmhost_sdk.stand_in``): its
``URLLib3Session`` sends each prepared request through the host's outbound-HTTP capability (``wasmhost_sdk.send``), where the
allow-list, TLS checks, the invocation's deadline and byte metering apply like for
any request. Everything above the session (signing, retries, parsing, paginators,
``boto3.resource``, ``s3.download_file``) is botocore's own.

On the server, ``AWS_ENDPOINT_URL_S3`` and the function's credentials are in its
environment, so ``boto3.client("s3")`` reaches the server's buckets unchanged.
"""

import io
import json
import os

_NAME = "botocore.httpsession"
MAX_POOL_CONNECTIONS = 10
DEFAULT_TIMEOUT = 60
DEFAULT_CA_BUNDLE = ""


class _Raw(io.BytesIO):
    """The body as urllib3's response offers it to botocore: ``read``, ``stream``."""

    def stream(self, amt=65536, decode_content=None):
        while True:
            chunk = self.read(amt)
            if not chunk:
                return
            yield chunk

    def release_conn(self):
        pass


def _body_bytes(body):
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)


class URLLib3Session:
    """botocore's HTTP session, sending through the host (same constructor)."""

    def __init__(self, verify=True, proxies=None, timeout=None, max_pool_connections=MAX_POOL_CONNECTIONS,
                 socket_options=None, client_cert=None, proxies_config=None):
        pass  # the host verifies TLS, bounds time by the invocation's deadline, keeps connections alive

    def send(self, request):
        import botocore.awsrequest
        import wasmhost_sdk
        # the host sends head and body together: no ``Expect: 100-continue`` (botocore adds it to
        # PutObject and UploadPart; it is never signed). botocore keeps some values as bytes.
        headers = [(k, v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in request.headers.items()
                   if k.lower() != "expect"]
        try:
            status, _reason, headers, body, _url = wasmhost_sdk.send(
                request.method, request.url, headers, _body_bytes(request.body))
        except OSError as e:  # refused by the allow-list, or the connection failed
            raise _unreachable()(endpoint_url=request.url, error=e) from None
        return botocore.awsrequest.AWSResponse(request.url, status, headers, _Raw(body))

    def close(self):
        pass


_UNREACHABLE = None


def _unreachable():
    """botocore's ``EndpointConnectionError`` with the host's reason in its message: the
    credential providers (instance metadata at 169.254.169.254, which no function may
    reach) take it as "no such service here", as outside AWS, and a refused S3 call says
    which setting to change."""
    global _UNREACHABLE
    if _UNREACHABLE is None:
        from botocore.exceptions import EndpointConnectionError

        class Unreachable(EndpointConnectionError):
            fmt = 'Could not connect to the endpoint URL: "{endpoint_url}": {error}'
        _UNREACHABLE = Unreachable
    return _UNREACHABLE


def get_cert_path(verify):
    return None if verify is True else verify


def _fill(module):
    module.URLLib3Session = URLLib3Session
    module.get_cert_path = get_cert_path
    module.MAX_POOL_CONNECTIONS = MAX_POOL_CONNECTIONS
    module.DEFAULT_TIMEOUT = DEFAULT_TIMEOUT
    module.DEFAULT_CA_BUNDLE = DEFAULT_CA_BUNDLE


# Within the limits of the sandbox and the outbound capability: no threads, request
# bodies up to 6 MB. s3transfer (``upload_file``, ``download_file``) defaults to ten
# threads and 8 MB parts; here its defaults are one thread and 5 MB parts (S3's
# smallest), which a function may still override.
TRANSFER_DEFAULTS = {"use_threads": False, "multipart_threshold": 5 * 1024 * 1024,
                     "multipart_chunksize": 5 * 1024 * 1024}


def _patch_transfer(module):
    defaults = getattr(module.TransferConfig, "DEFAULTS", None)
    if isinstance(defaults, dict):  # boto3 >= 1.36 resolves unset arguments from this table
        defaults.update(TRANSFER_DEFAULTS)
        return
    original = module.TransferConfig.__init__

    def __init__(self, *args, **kwargs):
        for key, value in TRANSFER_DEFAULTS.items():
            kwargs.setdefault(key, value)
        original(self, *args, **kwargs)
    module.TransferConfig.__init__ = __init__


# botocore's loader lists its data folder (~400 services, each a folder of API
# versions) and tests each file before loading it: ~900 listdir and ~2,900 stat calls
# for the first client, each a WASI call out of the sandbox. The bundled botocore's
# folder is read-only; its listing was written beside it when the host staged it
# (wasmhost/runtimes/python.py, INDEX), so these answers come from memory.
INDEX = ".wasmhost-index.json"


class _IndexedPath:
    def __init__(self, dirs):
        self._dirs = dirs

    def __getattr__(self, name):
        return getattr(os.path, name)

    def _known(self, path):
        path = os.path.normpath(path)
        return path in self._dirs or os.path.dirname(path) in self._dirs

    def isdir(self, path):
        return os.path.normpath(path) in self._dirs if self._known(path) else os.path.isdir(path)

    def isfile(self, path):
        if not self._known(path):
            return os.path.isfile(path)
        path = os.path.normpath(path)
        return path not in self._dirs and os.path.basename(path) in self._dirs.get(os.path.dirname(path), ())

    def exists(self, path):
        return self.isdir(path) or self.isfile(path)


class _IndexedOS:
    """``os`` for ``botocore.loaders``: the data folder's listing from the index, the
    rest (and any other folder) from ``os`` itself."""

    def __init__(self, dirs):
        self._dirs = dirs
        self.path = _IndexedPath(dirs)

    def __getattr__(self, name):
        return getattr(os, name)

    def listdir(self, path):
        entries = self._dirs.get(os.path.normpath(path))
        return sorted(entries) if entries is not None else os.listdir(path)


def _index_loader(module):
    data = os.path.join(module.BOTOCORE_ROOT, "data")
    try:
        with open(os.path.join(data, INDEX)) as f:
            listing = json.load(f)  # {folder relative to data: [its entries]}
    except (OSError, ValueError):
        return  # a function's own botocore: its folder as it is
    module.os = _IndexedOS({os.path.normpath(os.path.join(data, rel)): frozenset(names)
                            for rel, names in listing.items()})


def install():
    import wasmhost_sdk
    wasmhost_sdk.stand_in(_NAME, _fill)
    wasmhost_sdk.after_import("botocore.loaders", _index_loader)
    wasmhost_sdk.after_import("boto3.s3.transfer", _patch_transfer)
