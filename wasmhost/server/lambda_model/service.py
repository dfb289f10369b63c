"""The Lambda control plane over a ``Host``: the state every operation shares
(registry, routing tables, deployer, async worker, metrics) and the one path
every front end's invocation takes. HTTP-free: the Lambda REST API, the plain
invoke endpoint, HTTP triggers and function URLs all call this.

The operations themselves live one family per module (functions.py, aliases.py,
...), registered in operations.py; state lives in a ``Store`` (backends/registry.py: SQLite in store.py, or a cluster's)."""

from __future__ import annotations

import contextlib
import copy
import time
from typing import TYPE_CHECKING, Any, AsyncIterator

from ...errors import FunctionNotFound, InvocationError, PayloadTooLarge, Throttled
from ..errors import ApiError, not_found
from ..metrics import Metrics
from . import model, routing
from .bindings import Bindings
from .deployer import Deployer
from .events import EventWorker
from .names import LATEST, function_arn, parse_function
from .routing import Resolved
from .validation import Validator

if TYPE_CHECKING:
    from ...backends.registry import Store
    from ...function import InvokeResult
    from ...host import Host
    from ...request import Request

THROTTLE_RETRY_AFTER_S = "1"  # what a throttled caller is told to wait (Retry-After)


def check_revision(current: str, given: str | None, api: str = "GetFunction/GetAlias") -> None:
    """Optimistic locking: a caller's ``RevisionId`` must be the latest."""
    if given and given != current:
        raise ApiError(412, "PreconditionFailedException", "The Revision Id provided does not match the latest "
                       f"Revision Id. Call the {api} API to retrieve the latest Revision Id")


def throttled(reason: str) -> ApiError:
    return ApiError(429, "TooManyRequestsException", "Rate Exceeded.", headers={"Retry-After": THROTTLE_RETRY_AFTER_S},
                    Reason=reason)


