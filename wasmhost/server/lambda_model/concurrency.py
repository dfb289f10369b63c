"""Concurrency: a function's reserved concurrency (its ceiling; 0 throttles
every invocation), provisioned concurrency per version (instances kept warm),
and the account's limits they draw on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ApiError, invalid
from .names import LATEST, now_str, parse_function
from .paging import page

if TYPE_CHECKING:
    from .service import Service

ACCOUNT_LIMIT = 1000  # what GetAccountSettings reports; reserved concurrency may not exceed it


def put_function_concurrency(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, _ = parse_function(p["FunctionName"])
    doc = s.function_doc(name, for_update=True)
    n = p["ReservedConcurrentExecutions"]
    if n > ACCOUNT_LIMIT:
        raise invalid(f"Specified ReservedConcurrentExecutions for function decreases account's "
                      f"UnreservedConcurrentExecution below its minimum value of [0] (limit {ACCOUNT_LIMIT}).")
    doc["_reserved"] = n
    s.deployer.deploy_all(name, doc)
    s.save_function(doc)
    return {"ReservedConcurrentExecutions": n}


def get_function_concurrency(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, _ = parse_function(p["FunctionName"])
    n = s.function_doc(name).get("_reserved")
    return {} if n is None else {"ReservedConcurrentExecutions": n}


def delete_function_concurrency(s: Service, p: dict[str, Any]) -> None:
    name, _ = parse_function(p["FunctionName"])
    doc = s.function_doc(name, for_update=True)
    doc.pop("_reserved", None)
    s.deployer.deploy_all(name, doc)
    s.save_function(doc)


def _version(s: Service, p: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    name, qual = parse_function(p["FunctionName"], p.get("Qualifier"))
    if not qual:
        raise invalid("Qualifier is required for provisioned concurrency")
    if qual == LATEST:
        raise invalid("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
    r = s.resolve(name, qual, route=False)
    return name, r.version, r.doc


def _config(doc: dict[str, Any], version: str) -> dict[str, Any] | None:
    n = (doc.get("_provisioned") or {}).get(version)
    if not n:
        return None
    return {"RequestedProvisionedConcurrentExecutions": n, "AvailableProvisionedConcurrentExecutions": n,
            "AllocatedProvisionedConcurrentExecutions": n, "Status": "READY",
            "LastModified": (doc.get("_provisioned_at") or {}).get(version, "")}


def put_provisioned_concurrency_config(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, version, vdoc = _version(s, p)
    n = p["ProvisionedConcurrentExecutions"]
    doc = s.function_doc(name, for_update=True)
    reserved = doc.get("_reserved")
    ceiling = reserved if reserved is not None else s.default_concurrency
    if n > ceiling:
        raise invalid(f"Requested Provisioned Concurrency should not be greater than the reserved concurrency "
                      f"({ceiling})")
    doc.setdefault("_provisioned", {})[version] = n
    doc.setdefault("_provisioned_at", {})[version] = now_str()
    s.deployer.deploy(vdoc, version, doc)
    s.save_function(doc)
    out = _config(doc, version)
    assert out is not None
    return out


def get_provisioned_concurrency_config(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, version, _ = _version(s, p)
    out = _config(s.function_doc(name), version)
    if out is None:
        raise ApiError(404, "ProvisionedConcurrencyConfigNotFoundException",
                       f"No Provisioned Concurrency Config found for this function: {s.arn(name, version)}")
    return out


def delete_provisioned_concurrency_config(s: Service, p: dict[str, Any]) -> None:
    name, version, vdoc = _version(s, p)
    doc = s.function_doc(name, for_update=True)
    if not (doc.get("_provisioned") or {}).pop(version, None):
        raise ApiError(404, "ProvisionedConcurrencyConfigNotFoundException",
                       f"No Provisioned Concurrency Config found for this function: {s.arn(name, version)}")
    (doc.get("_provisioned_at") or {}).pop(version, None)
    s.deployer.deploy(vdoc, version, doc)
    s.save_function(doc)


def list_provisioned_concurrency_configs(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, _ = parse_function(p["FunctionName"])
    doc = s.function_doc(name)
    items = []
    for version in sorted(doc.get("_provisioned") or {}, key=int):
        cfg = _config(doc, version)
        if cfg is not None:
            items.append({"FunctionArn": s.arn(name, version), **cfg})
    return page(items, p, "ProvisionedConcurrencyConfigs")


def get_account_settings(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    functions = s.registry.list_functions()
    reserved = sum(d.get("_reserved") or 0 for d in functions)
    code = sum(d.get("CodeSize", 0) for d in functions) + sum(
        v.get("CodeSize", 0) for d in functions for v in s.registry.list_versions(d["FunctionName"]))
    return {"AccountLimit": {"TotalCodeSize": 80 * 1024 ** 3, "CodeSizeUnzipped": 262_144_000,
                             "CodeSizeZipped": 52_428_800, "ConcurrentExecutions": ACCOUNT_LIMIT,
                             "UnreservedConcurrentExecutions": max(ACCOUNT_LIMIT - reserved, 0)},
            "AccountUsage": {"TotalCodeSize": code, "FunctionCount": len(functions)}}
