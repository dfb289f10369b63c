"""EventBridge schedule rules over the JSON 1.1 protocol (``X-Amz-Target:
AWSEvents.<Operation>``) and the scheduler that fires them.

A tick fires once per server, and once per cluster (``serve --cluster``: the
rules live in the engine's replicated KV bucket, so any node's ``PutRule`` is seen
by all). Every process's scheduler looks at every rule; a due tick is first
*claimed* with a compare-and-set on the rule's stored next-fire time (one
process wins), which also records it as pending under a lease; then delivered;
then marked done. A claimer that dies mid-tick leaves the tick pending: when its
lease ends, another process delivers it again. Deliveries carry ids derived
from (rule, tick, target), which JetStream de-duplicates (``Nats-Msg-Id``), so a
tick delivered twice still lands once: at least once, with de-duplication. A tick
that passed while the whole server was down is skipped at start, not replayed
(as EventBridge). Lambda targets get EventBridge's scheduled-event document (or
the target's ``Input``) as an asynchronous invocation (retries and destinations
apply); SQS targets get it as a message."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from ...backends.registry import Unavailable
from ...errors import WasmhostError
from ..errors import ApiError
from . import adapters
from .expressions import BadExpression, parse
from .protocol import AwsError, JsonService, missing, string

if TYPE_CHECKING:
    from ..lambda_model import Service
    from .backends import RecordStore
    from .sqs import Queues

log = logging.getLogger("wasmhost.sources")

RULE, TARGET = "rule", "target"
ACCOUNT = "000000000000"
NAME_RE = re.compile(r"[.\-_A-Za-z0-9]{1,64}")
MAX_TARGETS = 5  # per rule, as EventBridge
MAX_WAIT_S = 30.0
LEASE_S = 10.0  # a claimed tick not marked done by then is delivered again by another process
_IDS = uuid.UUID("6f1d7c1e-5b0a-4c57-9a43-7d0f4c2b8e11")  # the namespace of ticks' deterministic ids


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Schedules:
    def __init__(self, service: Service, store: RecordStore, queues: Queues, *, seconds: bool = False) -> None:
        self.service, self.store, self.queues, self.seconds = service, store, queues, seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.stats: dict[str, dict[str, int]] = {}
        cluster = getattr(service, "cluster", None)
        self.owner = cluster.config.node if cluster is not None else f"pid{os.getpid()}"

    def wake(self) -> None:
        """Look at the rules again now (another node changed one: thread-safe)."""
        loop = self._task.get_loop() if self._task is not None else None
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    def arn(self, name: str) -> str:
        return f"arn:aws:events:{self.service.region}:{ACCOUNT}:rule/{name}"

    # -- the API --------------------------------------------------------------------
    def _name(self, body: dict, key: str = "Name") -> str:
        name = body.get(key)
        if not isinstance(name, str) or not name:
            raise missing(key)
        if not NAME_RE.fullmatch(name):
            raise validation(f"1 validation error detected: Value '{name}' at '{key[0].lower() + key[1:]}' failed to "
                             "satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
        bus = body.get("EventBusName")
        if bus not in (None, "default", f"arn:aws:events:{self.service.region}:{ACCOUNT}:event-bus/default"):
            raise AwsError("ResourceNotFoundException", f"Event bus {bus} does not exist.")
        return name

    def _rule(self, body: dict, key: str = "Name") -> dict:
        name = self._name(body, key)
        rule = self.store.get_record(RULE, name)
        if rule is None:
            raise AwsError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus default.")
        return rule

    def _public(self, rule: dict) -> dict:
        return {k: v for k, v in rule.items() if not k.startswith("_")}

    def _next(self, rule: dict, after: float) -> float | None:
        if rule["State"] != "ENABLED":
            return None
        return parse(rule["ScheduleExpression"], True).next_after(after, rule["_anchor"])

    async def put_rule(self, body: dict, ctx: dict) -> dict:
        name = self._name(body)
        if body.get("EventPattern") is not None:
            raise validation("This host runs schedule rules only (ScheduleExpression); EventPattern is not supported")
        expr = body.get("ScheduleExpression")
        if expr is None:
            raise validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        try:
            parse(expr, self.seconds)
        except BadExpression as e:
            raise validation(str(e)) from None
        state = body.get("State", "ENABLED")
        if state not in ("ENABLED", "DISABLED"):
            raise validation(f"1 validation error detected: Value '{state}' at 'state' failed to satisfy constraint: "
                             "Member must satisfy enum value set: [ENABLED, DISABLED]")
        desc = body.get("Description")
        if desc is not None and (not isinstance(desc, str) or len(desc) > 512):
            raise validation("Description must be a string of at most 512 characters")
        now = time.time()
        old = self.store.get_record(RULE, name) or {}
        rule = {"Name": name, "Arn": self.arn(name), "ScheduleExpression": expr.strip(), "State": state,
                "EventBusName": "default", "_anchor": now, "_last": old.get("_last"),
                "_pending": old.get("_pending")}
        if desc is not None:
            rule["Description"] = desc
        if body.get("RoleArn"):
            rule["RoleArn"] = body["RoleArn"]
        rule["_next"] = self._next(rule, now)
        self.store.put_record(RULE, name, rule)
        self._wake.set()
        return {"RuleArn": rule["Arn"]}

    async def describe_rule(self, body: dict, ctx: dict) -> dict:
        return {**self._public(self._rule(body)), "CreatedBy": ACCOUNT}

    @staticmethod
    def _page(items: list, body: dict, key: str) -> dict:
        limit = body.get("Limit") or 100
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
            raise validation("Limit must be from 1 to 100")
        token = body.get("NextToken")
        start = int(token) if isinstance(token, str) and token.isascii() and token.isdigit() else 0
        out: dict[str, Any] = {key: items[start:start + limit]}
        if start + limit < len(items):
            out["NextToken"] = str(start + limit)
        return out

    async def list_rules(self, body: dict, ctx: dict) -> dict:
        prefix = string(body, "NamePrefix") or ""
        self._name({"Name": "x", "EventBusName": body.get("EventBusName")})
        rules = [self._public(r) for r in self.store.list_records(RULE) if r["Name"].startswith(prefix)]
        return self._page(rules, body, "Rules")

    async def _set_state(self, body: dict, state: str) -> None:
        rule = self._rule(body)
        if rule["State"] != state:
            rule["State"] = state
            now = time.time()
            rule["_anchor"] = now  # a re-enabled rate starts over from now
            rule["_next"] = self._next(rule, now)
            self.store.put_record(RULE, rule["Name"], rule)
            self._wake.set()

    async def enable_rule(self, body: dict, ctx: dict) -> None:
        await self._set_state(body, "ENABLED")

    async def disable_rule(self, body: dict, ctx: dict) -> None:
        await self._set_state(body, "DISABLED")

    def targets(self, rule: str) -> list[dict]:
        return [t for t in self.store.list_records(TARGET) if t["_rule"] == rule]

    async def delete_rule(self, body: dict, ctx: dict) -> None:
        name = self._name(body)
        if self.store.get_record(RULE, name) is None:
            return  # as EventBridge: deleting a missing rule succeeds
        if self.targets(name):
            raise validation("Rule can't be deleted since it has targets.")
        self.store.delete_record(RULE, name)
        self.stats.pop(name, None)
        self._wake.set()

    def _check_target(self, t: Any) -> str | None:
        """Why this target cannot be taken, or None."""
        if not isinstance(t, dict) or not isinstance(t.get("Id"), str) or not NAME_RE.fullmatch(t["Id"]):
            return "Target Id must be 1 to 64 characters of [.-_A-Za-z0-9]"
        arn = t.get("Arn")
        if not isinstance(arn, str) or not (arn.startswith("arn:aws:lambda:") and ":function:" in arn
                                            or arn.startswith("arn:aws:sqs:")):
            return f"Target {arn} is not supported by this host: use a Lambda function or SQS queue ARN"
        for unsupported in ("InputPath", "InputTransformer", "KinesisParameters", "RunCommandParameters",
                            "EcsParameters", "BatchParameters", "HttpParameters", "RedshiftDataParameters",
                            "SageMakerPipelineParameters", "AppSyncParameters"):
            if t.get(unsupported) is not None:
                return f"{unsupported} is not supported by this host"
        if t.get("Input") is not None:
            if not isinstance(t["Input"], str) or len(t["Input"]) > 8192:
                return "Input must be JSON text of at most 8192 characters"
            try:
                json.loads(t["Input"])
            except ValueError:
                return "Input is not valid JSON text"
        return None

    async def put_targets(self, body: dict, ctx: dict) -> dict:
        rule = self._rule(body, "Rule")
        targets = body.get("Targets")
        if not isinstance(targets, list) or not targets:
            raise missing("Targets")
        if len(targets) > 10:
            raise validation("1 validation error detected: Value at 'targets' failed to satisfy constraint: "
                             "Member must have length less than or equal to 10")
        existing = {t["Id"] for t in self.targets(rule["Name"])}
        failed = []
        for t in targets:
            why = self._check_target(t)
            if why is None and t["Id"] not in existing and len(existing) >= MAX_TARGETS:
                raise AwsError("LimitExceededException", f"The requested resource exceeds the maximum number "
                               f"allowed ({MAX_TARGETS} targets per rule).")
            if why is not None:
                failed.append({"TargetId": t.get("Id") if isinstance(t, dict) else None,
                               "ErrorCode": "ValidationException", "ErrorMessage": why})
                continue
            existing.add(t["Id"])
            doc = {k: v for k, v in t.items() if k in ("Id", "Arn", "Input", "RoleArn", "RetryPolicy",
                                                       "DeadLetterConfig", "SqsParameters")}
            self.store.put_record(TARGET, f"{rule['Name']}/{t['Id']}", {**doc, "_rule": rule["Name"]})
        self._wake.set()
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    async def remove_targets(self, body: dict, ctx: dict) -> dict:
        rule = self._rule(body, "Rule")
        ids = body.get("Ids")
        if not isinstance(ids, list) or not ids:
            raise missing("Ids")
        failed = []
        for i in ids:
            key = f"{rule['Name']}/{i}"
            if self.store.get_record(TARGET, key) is None:
                failed.append({"TargetId": i, "ErrorCode": "ResourceNotFoundException",
                               "ErrorMessage": f"Target {i} does not exist on rule {rule['Name']}"})
            else:
                self.store.delete_record(TARGET, key)
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    async def list_targets_by_rule(self, body: dict, ctx: dict) -> dict:
        rule = self._rule(body, "Rule")
        return self._page([self._public(t) for t in self.targets(rule["Name"])], body, "Targets")

    async def list_rule_names_by_target(self, body: dict, ctx: dict) -> dict:
        arn = body.get("TargetArn")
        if not isinstance(arn, str) or not arn:
            raise missing("TargetArn")
        names = sorted({t["_rule"] for t in self.store.list_records(TARGET) if t["Arn"] == arn})
        return self._page(names, body, "RuleNames")

    def api(self) -> JsonService:
        ops = {name: getattr(self, re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()) for name in (
            "PutRule", "DescribeRule", "ListRules", "EnableRule", "DisableRule", "DeleteRule", "PutTargets",
            "RemoveTargets", "ListTargetsByRule", "ListRuleNamesByTarget")}
        return JsonService("AWSEvents", "application/x-amz-json-1.1", "com.amazonaws.events", ops)

    # -- the scheduler --------------------------------------------------------------
    def start(self) -> None:
        self._skip_missed()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _skip_missed(self) -> None:
        """At start: ticks that passed while the server was down are not replayed (a
        worker restarted while the others ran skips none: they were due after the
        server's start, and the running workers fire them)."""
        now = time.time()
        # in a cluster other nodes fire while this one starts: only a tick nobody fired for a minute was missed
        cutoff = min(now, self.service.started_at) if self.service.cluster is None else now - 2 * MAX_WAIT_S
        for rule in self.store.list_records(RULE):
            if rule.get("_next") is not None and rule["_next"] <= cutoff:
                expected = rule["_next"]
                rule["_next"] = self._next(rule, now)
                self.store.compare_and_set(RULE, rule["Name"], "_next", expected, rule)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            soonest = None
            for rule in self.store.list_records(RULE):
                try:
                    due = await self._step(rule, time.time())
                except Exception:  # the engine away, a bug: this rule is looked at again shortly
                    log.exception("schedule %s", rule["Name"])
                    due = time.time() + 1.0
                if due is not None:
                    soonest = due if soonest is None else min(soonest, due)
            wait = MAX_WAIT_S if soonest is None else min(MAX_WAIT_S, max(0.0, soonest - time.time()))
            if wait > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), wait)
                except asyncio.TimeoutError:
                    pass

    async def _step(self, rule: dict, now: float) -> float | None:
        """Fire ``rule``'s due tick, or finish one whose claimer died; returns when
        to look at it again."""
        pending = rule.get("_pending")
        if pending is not None:
            if pending["until"] > now:
                return pending["until"]  # being delivered (by another process, or this one a moment ago)
            log.warning("schedule %s: tick %s claimed by %s was not finished: delivering it again",
                        rule["Name"], iso(pending["tick"]), pending["by"])
            mine = {**pending, "by": self.owner, "until": now + LEASE_S}
            if not self.store.compare_and_set(RULE, rule["Name"], "_pending", pending, dict(rule, _pending=mine)):
                return now + 0.05  # another process took it over, or our view is stale: read again
            return await self._deliver(dict(rule, _pending=mine), mine)
        tick = rule.get("_next")
        if tick is None or tick > now:
            return tick
        mine = {"tick": tick, "by": self.owner, "until": now + LEASE_S}
        claimed = dict(rule, _last=tick, _fired_at=now, _next=self._next(rule, max(now, tick)), _pending=mine)
        if not self.store.compare_and_set(RULE, rule["Name"], "_next", tick, claimed):
            return now + 0.05  # changed meanwhile, or another process fired this tick: read it again
        self.stats.setdefault(rule["Name"], {"fired": 0, "delivered": 0, "failed": 0})["fired"] += 1
        return await self._deliver(claimed, mine)

    async def _deliver(self, rule: dict, pending: dict) -> float | None:
        """Deliver the claimed tick to every target, then mark it done."""
        tick = pending["tick"]
        stats = self.stats.setdefault(rule["Name"], {"fired": 0, "delivered": 0, "failed": 0})
        event_id = str(uuid.uuid5(_IDS, f"{rule['Arn']}|{tick!r}"))
        event = {"version": "0", "id": event_id, "detail-type": "Scheduled Event", "source": "aws.events",
                 "account": ACCOUNT, "time": iso(tick), "region": self.service.region, "resources": [rule["Arn"]],
                 "detail": {}}
        for t in self.targets(rule["Name"]):
            payload = t["Input"] if t.get("Input") is not None else json.dumps(event)
            delivery_id = str(uuid.uuid5(_IDS, f"{event_id}|{t['Id']}"))  # the same when delivered again
            try:
                if t["Arn"].startswith("arn:aws:sqs:"):
                    await self.queues.asend_internal(t["Arn"], payload, delivery_id)
                else:
                    await adapters.invoke_async(self.service, t["Arn"], payload.encode(), delivery_id)
                stats["delivered"] += 1
            except (ApiError, AwsError, WasmhostError) as e:  # a missing function or queue: a failed delivery
                if isinstance(e, Unavailable) or getattr(e, "status", 400) >= 500:
                    raise  # the engine is away (503): the tick stays pending, delivered again after the lease
                stats["failed"] += 1
                log.warning("schedule %s: target %s failed: %s", rule["Name"], t["Id"], getattr(e, "message", e))
        await self._done(rule["Name"], tick)
        return rule["_next"]

    async def _done(self, name: str, tick: float) -> None:
        """Mark ``tick`` delivered in the latest record, whoever's claim of it that
        holds (a claimer taken over after its lease may finish too). This node's
        mirror may not yet have seen another write of the record, so its
        compare-and-set can fail on the revision: read again until it has. Left
        pending, the tick would hold the rule for a whole lease."""
        deadline = time.monotonic() + LEASE_S / 2
        while True:
            current = self.store.get_record(RULE, name)
            if current is None or (current.get("_pending") or {}).get("tick") != tick:
                return  # deleted, already done, or another process's newer claim
            if self.store.compare_and_set(RULE, name, "_pending", current["_pending"], dict(current, _pending=None)):
                return
            if time.monotonic() > deadline:
                log.warning("schedule %s: could not mark tick %s done; it is delivered again after its lease",
                            name, iso(tick))
                return
            await asyncio.sleep(0.02)  # the mirror catches up with the other write