class Service:
    def __init__(self, host: Host, registry: Store, *, region: str = "us-east-1",
                 default_concurrency: int = 100, async_max_payload: int = 1024 * 1024,
                 retry_base_s: float = 60.0) -> None:
        self.host, self.registry, self.region = host, registry, region
        self.default_concurrency = default_concurrency
        self.async_max_payload = async_max_payload
        spec = model.load()
        self.bindings = Bindings(spec)
        self.validator = Validator(spec["shapes"])
        self.deployer = Deployer(host, registry, default_concurrency, region)
        self.events = EventWorker(self, retry_base_s)
        self.metrics = Metrics()
        # the server's buckets, read for Code.S3Bucket/S3Key (server/sources/buckets.py sets it):
        # ``(bucket, key, version) -> bytes``, raising the ApiError Lambda answers
        self.code_objects: Any = None
        self.destination_queues: Any = None  # SQS destinations: server/sources sets it (exists(arn), send(arn, body))
        self.cluster: Any = None  # a server/cluster.py Cluster with --cluster
        self.routes: dict[str, routing.Route] = {}
        self.urls: dict[str, tuple[str, str | None, dict[str, Any]]] = {}
        # held across worker processes around each control-plane write (server/workers/
        # sets it: ``async acquire()``, ``release()``); None: this process is the only one
        self.write_lock: Any = None
        self.peers: Any = None  # the other workers (server/workers/peers.py), for server-wide metrics and logs
        self.started_at = time.time()  # when the server (all its workers) started: schedules skip ticks before it
        self.refresh()

    # -- state ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild the routing tables after a write (swapped whole: readers never lock)."""
        self.routes = routing.build(self.registry)
        self.urls = routing.urls(self.registry)

    def sync(self) -> None:
        """Catch up with writes of other worker processes on the same data dir: the
        routing tables again, and the host's functions made what the registry says
        (deployed, redeployed or removed; compiled artifacts come from the shared
        cache). Called before every invocation and control-plane operation, so a
        deploy answered by one worker is seen by the next request at any other."""
        if self.registry.changed():
            self.catch_up()

    def catch_up(self) -> None:
        """The routing tables and the host's functions made what the registry holds
        (``sync``; a cluster node after another node's write: server/cluster.py)."""
        before = {r.name for r in self.routes.values() if isinstance(r, Resolved)}
        self.refresh()
        self.deployer.reconcile()
        for name in before - {r.name for r in self.routes.values() if isinstance(r, Resolved)}:
            self.metrics.forget(name)  # deleted through another worker: its series go, as here

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Around a control-plane write: other workers' writes are seen first, and
        none runs meanwhile (RevisionId checks and version numbers stay exact)."""
        lock = self.write_lock
        if lock is not None:
            await lock.acquire()
        try:
            self.sync()
            yield
        finally:
            if lock is not None:
                lock.release()

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self.region, name, qualifier)

    def function_doc(self, name: str, *, for_update: bool = False) -> dict[str, Any]:
        """The stored record; ``for_update`` gives a private copy to change."""
        doc = self.registry.get_function(name)
        if doc is None:
            raise not_found(f"Function not found: {self.arn(name)}")
        return copy.deepcopy(doc) if for_update else doc

    def target(self, raw: str, qualifier: str | None = None, *,
               for_update: bool = False) -> tuple[str, str, dict[str, Any]]:
        """The function and qualifier an operation names (``$LATEST`` when none), and
        the function's record: 404 when either does not exist."""
        name, qual = parse_function(raw, qualifier)
        doc = self.function_doc(name, for_update=for_update)
        if qual and qual != LATEST:
            self.resolve(name, qual, route=False)
        return name, qual or LATEST, doc

    def save_function(self, doc: dict[str, Any]) -> None:
        self.registry.put_function(doc["FunctionName"], doc)
        self.refresh()

    def restore(self) -> int:
        self.registry.changed()  # another worker may have written since this one started: read it all again
        self.refresh()
        return self.deployer.restore()

    def event_invoke_config(self, doc: dict[str, Any], qualifier: str | None) -> dict[str, Any]:
        configs = doc.get("_invoke_configs") or {}
        return configs.get(qualifier or LATEST) or configs.get(LATEST) or doc.get("_event_invoke") or {}

    def create_function(self, body: dict[str, Any]) -> dict[str, Any]:
        """CreateFunction from a request body (the CLI deploys its examples this way)."""
        from . import functions
        self.validator.check("CreateFunctionRequest", body)
        return functions.create_function(self, body)

    # -- invocation -----------------------------------------------------------------
    def resolve(self, raw: str, qualifier: str | None = None, *, route: bool = True) -> Resolved:
        """What an invocation of ``raw``/``qualifier`` runs (aliases pick by weight).
        A plain name is one dict lookup; ARNs and ``name:qualifier`` are parsed."""
        if self.registry.changed():
            self.catch_up()
        hit = self.routes.get(raw) if not qualifier else None
        if hit is None:
            name, qual = parse_function(raw, qualifier or None)
            hit = self.routes.get(name if qual is None else f"{name}:{qual}")
            if hit is None:
                raise not_found(f"Function not found: {self.arn(name, qual)}")
        if type(hit) is Resolved:
            return hit
        assert isinstance(hit, routing.AliasRoute)
        return hit.pick() if route else hit.primary

    def check_throttle(self, r: Resolved) -> None:
        if r.throttled:
            raise throttled("ReservedFunctionConcurrentInvocationLimitExceeded")

    async def invoke(self, r: Resolved, payload: bytes, request_id: str | None = None, *,
                     inline: bool = True, request: Request | None = None) -> InvokeResult:
        """Every front end's invocation goes through here (or ``invoke_now``), so the
        metrics see them all and the host's refusals become Lambda's errors in one
        place. A function's failure stays an InvocationError: it is an answer, not an
        API error. ``inline=False``: the caller has just tried ``invoke_now``."""
        try:
            if r.throttled:
                raise throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
            res = await self.host.ainvoke(r.key, payload, request_id=request_id, inline=inline, request=request)
        except (FunctionNotFound, InvocationError, Throttled, PayloadTooLarge, ApiError) as e:
            raise self._refusal(r, e) from None
        self.metrics.observe(res.report)
        return res

    def invoke_now(self, r: Resolved, payload: bytes) -> InvokeResult | None:
        """``invoke`` without a coroutine, for the front door's hot path: the result of
        a warm run the host finished inline, else None (nothing ran: ``await
        invoke(r, payload, inline=False)``)."""
        try:
            if r.throttled:
                raise throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
            res = self.host.invoke_now(r.key, payload)
        except (FunctionNotFound, InvocationError, Throttled, PayloadTooLarge, ApiError) as e:
            raise self._refusal(r, e) from None
        if res is not None:
            self.metrics.observe(res.report)
        return res

    def _refusal(self, r: Resolved, e: Exception) -> Exception:
        """What an invocation's failure is answered with (and counted as)."""
        if isinstance(e, FunctionNotFound):
            return not_found(f"Function not found: {self.arn(r.name, r.version)}")
        if isinstance(e, InvocationError):
            if e.report is not None:
                self.metrics.observe(e.report)
            return e
        if isinstance(e, Throttled):
            self.metrics.throttle(r.name)
            return throttled(e.reason)
        if isinstance(e, PayloadTooLarge):
            return ApiError(413, "RequestEntityTooLargeException", str(e))
        if isinstance(e, ApiError) and e.status == 429:
            self.metrics.throttle(r.name)
        return e

    # -- asynchronous invocation (events.py) ----------------------------------------
    @property
    def async_stats(self) -> dict[str, int]:
        return self.events.stats

    def accept_event(self, r: Resolved, payload: bytes, request_id: str) -> None:
        self.events.accept(r, payload, request_id)

    async def aaccept_event(self, r: Resolved, payload: bytes, request_id: str) -> None:
        """``accept_event`` for a coroutine: a cluster's accept waits for the engine's
        quorum without holding up the event loop."""
        await self.events.aaccept(r, payload, request_id)

    def wake(self) -> None:
        self.events.wake()

    def start_worker(self) -> None:
        self.events.start()

    async def stop_worker(self) -> None:
        await self.events.stop()
