"""Amazon SQS (standard queues) over its JSON protocol, as current boto3 and the aws
CLI speak it (``X-Amz-Target: AmazonSQS.<Operation>``). Queue URLs are
``http://HOST:PORT/000000000000/NAME``; ARNs ``arn:aws:sqs:REGION:000000000000:NAME``.
Messages live in a ``QueueStore`` (SQLite by default, JetStream in a cluster):
durable once a send returns; long polls wait in the store.

HTTP-free: ``Queues`` is also what the mapping poller and Lambda destinations use."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import re
import struct
from typing import Any

from .backends import Message, NewMessage, QueueStore
from .protocol import AwsError, JsonService, missing, string, string_map, strings

ACCOUNT = "000000000000"
SENDER_ID = "AIDAWASMHOSTLOCAL0000"
NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,80}")
BATCH_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,80}")
MAX_BATCH_BYTES = 1024 * 1024  # SQS raised message and batch limits to 1 MiB in 2025
# attribute: (default, min, max); values are strings on the wire
NUMERIC = {"VisibilityTimeout": (30, 0, 43200), "MessageRetentionPeriod": (345600, 60, 1209600),
           "DelaySeconds": (0, 0, 900), "ReceiveMessageWaitTimeSeconds": (0, 0, 20),
           "MaximumMessageSize": (1048576, 1024, 1048576)}  # 1 MiB by default too (botocore: SetQueueAttributes)
OPAQUE = ("Policy", "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled")
COMPUTED = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn")
SYSTEM_ATTRIBUTES = ("SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
                     "DeadLetterQueueSourceArn")
# Message ids: a random head per process and a counter, shaped like SQS's UUIDs
# (uuid4() costs ~25 µs here, a getrandom call per id; ten per SendMessageBatch)
_HEAD = os.urandom(10).hex()
_HEAD = f"{_HEAD[0:8]}-{_HEAD[8:12]}-{_HEAD[12:16]}-{_HEAD[16:20]}-"
_next_id = itertools.count(1).__next__


def message_id() -> str:
    return f"{_HEAD}{_next_id() & 0xFFFFFFFFFFFF:012x}"


_BAD_CHARS = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def no_queue() -> AwsError:
    return AwsError("QueueDoesNotExist", "The specified queue does not exist.",
                    query_code="AWS.SimpleQueueService.NonExistentQueue")


def bad_value(message: str) -> AwsError:
    return AwsError("InvalidParameterValue", message, query_code="InvalidParameterValue")


def _int(body: dict, key: str, lo: int, hi: int, default: int | None = None) -> int | None:
    v = body.get(key, default)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise bad_value(f"Value {v} for parameter {key} is invalid. Reason: must be an integer from {lo} to {hi}.")
    return v


def md5_of_attributes(attrs: dict[str, Any]) -> str:
    """SQS's digest of message attributes: per name, sorted, length-prefixed name,
    data type, a transport byte (1 string, 2 binary) and the value."""
    h = hashlib.md5()
    for name in sorted(attrs):
        a = attrs[name]
        for part in (name.encode(), a["DataType"].encode()):
            h.update(struct.pack(">I", len(part)) + part)
        if "StringValue" in a:
            v = a["StringValue"].encode()
            h.update(b"\x01" + struct.pack(">I", len(v)) + v)
        else:
            v = base64.b64decode(a["BinaryValue"])
            h.update(b"\x02" + struct.pack(">I", len(v)) + v)
    return h.hexdigest()


def _check_attributes(attrs: Any) -> tuple[dict | None, int]:
    """Message attributes checked as SQS checks them; returns them and their size."""
    if not attrs:
        return None, 0
    if not isinstance(attrs, dict) or len(attrs) > 10:
        raise bad_value(f"Number of message attributes [{len(attrs)}] exceeds the allowed maximum [10]."
                        if isinstance(attrs, dict) else "MessageAttributes must be a map")
    size = 0
    for name, a in attrs.items():
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,256}", name) or name.startswith(("AWS.", "Amazon.", ".")) \
                or ".." in name or name.endswith("."):
            raise bad_value(f"Message attribute name '{name}' is invalid.")
        if not isinstance(a, dict) or not isinstance(a.get("DataType"), str) or \
                a["DataType"].split(".", 1)[0] not in ("String", "Number", "Binary"):
            raise bad_value(f"The message attribute '{name}' has an invalid message attribute type, the set of "
                            "supported type prefixes is Binary, Number, and String.")
        binary = a["DataType"].startswith("Binary")
        key = "BinaryValue" if binary else "StringValue"
        if not isinstance(a.get(key), str) or (not binary and not a[key]):
            raise bad_value(f"The message attribute '{name}' must contain non-empty message attribute value "
                            f"for message attribute type '{a['DataType']}'.")
        if binary:
            try:
                value_len = len(base64.b64decode(a[key], validate=True))
            except ValueError:
                raise AwsError("SerializationException", f"BinaryValue of '{name}' is not base64") from None
        else:
            value_len = len(a[key].encode())
        size += len(name.encode()) + len(a["DataType"].encode()) + value_len
    return {n: {"DataType": a["DataType"], ("BinaryValue" if a["DataType"].startswith("Binary") else "StringValue"):
                a["BinaryValue" if a["DataType"].startswith("Binary") else "StringValue"]}
            for n, a in attrs.items()}, size


class Queues:
    def __init__(self, store: QueueStore, region: str) -> None:
        self.store, self.region = store, region

    # -- names ----------------------------------------------------------------------
    def arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{ACCOUNT}:{name}"

    @staticmethod
    def url(name: str, host: str) -> str:
        return f"http://{host}/{ACCOUNT}/{name}"

    @staticmethod
    def name_of_arn(arn: str) -> str | None:
        parts = arn.split(":")
        return parts[5] if len(parts) == 6 and parts[:3] == ["arn", "aws", "sqs"] else None

    @staticmethod
    def name_of_url(url: str) -> str:
        """The queue a QueueUrl names, whatever its host (a function's may name another)."""
        return url.rstrip("/").rsplit("/", 1)[-1]

    def _queue(self, body: dict) -> tuple[str, dict]:
        url = body.get("QueueUrl")
        if not isinstance(url, str) or not url:
            raise missing("QueueUrl")
        name = self.name_of_url(url)
        q = self.store.get_queue(name)
        if q is None:
            raise no_queue()
        return name, q

    # -- attributes -----------------------------------------------------------------
    def _checked_attributes(self, attrs: Any, current: dict[str, str] | None = None) -> dict[str, str]:
        if attrs is None:
            attrs = {}
        if not isinstance(attrs, dict):
            raise bad_value("Attributes must be a map of names to strings")
        out = dict(current or {})
        for k, v in attrs.items():
            v = str(v)
            if k in NUMERIC:
                _, lo, hi = NUMERIC[k]
                if not (v.isascii() and v.isdigit() and lo <= int(v) <= hi):
                    raise AwsError("InvalidAttributeValue", f"Invalid value for the parameter {k}.",
                                   query_code="InvalidAttributeValue")
            elif k == "RedrivePolicy":
                if v:
                    self._redrive(v)
            elif k == "FifoQueue" or k in ("ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"):
                if v.lower() == "true" or k != "FifoQueue":
                    raise AwsError("InvalidAttributeName", f"FIFO queues are not supported by this host ({k}).",
                                   query_code="InvalidAttributeName")
                continue
            elif k not in OPAQUE:
                raise AwsError("InvalidAttributeName", f"Unknown Attribute {k}.", query_code="InvalidAttributeName")
            out[k] = v
        return out

    def _redrive(self, text: str) -> tuple[str, int]:
        try:
            p = json.loads(text)
            dlq = self.name_of_arn(p["deadLetterTargetArn"])
            count = int(p["maxReceiveCount"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise AwsError("InvalidAttributeValue", "Value for parameter RedrivePolicy is invalid. Reason: "
                           "Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount.",
                           query_code="InvalidAttributeValue") from None
        if dlq is None or self.store.get_queue(dlq) is None:
            raise AwsError("InvalidAttributeValue", "Value for parameter RedrivePolicy is invalid. Reason: "
                           "Dead letter target does not exist.", query_code="InvalidAttributeValue")
        if not 1 <= count <= 1000:
            raise AwsError("InvalidAttributeValue", "Value for parameter RedrivePolicy is invalid. Reason: "
                           "Invalid value for maxReceiveCount: must be from 1 to 1000.",
                           query_code="InvalidAttributeValue")
        return dlq, count

    def setting(self, q: dict, key: str) -> int:
        v = q["attributes"].get(key)
        return int(v) if v is not None else NUMERIC[key][0]

    def dead_letter(self, name: str, q: dict) -> tuple[str, int, str] | None:
        text = q["attributes"].get("RedrivePolicy")
        if not text:
            return None
        p = json.loads(text)
        dlq = self.name_of_arn(p["deadLetterTargetArn"])
        if dlq is None or self.store.get_queue(dlq) is None:
            return None  # the dead-letter queue was deleted: messages stay
        return dlq, int(p["maxReceiveCount"]), self.arn(name)

    def all_attributes(self, name: str, q: dict) -> dict[str, str]:
        visible, in_flight, delayed = self.store.counts(name)
        out = {k: str(d) for k, (d, _, _) in NUMERIC.items()}
        out.update(q["attributes"])
        out.update({"ApproximateNumberOfMessages": str(visible), "ApproximateNumberOfMessagesNotVisible": str(in_flight),
                    "ApproximateNumberOfMessagesDelayed": str(delayed), "CreatedTimestamp": str(int(q["created"])),
                    "LastModifiedTimestamp": str(int(q["modified"])), "QueueArn": self.arn(name),
                    "SqsManagedSseEnabled": q["attributes"].get("SqsManagedSseEnabled", "false")})
        return out

    # -- operations -----------------------------------------------------------------
    async def create_queue(self, body: dict, ctx: dict) -> dict:
        name = body.get("QueueName")
        if not isinstance(name, str) or not name:
            raise missing("QueueName")
        if name.endswith(".fifo"):
            raise AwsError("InvalidAttributeName", "FIFO queues are not supported by this host.",
                           query_code="InvalidAttributeName")
        if not NAME_RE.fullmatch(name):
            raise bad_value("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        attrs = self._checked_attributes(body.get("Attributes"))
        tags = string_map(body, "tags")
        existing = self.store.create_queue(name, attrs, tags)
        if existing is not None:
            mine = {k: v for k, v in existing["attributes"].items()}
            asked = {k: str(v) for k, v in attrs.items()}
            if any(mine.get(k, str(NUMERIC[k][0]) if k in NUMERIC else None) != v for k, v in asked.items()):
                raise AwsError("QueueNameExists", "A queue already exists with the same name and a different value "
                               "for attribute(s) " + ", ".join(sorted(asked)), query_code="QueueAlreadyExists")
        return {"QueueUrl": self.url(name, ctx["host"])}

    async def get_queue_url(self, body: dict, ctx: dict) -> dict:
        name = body.get("QueueName")
        if not isinstance(name, str) or not name:
            raise missing("QueueName")
        if self.store.get_queue(name) is None:
            raise no_queue()
        return {"QueueUrl": self.url(name, ctx["host"])}

    async def list_queues(self, body: dict, ctx: dict) -> dict:
        prefix = string(body, "QueueNamePrefix") or ""
        limit = _int(body, "MaxResults", 1, 1000)
        names = [q["name"] for q in self.store.list_queues() if q["name"].startswith(prefix)]
        token = string(body, "NextToken")
        if token:
            names = [n for n in names if n > token]
        if limit is None:
            return {"QueueUrls": [self.url(n, ctx["host"]) for n in names[:1000]]} if names else {}
        out: dict[str, Any] = {"QueueUrls": [self.url(n, ctx["host"]) for n in names[:limit]]}
        if len(names) > limit:
            out["NextToken"] = names[limit - 1]
        return out

    async def delete_queue(self, body: dict, ctx: dict) -> None:
        name, _ = self._queue(body)
        self.store.delete_queue(name)

    async def purge_queue(self, body: dict, ctx: dict) -> None:
        name, _ = self._queue(body)
        self.store.purge(name)

    async def get_queue_attributes(self, body: dict, ctx: dict) -> dict:
        name, q = self._queue(body)
        wanted = strings(body, "AttributeNames")
        attrs = self.all_attributes(name, q)
        if "All" in wanted:
            return {"Attributes": attrs}
        for k in wanted:
            if k not in attrs and k not in NUMERIC and k not in OPAQUE and k != "RedrivePolicy":
                raise AwsError("InvalidAttributeName", f"Unknown Attribute {k}.", query_code="InvalidAttributeName")
        out = {k: attrs[k] for k in wanted if k in attrs}
        return {"Attributes": out} if out else {}

    async def set_queue_attributes(self, body: dict, ctx: dict) -> None:
        name, q = self._queue(body)
        if "Attributes" not in body:
            raise missing("Attributes")
        self.store.update_queue(name, self._checked_attributes(body["Attributes"], q["attributes"]))

    def _new_message(self, entry: dict, q: dict, msg_id: str | None = None) -> tuple[NewMessage, int]:
        body = entry.get("MessageBody")
        if not isinstance(body, str) or not body:
            raise missing("MessageBody")
        if _BAD_CHARS.search(body):
            raise AwsError("InvalidMessageContents", "Invalid characters found. Valid unicode characters are "
                           "#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
                           query_code="InvalidMessageContents")
        if entry.get("MessageGroupId") is not None or entry.get("MessageDeduplicationId") is not None:
            raise bad_value("The request include parameter that is not valid for this queue type")
        attrs, attr_size = _check_attributes(entry.get("MessageAttributes"))
        size = len(body.encode()) + attr_size
        limit = self.setting(q, "MaximumMessageSize")
        if size > limit:
            raise bad_value(f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes.")
        delay = _int(entry, "DelaySeconds", 0, 900, self.setting(q, "DelaySeconds"))
        return NewMessage(msg_id or message_id(), body, attrs, hashlib.md5(body.encode()).hexdigest(),
                          md5_of_attributes(attrs) if attrs else None, delay or 0), size

    @staticmethod
    def _sent(m: NewMessage) -> dict:
        out = {"MessageId": m.id, "MD5OfMessageBody": m.md5}
        if m.md5_attributes:
            out["MD5OfMessageAttributes"] = m.md5_attributes
        return out

    async def send_message(self, body: dict, ctx: dict) -> dict:
        name, q = self._queue(body)
        m, _ = self._new_message(body, q)
        await self.store.asend(name, [m])
        return self._sent(m)

    def _batch(self, body: dict, limit: int = 10) -> list[dict]:
        entries = body.get("Entries")
        if not entries:
            raise AwsError("EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the "
                           "request.", query_code="AWS.SimpleQueueService.EmptyBatchRequest")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise AwsError("SerializationException", "Entries must be a list of objects")
        if len(entries) > limit:
            raise AwsError("TooManyEntriesInBatchRequest", f"Maximum number of entries per request are {limit}. "
                           f"You have sent {len(entries)}.",
                           query_code="AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
        ids = [e.get("Id") for e in entries]
        for i in ids:
            if not isinstance(i, str) or not BATCH_ID_RE.fullmatch(i):
                raise AwsError("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, "
                               "hyphens and underscores. It can be at most 80 letters long.",
                               query_code="AWS.SimpleQueueService.InvalidBatchEntryId")
        if len(set(ids)) != len(ids):
            raise AwsError("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.",
                           query_code="AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
        return entries

    async def send_message_batch(self, body: dict, ctx: dict) -> dict:
        name, q = self._queue(body)
        entries = self._batch(body)
        ok: list[tuple[str, NewMessage]] = []
        failed = []
        total = 0
        for e in entries:
            try:
                m, size = self._new_message(e, q)
                total += size
                ok.append((e["Id"], m))
            except AwsError as err:
                failed.append({"Id": e["Id"], "SenderFault": True, "Code": err.query_code or err.code,
                               "Message": err.message})
        if total > MAX_BATCH_BYTES:
            raise AwsError("BatchRequestTooLong", f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. "
                           f"You have sent {total} bytes.", query_code="AWS.SimpleQueueService.BatchRequestTooLong")
        if ok:
            await self.store.asend(name, [m for _, m in ok])
        return {"Successful": [{"Id": i, **self._sent(m)} for i, m in ok], "Failed": failed}

    def _internal(self, arn: str, body: str, msg_id: str | None) -> tuple[str, NewMessage]:
        name = self.name_of_arn(arn)
        q = self.store.get_queue(name) if name else None
        if name is None or q is None:
            raise no_queue()
        return name, self._new_message({"MessageBody": body}, q, msg_id)[0]

    def send_internal(self, arn: str, body: str, msg_id: str | None = None) -> None:
        """A message from inside the host (a Lambda destination); ``msg_id``, when
        given, is its MessageId and de-duplication key."""
        name, m = self._internal(arn, body, msg_id)
        self.store.send(name, [m])

    async def asend_internal(self, arn: str, body: str, msg_id: str | None = None) -> None:
        """``send_internal`` for a coroutine (a schedule's target)."""
        name, m = self._internal(arn, body, msg_id)
        await self.store.asend(name, [m])

    async def receive(self, name: str, q: dict, n: int, visibility_s: float | None = None,
                      wait_s: float = 0.0) -> list[Message]:
        vt = self.setting(q, "VisibilityTimeout") if visibility_s is None else visibility_s
        return await self.store.receive(name, n, vt, self.dead_letter(name, q),
                                        self.setting(q, "MessageRetentionPeriod"), wait_s)

    async def receive_message(self, body: dict, ctx: dict) -> dict:
        name, q = self._queue(body)
        n = _int(body, "MaxNumberOfMessages", 1, 10, 1) or 1
        vt = _int(body, "VisibilityTimeout", 0, 43200)
        wait = _int(body, "WaitTimeSeconds", 0, 20, self.setting(q, "ReceiveMessageWaitTimeSeconds")) or 0
        msgs = await self.receive(name, q, n, vt, wait)
        if not msgs:
            if wait:
                self._queue(body)  # deleted while we waited?
            return {}
        wanted = set(strings(body, "AttributeNames")) | set(strings(body, "MessageSystemAttributeNames"))
        names = strings(body, "MessageAttributeNames")
        return {"Messages": [self._received(m, wanted, names) for m in msgs]}

    @staticmethod
    def system_attributes(m: Message) -> dict[str, str]:
        out = {"SenderId": SENDER_ID, "SentTimestamp": str(int(m.sent_at * 1000)),
               "ApproximateReceiveCount": str(m.receives),
               "ApproximateFirstReceiveTimestamp": str(int(m.first_receive * 1000))}
        if m.source_arn:
            out["DeadLetterQueueSourceArn"] = m.source_arn
        return out

    def _received(self, m: Message, wanted: set[str], names: list[str]) -> dict:
        out: dict[str, Any] = {"MessageId": m.id, "ReceiptHandle": f"{m.seq}.{m.receipt}", "MD5OfBody": m.md5,
                               "Body": m.body}
        if wanted:
            system = self.system_attributes(m)
            out["Attributes"] = system if "All" in wanted else {k: v for k, v in system.items() if k in wanted}
        if m.attributes and names:
            def match(n: str) -> bool:
                return any(p in ("All", ".*") or p == n or (p.endswith(".*") and n.startswith(p[:-1]))
                           for p in names)
            picked = {k: v for k, v in m.attributes.items() if match(k)}
            if picked:
                out["MessageAttributes"] = picked
                out["MD5OfMessageAttributes"] = md5_of_attributes(picked)
        return out

    async def delete_message(self, body: dict, ctx: dict) -> None:
        name, _ = self._queue(body)
        receipt = body.get("ReceiptHandle")
        if not isinstance(receipt, str) or not receipt:
            raise missing("ReceiptHandle")
        if (await self.store.delete(name, [receipt]))[0] is None:
            raise AwsError("ReceiptHandleIsInvalid", f'The input receipt handle "{receipt}" is not a valid '
                           "receipt handle.", query_code="ReceiptHandleIsInvalid")

    async def delete_message_batch(self, body: dict, ctx: dict) -> dict:
        name, _ = self._queue(body)
        entries = self._batch(body)
        results = await self.store.delete(name, [str(e.get("ReceiptHandle", "")) for e in entries])
        ok, failed = [], []
        for e, r in zip(entries, results):
            if r is None:
                failed.append({"Id": e["Id"], "SenderFault": True, "Code": "ReceiptHandleIsInvalid",
                               "Message": f'The input receipt handle "{e.get("ReceiptHandle")}" is not a valid '
                                          "receipt handle."})
            else:
                ok.append({"Id": e["Id"]})
        return {"Successful": ok, "Failed": failed}

    async def change_message_visibility(self, body: dict, ctx: dict) -> None:
        name, _ = self._queue(body)
        receipt = body.get("ReceiptHandle")
        if not isinstance(receipt, str) or not receipt:
            raise missing("ReceiptHandle")
        if "VisibilityTimeout" not in body:
            raise missing("VisibilityTimeout")
        await self._change(name, receipt, _int(body, "VisibilityTimeout", 0, 43200) or 0)

    async def _change(self, name: str, receipt: str, timeout: int) -> None:
        r = await self.store.change_visibility(name, receipt, timeout)
        if r is None:
            raise AwsError("ReceiptHandleIsInvalid", f'The input receipt handle "{receipt}" is not a valid '
                           "receipt handle.", query_code="ReceiptHandleIsInvalid")
        if not r:
            raise AwsError("MessageNotInflight", "The message referred to is not in flight.",
                           query_code="AWS.SimpleQueueService.MessageNotInflight")

    async def change_message_visibility_batch(self, body: dict, ctx: dict) -> dict:
        name, _ = self._queue(body)
        ok, failed = [], []
        for e in self._batch(body):
            try:
                await self._change(name, str(e.get("ReceiptHandle", "")),
                                   _int(e, "VisibilityTimeout", 0, 43200, 0) or 0)
                ok.append({"Id": e["Id"]})
            except AwsError as err:
                failed.append({"Id": e["Id"], "SenderFault": True, "Code": err.query_code or err.code,
                               "Message": err.message})
        return {"Successful": ok, "Failed": failed}

    async def list_queue_tags(self, body: dict, ctx: dict) -> dict:
        _, q = self._queue(body)
        return {"Tags": q["tags"]} if q["tags"] else {}

    async def tag_queue(self, body: dict, ctx: dict) -> None:
        name, q = self._queue(body)
        self.store.update_queue(name, q["attributes"], {**q["tags"], **string_map(body, "Tags")})

    async def untag_queue(self, body: dict, ctx: dict) -> None:
        name, q = self._queue(body)
        drop = set(strings(body, "TagKeys"))
        self.store.update_queue(name, q["attributes"], {k: v for k, v in q["tags"].items() if k not in drop})

    def api(self) -> JsonService:
        ops = {name: getattr(self, re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()) for name in (
            "CreateQueue", "GetQueueUrl", "ListQueues", "DeleteQueue", "PurgeQueue", "GetQueueAttributes",
            "SetQueueAttributes", "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage",
            "DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "ListQueueTags",
            "TagQueue", "UntagQueue")}
        return JsonService("AmazonSQS", "application/x-amz-json-1.0", "com.amazonaws.sqs", ops)
