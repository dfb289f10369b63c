"""Aliases: a name for a version, optionally splitting traffic with a second
one by weight (``RoutingConfig.AdditionalVersionWeights``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ..errors import ApiError, invalid, not_found
from .names import LATEST, is_version, parse_function
from .paging import page
from .service import check_revision

if TYPE_CHECKING:
    from .service import Service


def _out(s: Service, name: str, alias: dict[str, Any]) -> dict[str, Any]:
    out = {"AliasArn": s.arn(name, alias["Name"]), **alias}
    if not out.get("RoutingConfig"):
        out.pop("RoutingConfig", None)
    return out


def _function(s: Service, p: dict[str, Any]) -> str:
    name, _ = parse_function(p["FunctionName"])
    s.function_doc(name)
    return name


def _check(s: Service, name: str, p: dict[str, Any]) -> None:
    version = p.get("FunctionVersion")
    if version is not None and version != LATEST and (
            not is_version(version) or s.registry.get_version(name, int(version)) is None):
        raise not_found(f"Function not found: {s.arn(name, version)}")
    weights = (p.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    if len(weights) > 1:
        raise invalid("Only one additional version may be used in a routing config")
    for v in weights:
        if not is_version(v) or s.registry.get_version(name, int(v)) is None:
            raise invalid(f"Function version {v} used in routing config does not exist")
        if v == version:
            raise invalid("The additional version must differ from the alias's FunctionVersion")
    if sum(weights.values()) > 1.0:
        raise invalid("The sum of the additional version weights must not exceed 1.0")


def _get(s: Service, name: str, alias: str) -> dict[str, Any]:
    doc = s.registry.get_alias(name, alias)
    if doc is None:
        raise not_found(f"Cannot find alias arn: {s.arn(name, alias)}")
    return doc


def create_alias(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name = _function(s, p)
    alias = p["Name"]
    if alias == LATEST:
        raise invalid("$LATEST cannot be an alias name")
    if s.registry.get_alias(name, alias) is not None:
        raise ApiError(409, "ResourceConflictException", f"Alias already exists: {s.arn(name, alias)}")
    _check(s, name, p)
    doc = {"Name": alias, "FunctionVersion": p["FunctionVersion"], "Description": p.get("Description", ""),
           "RoutingConfig": p.get("RoutingConfig") or {}, "RevisionId": str(uuid.uuid4())}
    s.registry.put_alias(name, alias, doc)
    s.refresh()
    return _out(s, name, doc)


def get_alias(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name = _function(s, p)
    return _out(s, name, _get(s, name, p["Name"]))


def update_alias(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name = _function(s, p)
    current = _get(s, name, p["Name"])
    check_revision(current["RevisionId"], p.get("RevisionId"))
    merged = dict(current)
    merged.update({k: p[k] for k in ("FunctionVersion", "Description", "RoutingConfig") if k in p})
    _check(s, name, merged)
    merged["RevisionId"] = str(uuid.uuid4())
    s.registry.put_alias(name, p["Name"], merged)
    s.refresh()
    return _out(s, name, merged)


def delete_alias(s: Service, p: dict[str, Any]) -> None:
    name = _function(s, p)
    _get(s, name, p["Name"])
    s.registry.delete_alias(name, p["Name"])
    s.refresh()


def list_aliases(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name = _function(s, p)
    version = p.get("FunctionVersion")
    items = [_out(s, name, a) for a in s.registry.list_aliases(name) if version is None or a["FunctionVersion"] == version]
    return page(items, p, "Aliases")
