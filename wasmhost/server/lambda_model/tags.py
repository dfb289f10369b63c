"""Tags on functions (``TagResource`` / ``UntagResource`` / ``ListTags``). The
``wasmhost:fuel`` and ``wasmhost:isolation`` tags are this host's own settings,
so changing them redeploys the function."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import invalid
from .names import parse_function

if TYPE_CHECKING:
    from .service import Service

MAX_TAGS = 50


def _function(s: Service, arn: str) -> dict[str, Any]:
    if not arn.startswith("arn:"):
        raise invalid(f"Resource must be a function ARN, not {arn[:200]}")
    name, qual = parse_function(arn)
    if qual:
        raise invalid("Tags apply to a function, not to a version or alias: use the unqualified ARN")
    return s.function_doc(name, for_update=True)


def _save(s: Service, doc: dict[str, Any], old: dict[str, str]) -> None:
    if any(doc["Tags"].get(k) != old.get(k) for k in set(doc["Tags"]) | set(old) if k.startswith("wasmhost:")):
        s.deployer.deploy_all(doc["FunctionName"], doc)
    s.save_function(doc)


def tag_resource(s: Service, p: dict[str, Any]) -> None:
    doc = _function(s, p["Resource"])
    old = dict(doc.get("Tags") or {})
    doc["Tags"] = {**old, **p["Tags"]}
    if len(doc["Tags"]) > MAX_TAGS:
        raise invalid(f"A function can have at most {MAX_TAGS} tags")
    _save(s, doc, old)


def untag_resource(s: Service, p: dict[str, Any]) -> None:
    doc = _function(s, p["Resource"])
    old = dict(doc.get("Tags") or {})
    doc["Tags"] = {k: v for k, v in old.items() if k not in set(p["TagKeys"])}
    _save(s, doc, old)


def list_tags(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    return {"Tags": dict(_function(s, p["Resource"]).get("Tags") or {})}
