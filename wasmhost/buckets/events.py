"""S3 notifications: the configuration S3's API takes (LambdaFunctionConfigurations
with event types and prefix/suffix filters), which changes match it, and the
event document a Lambda handler receives (``Records[].s3...``), as S3 writes it."""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, NamedTuple
from urllib.parse import quote_plus

from .errors import BucketError

EVENT_TYPES = ("s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
               "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
               "s3:ObjectRemoved:DeleteMarkerCreated")
OWNER = "wasmhost"  # principalId in records; there is one account


class Change(NamedTuple):
    """One change to a bucket, as it happened (before any configuration is matched).
    A tuple: one is made for every upload, also where nothing is configured."""
    bucket: str
    key: str
    event: str  # "ObjectCreated:Put", "ObjectRemoved:Delete", ...
    size: int = 0
    etag: str = ""  # unquoted
    source_ip: str = "127.0.0.1"
    request_id: str = ""


def _rules(cfg: dict[str, Any]) -> dict[str, str]:
    rules = ((cfg.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    out: dict[str, str] = {}
    for r in rules:
        name = str(r.get("Name", "")).lower()
        if name not in ("prefix", "suffix") or name in out:
            raise BucketError("InvalidArgument", f"Invalid filter rule name {r.get('Name')!r}: each of prefix and "
                              "suffix may appear once.", ArgumentName="FilterRule Name")
        out[name] = str(r.get("Value", ""))
    return out


def _family(event: str) -> str:
    return event.split(":")[1]  # ObjectCreated / ObjectRemoved


def _overlap(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _suffix_overlap(a: str, b: str) -> bool:
    return a.endswith(b) or b.endswith(a)


def validate(config: dict[str, Any], function_exists: Callable[[str], bool]) -> dict[str, Any]:
    """The stored form of a NotificationConfiguration, or S3's error for it.
    Queue and topic targets are refused (there is no SNS; SQS is a separate API)."""
    if config.get("QueueConfigurations") or config.get("TopicConfigurations"):
        raise BucketError("InvalidArgument", "wasmhost delivers bucket notifications to Lambda functions only "
                          "(LambdaFunctionConfigurations).", ArgumentName="NotificationConfiguration")
    out: list[dict[str, Any]] = []
    for cfg in config.get("LambdaFunctionConfigurations") or []:
        arn, events = cfg.get("LambdaFunctionArn"), cfg.get("Events") or []
        if not arn or not events:
            raise BucketError("InvalidArgument", "A LambdaFunctionConfiguration needs LambdaFunctionArn and Events.",
                              ArgumentName="LambdaFunctionConfiguration")
        for e in events:
            if e not in EVENT_TYPES:
                raise BucketError("InvalidArgument", f"The event is not supported for notifications: {e}",
                                  ArgumentName=str(e))
        if not function_exists(arn):
            raise BucketError("InvalidArgument", "Unable to validate the following destination configurations",
                              ArgumentName=arn, ArgumentValue=arn)
        rules = _rules(cfg)
        item: dict[str, Any] = {"Id": cfg.get("Id") or f"{arn.rsplit(':', 1)[-1]}-{len(out) + 1}",
                                "LambdaFunctionArn": arn, "Events": list(events)}
        if rules:
            item["Filter"] = {"Key": {"FilterRules": [{"Name": n.capitalize(), "Value": v}
                                                      for n, v in rules.items()]}}
        out.append(item)
    for a, b in itertools.combinations(out, 2):  # S3 refuses two rules that could both fire for one event
        ra, rb = _rules(a), _rules(b)
        same_type = any(x == y or (_family(x) == _family(y) and (x.endswith("*") or y.endswith("*")))
                        for x in a["Events"] for y in b["Events"])
        if same_type and _overlap(ra.get("prefix", ""), rb.get("prefix", "")) \
                and _suffix_overlap(ra.get("suffix", ""), rb.get("suffix", "")):
            raise BucketError("InvalidArgument", "Configuration is ambiguously defined. Cannot have overlapping "
                              "suffixes in two rules if the prefixes are overlapping for the same event type.",
                              ArgumentName="Event", ArgumentValue=a["Events"][0])
    return {"LambdaFunctionConfigurations": out} if out else {}


def matches(config: dict[str, Any], change: Change) -> list[tuple[str, str]]:
    """(configuration id, function ARN) of each configuration this change fires."""
    event = "s3:" + change.event
    hits = []
    for cfg in config.get("LambdaFunctionConfigurations", ()):
        if not any(e == event or (e.endswith(":*") and event.startswith(e[:-1])) for e in cfg["Events"]):
            continue
        rules = _rules(cfg)
        if change.key.startswith(rules.get("prefix", "")) and change.key.endswith(rules.get("suffix", "")):
            hits.append((cfg["Id"], cfg["LambdaFunctionArn"]))
    return hits


_seq_lock = threading.Lock()
_last_seq = 0


def sequencer() -> str:
    """Increasing within a process and across restarts (nanosecond clock), hex as S3's."""
    global _last_seq
    with _seq_lock:
        _last_seq = max(_last_seq + 1, time.time_ns())
        return f"{_last_seq:018X}"


def record(change: Change, config_id: str, region: str, when: float, seq: str) -> bytes:
    """S3's event document for one change (one record, as S3 sends)."""
    obj: dict[str, Any] = {"key": quote_plus(change.key, safe="/*"), "sequencer": seq}
    if change.event.startswith("ObjectCreated"):
        obj = {"key": obj["key"], "size": change.size, "eTag": change.etag, "sequencer": seq}
    stamp = datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(when * 1000) % 1000:03d}Z"
    doc = {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": region, "eventTime": stamp,
        "eventName": change.event, "userIdentity": {"principalId": OWNER},
        "requestParameters": {"sourceIPAddress": change.source_ip},
        "responseElements": {"x-amz-request-id": change.request_id or seq[-16:], "x-amz-id-2": seq},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": config_id,
               "bucket": {"name": change.bucket, "ownerIdentity": {"principalId": OWNER},
                          "arn": f"arn:aws:s3:::{change.bucket}"},
               "object": obj}}]}
    return json.dumps(doc, separators=(",", ":")).encode()
