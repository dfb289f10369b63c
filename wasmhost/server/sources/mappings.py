"""Lambda's event source mappings for SQS queues (Create/Get/List/Update/Delete),
checked as Lambda checks them, kept in the ``RecordStore`` and run by ``Poller``s.

HTTP-free; ``lambda_routes.py`` puts it on the Lambda REST API."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, Any

from ..errors import ApiError, invalid, not_found
from ..lambda_model.names import parse_function
from .poller import Acker, Poller
from .sqs import Queues

if TYPE_CHECKING:
    from ..lambda_model import Service
    from .backends import RecordStore

KIND = "esm"
ACCOUNT = "000000000000"
# settings of stream and Kafka sources, which an SQS mapping does not take
NOT_FOR_SQS = ("StartingPosition", "StartingPositionTimestamp", "ParallelizationFactor", "MaximumRecordAgeInSeconds",
               "BisectBatchOnFunctionError", "MaximumRetryAttempts", "TumblingWindowInSeconds", "Topics", "Queues",
               "SelfManagedEventSource", "DestinationConfig", "AmazonManagedKafkaEventSourceConfig",
               "SelfManagedKafkaEventSourceConfig", "DocumentDBEventSourceConfig", "ProvisionedPollerConfig")


def _bounded(body: dict, key: str, lo: int, hi: int, field: str) -> None:
    v = body.get(key)
    if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi):
        raise ApiError(400, "ValidationException", f"1 validation error detected: Value '{v}' at '{field}' failed "
                       f"to satisfy constraint: Member must have value between {lo} and {hi}")


class Mappings:
    def __init__(self, service: Service, store: RecordStore, queues: Queues) -> None:
        self.service, self.store, self.queues = service, store, queues
        self.pollers: dict[str, Poller] = {}
        self.acker = Acker(service, queues)
        self.running = False
        self._follower: asyncio.Task[None] | None = None

    def arn(self, mapping_id: str) -> str:
        return f"arn:aws:lambda:{self.service.region}:{ACCOUNT}:event-source-mapping:{mapping_id}"

    def _function_arn(self, raw: Any) -> str:
        if not isinstance(raw, str) or not raw:
            raise invalid("FunctionName is required")
        name, qual = parse_function(raw)
        self.service.resolve(name, qual, route=False)  # 404 when missing
        return self.service.arn(name, qual)

    def _check(self, body: dict, doc: dict) -> None:
        """``doc``: the mapping as it will be, ``body``: what the caller sent."""
        for key in NOT_FOR_SQS:
            if body.get(key) is not None:
                raise invalid(f"Unsupported {key} parameter for given event source.")
        _bounded(body, "BatchSize", 1, 10000, "batchSize")
        _bounded(body, "MaximumBatchingWindowInSeconds", 0, 300, "maximumBatchingWindowInSeconds")
        if doc["BatchSize"] > 10 and not doc["MaximumBatchingWindowInSeconds"]:
            raise invalid("Maximum batch window in seconds must be greater than 0 if maximum batch size is "
                          "greater than 10")
        types = doc["FunctionResponseTypes"]
        if not isinstance(types, list) or any(t != "ReportBatchItemFailures" for t in types):
            raise invalid(f"Unsupported FunctionResponseTypes {types}: only ReportBatchItemFailures exists")
        scaling = doc.get("ScalingConfig") or {}
        if not isinstance(scaling, dict) or set(scaling) - {"MaximumConcurrency"}:
            raise invalid("ScalingConfig takes only MaximumConcurrency")
        _bounded(scaling, "MaximumConcurrency", 2, 1000, "scalingConfig.maximumConcurrency")
        if not isinstance(doc["Enabled"], bool):
            raise invalid("Enabled must be true or false")
        name = Queues.name_of_arn(doc["EventSourceArn"])
        q = self.queues.store.get_queue(name) if name else None
        if q is None:
            raise invalid("Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService."
                          f"NonExistentQueue. SQS Error Message: The specified queue does not exist: "
                          f"{doc['EventSourceArn']}")
        fn = self.service.resolve(doc["FunctionArn"], route=False)
        vt, timeout = self.queues.setting(q, "VisibilityTimeout"), int(fn.doc.get("Timeout", 3))
        if vt < timeout:
            raise invalid(f"Queue visibility timeout: {vt} seconds is less than Function timeout: {timeout} seconds")

    def _out(self, doc: dict, state: str | None = None) -> dict:
        out = {k: v for k, v in doc.items() if k != "Enabled"}
        out["State"] = state or ("Enabled" if doc["Enabled"] else "Disabled")
        poller = self.pollers.get(doc["UUID"])
        out["LastProcessingResult"] = poller.last_result if poller else doc.get("LastProcessingResult",
                                                                                "No records processed")
        if not out.get("FunctionResponseTypes"):
            out.pop("FunctionResponseTypes", None)
        if not out.get("ScalingConfig"):
            out.pop("ScalingConfig", None)
        return out

    def create(self, body: dict) -> dict:
        arn = body.get("EventSourceArn")
        if not isinstance(arn, str) or not arn.startswith("arn:aws:sqs:"):
            raise invalid(f"Unsupported event source {arn!r}: this host maps SQS queues (arn:aws:sqs:…)")
        fn_arn = self._function_arn(body.get("FunctionName"))
        for other in self.store.list_records(KIND):
            if other["EventSourceArn"] == arn and other["FunctionArn"] == fn_arn:
                raise ApiError(409, "ResourceConflictException", f"An event source mapping with SQS arn (\" {arn} \") "
                               f"and function (\" {fn_arn} \") already exists. Please update or delete the existing "
                               f"mapping with UUID {other['UUID']}", Type="User")
        mapping_id = str(uuid.uuid4())
        doc = {"UUID": mapping_id, "BatchSize": body.get("BatchSize") or 10,
               "MaximumBatchingWindowInSeconds": body.get("MaximumBatchingWindowInSeconds") or 0,
               "EventSourceArn": arn, "FunctionArn": fn_arn, "LastModified": time.time(),
               "StateTransitionReason": "USER_INITIATED",
               "FunctionResponseTypes": body.get("FunctionResponseTypes") or [],
               "ScalingConfig": body.get("ScalingConfig") or {}, "EventSourceMappingArn": self.arn(mapping_id),
               "Enabled": body.get("Enabled", True)}
        self._check(body, doc)
        self.store.put_record(KIND, mapping_id, doc)
        self._run(doc)
        return self._out(doc, "Creating")

    def _doc(self, mapping_id: str) -> dict:
        doc = self.store.get_record(KIND, mapping_id)
        if doc is None:
            raise not_found(f"The resource you requested does not exist. (Service: Lambda, Status Code: 404, "
                            f"Request ID: {uuid.uuid4()})")
        return doc

    def get(self, mapping_id: str) -> dict:
        return self._out(self._doc(mapping_id))

    def list(self, function: str | None, source_arn: str | None) -> list[dict]:
        """``function``: a name matches its mappings of every version and alias; a
        qualified name or ARN only its own."""
        def wanted(arn: str) -> bool:
            if not function:
                return True
            name, qual = parse_function(function)
            mine = self.service.arn(name, qual)
            return arn == mine or (qual is None and arn.startswith(mine + ":"))
        return [self._out(d) for d in self.store.list_records(KIND)
                if wanted(d["FunctionArn"]) and (source_arn is None or d["EventSourceArn"] == source_arn)]

    def update(self, mapping_id: str, body: dict) -> dict:
        doc = dict(self._doc(mapping_id))
        if body.get("FunctionName"):
            doc["FunctionArn"] = self._function_arn(body["FunctionName"])
        for key in ("BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "ScalingConfig",
                    "Enabled"):
            if key in body and body[key] is not None:
                doc[key] = body[key]
        self._check(body, doc)
        doc["LastModified"] = time.time()
        self.store.put_record(KIND, mapping_id, doc)
        self._run(doc)
        return self._out(doc, "Updating")

    def delete(self, mapping_id: str) -> dict:
        doc = self._doc(mapping_id)
        self.store.delete_record(KIND, mapping_id)
        self._run(doc, deleted=True)
        return self._out(doc, "Deleting")

    # -- pollers --------------------------------------------------------------------
    def _run(self, doc: dict, deleted: bool = False) -> None:
        """(Re)start or stop the poller of ``doc`` to match it."""
        old = self.pollers.pop(doc["UUID"], None)
        if old is not None:
            doc.setdefault("LastProcessingResult", old.last_result)
            asyncio.get_running_loop().create_task(old.stop())
        if self.running and doc["Enabled"] and not deleted:
            p = self.pollers[doc["UUID"]] = Poller(self.service, self.queues, doc, self.acker)
            p.start()

    def start(self) -> None:
        self.running = True
        self.acker.start()
        for doc in self.store.list_records(KIND):
            self._run(doc)
        self._follower = asyncio.get_running_loop().create_task(self._follow())

    async def _follow(self, every_s: float = 1.0) -> None:
        """Mappings created, changed or deleted through another worker process of the
        server (``serve --workers``): every worker polls every enabled mapping (a
        receive hands each message to one), and stops when it is gone."""
        while True:
            await asyncio.sleep(every_s)
            records = {d["UUID"]: d for d in self.store.list_records(KIND)}
            for mapping_id, doc in records.items():
                p = self.pollers.get(mapping_id)
                if (p is None) == doc["Enabled"] or (p is not None and p.doc["LastModified"] != doc["LastModified"]):
                    self._run(doc)
            for mapping_id in [m for m in self.pollers if m not in records]:
                self._run(self.pollers[mapping_id].doc, deleted=True)

    async def stop(self) -> None:
        self.running = False
        if self._follower is not None:
            self._follower.cancel()
            await asyncio.gather(self._follower, return_exceptions=True)
        pollers, self.pollers = list(self.pollers.values()), {}
        for p in pollers:
            await p.stop()
        await self.acker.stop()
