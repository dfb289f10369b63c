"""Bucket notifications with no server: an embedded ``Host`` runs the function
for every upload into a watched directory (the edge trigger).

    host = wasmhost.Host()
    host.deploy("thumbs", "thumbs.wasm")
    with wasmhost.LocalBuckets(host, {"photos": "/srv/camera", "thumbs": "/srv/thumbs"}) as b:
        host.deploy("thumbs", "thumbs/", b.grant("thumbs", ["photos", "thumbs"]))
        b.notify("photos", "thumbs", events=["s3:ObjectCreated:*"], suffix=".jpg")
        ...  # every complete file written under /srv/camera runs "thumbs"

``grant`` gives a function what the server gives every function it deploys: an S3
endpoint of its own on 127.0.0.1 (``AWS_ENDPOINT_URL_S3``, which boto3 reads) and a
key that opens only the buckets named (server/sources/s3_functions.py). The handler
reads and writes objects with ``boto3.client("s3")``, unchanged; the bytes show as
``bucket_bytes_read`` / ``bucket_bytes_written`` in its reports. The endpoint needs
aiohttp (``pip install 'wasmhost[server]'``) and starts with the first ``grant``.

Delivery is at least once: an event leaves the outbox only after its invocation
finished (or failed ``retries`` more times); a process killed meanwhile delivers
it again at the next start. Invocations run one at a time on a dispatcher thread,
in upload order."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .store import Buckets
from .watch import Watcher

if TYPE_CHECKING:
    from ..config import FunctionConfig
    from ..host import Host

log = logging.getLogger("wasmhost.buckets")


def function_name(arn: str) -> str:
    """``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`` or a plain name -> NAME[:QUALIFIER]."""
    if arn.startswith("arn:"):
        parts = arn.split(":")
        return ":".join(parts[6:8]) if len(parts) > 6 and parts[5] == "function" else arn
    return arn


class LocalBuckets:
    def __init__(self, host: Host, directories: dict[str, str | Path] | None = None, *,
                 data_dir: str | Path | None = None, retries: int = 2, retry_base_s: float = 1.0,
                 settle_s: float = 2.0, polling: bool = False) -> None:
        self.host = host
        self.store = Buckets(data_dir or host.data_dir, function_exists=self._exists)
        self.watcher = Watcher(self.store, settle_s=settle_s, polling=polling)
        self.retries, self.retry_base_s = retries, retry_base_s
        self.invoked = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._endpoint: Any = None  # server/sources/s3_functions.EndpointThread, made by the first grant()
        self.store.on_outbox = self._wake.set
        for name, path in (directories or {}).items():
            self.attach(name, path)

    def _exists(self, arn: str) -> bool:
        name = function_name(arn).split(":")[0]
        return any(f.name == name for f in self.host.functions())

    def attach(self, name: str, directory: str | Path) -> None:
        self.store.attach(name, directory)
        self.watcher.watch(name)

    def notify(self, bucket: str, function: str, *, events: Iterable[str] = ("s3:ObjectCreated:*",),
               prefix: str = "", suffix: str = "") -> None:
        """Add one LambdaFunctionConfiguration to the bucket's notifications."""
        rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v]
        cfg = {"LambdaFunctionArn": function, "Events": list(events),
               **({"Filter": {"Key": {"FilterRules": rules}}} if rules else {})}
        current = self.store.notification(bucket).get("LambdaFunctionConfigurations", [])
        self.store.put_notification(bucket, {"LambdaFunctionConfigurations": current + [cfg]})

    def grant(self, function: str, buckets: Iterable[str], config: FunctionConfig | None = None) -> FunctionConfig:
        """``config`` (default: a new one) for deploying ``function`` so that boto3 in it
        reads and writes ``buckets`` (and no other): the endpoint in its environment and
        allow-list, a key of its own. Pass the result to ``host.deploy``."""
        from ..config import FunctionConfig
        if self._endpoint is None:
            try:
                from ..server.sources.s3_functions import EndpointThread
            except ImportError as e:  # aiohttp is the server extra's
                raise RuntimeError(f"functions reach buckets through an S3 endpoint that needs aiohttp "
                                   f"(pip install 'wasmhost[server]'): {e}") from None
            self._endpoint = EndpointThread(self.store)
        from ..server.sources.s3_functions import TAG
        return self._endpoint.endpoint.configure(function, {TAG: " ".join(buckets)}, config or FunctionConfig())

    def start(self) -> LocalBuckets:
        self.watcher.start()
        self._thread = threading.Thread(target=self._run, name="wasmhost-bucket-notify", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.watcher.stop()
        if self._thread is not None:
            self._thread.join(30)
        if self._endpoint is not None:
            self._endpoint.stop()
        self.store.close()

    def __enter__(self) -> LocalBuckets:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            rows = self.store.pending()
            for oid, arn, payload in rows:
                if self._stop.is_set():
                    return
                self._invoke(function_name(arn), payload)
                self.store.delivered([oid])
            if not rows:
                self._wake.wait(1.0)

    def _invoke(self, name: str, payload: bytes) -> None:
        for attempt in range(self.retries + 1):
            try:
                self.host.invoke(name, payload)
                self.invoked += 1
                return
            except Exception as e:  # InvocationError, FunctionNotFound, or a bug: retried, then logged
                log.warning("bucket notification to %s failed (attempt %d): %s", name, attempt + 1, e)
                if attempt < self.retries and not self._stop.wait(self.retry_base_s * 2 ** attempt):
                    continue
                return
