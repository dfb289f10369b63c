"""Asynchronous invocation settings per function, version or alias: retries,
maximum event age, and the OnSuccess / OnFailure destinations (functions of
this host). events.py reads them for every event it runs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..errors import invalid, not_found
from .names import LATEST, parse_function
from .paging import page

if TYPE_CHECKING:
    from .service import Service

DEFAULTS: dict[str, Any] = {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 21600}


def _out(s: Service, name: str, qual: str, cfg: dict[str, Any]) -> dict[str, Any]:
    return {"FunctionArn": s.arn(name, qual), **cfg}


def _check_destinations(s: Service, dest: dict[str, Any]) -> None:
    for kind in ("OnSuccess", "OnFailure"):
        target = (dest.get(kind) or {}).get("Destination")
        if target and str(target).startswith("arn:aws:sqs:") and s.destination_queues is not None:
            if not s.destination_queues.exists(target):
                raise invalid(f"The destination {target} is not a queue of this host")
        elif target:
            try:
                s.resolve(target, route=False)
            except Exception:
                raise invalid(f"The destination {target} is not a function of this host (Lambda "
                              "functions and SQS queues can be destinations)") from None


def _write(s: Service, p: dict[str, Any], merge: bool) -> dict[str, Any]:
    name, qual, doc = s.target(p["FunctionName"], p.get("Qualifier"), for_update=True)
    configs = doc.setdefault("_invoke_configs", {})
    cfg = dict(configs.get(qual) or DEFAULTS) if merge else dict(DEFAULTS)
    cfg.update({k: p[k] for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
                if k in p})
    _check_destinations(s, cfg.get("DestinationConfig") or {})
    cfg["LastModified"] = time.time()
    configs[qual] = cfg
    doc.pop("_event_invoke", None)  # the single, unqualified config of earlier versions
    s.save_function(doc)
    return _out(s, name, qual, cfg)


def put_function_event_invoke_config(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    return _write(s, p, merge=False)


def update_function_event_invoke_config(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    return _write(s, p, merge=True)


def get_function_event_invoke_config(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, qual, doc = s.target(p["FunctionName"], p.get("Qualifier"))
    cfg = (doc.get("_invoke_configs") or {}).get(qual) or (doc.get("_event_invoke") if qual == LATEST else None)
    if cfg is None:
        raise not_found(f"The function {s.arn(name, qual)} doesn't have an EventInvokeConfig")
    return _out(s, name, qual, cfg)


def delete_function_event_invoke_config(s: Service, p: dict[str, Any]) -> None:
    get_function_event_invoke_config(s, p)
    name, qual, doc = s.target(p["FunctionName"], p.get("Qualifier"), for_update=True)
    (doc.get("_invoke_configs") or {}).pop(qual, None)
    if qual == LATEST:
        doc.pop("_event_invoke", None)
    s.save_function(doc)


def list_function_event_invoke_configs(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, _ = parse_function(p["FunctionName"])
    doc = s.function_doc(name)
    configs = dict(doc.get("_invoke_configs") or {})
    if doc.get("_event_invoke") and LATEST not in configs:
        configs[LATEST] = doc["_event_invoke"]
    items = [_out(s, name, q, c) for q, c in sorted(configs.items())]
    return page(items, p, "FunctionEventInvokeConfigs")
