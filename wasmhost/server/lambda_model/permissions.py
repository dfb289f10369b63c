"""A function's resource-based policy (``AddPermission`` / ``RemovePermission``
/ ``GetPolicy``), kept per qualifier in IAM's JSON as Lambda returns it. Tools
that wire triggers (SAM, Serverless, CDK) call these; this host records the
statements but authorizes callers by its own keys (auth.py), not by policy."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from ..errors import ApiError, not_found
from .service import check_revision

if TYPE_CHECKING:
    from .service import Service


def _principal(value: str) -> dict[str, str]:
    if value == "*":
        return {"AWS": "*"}
    if value.endswith(".amazonaws.com") or value.endswith(".amazonaws.com.cn"):
        return {"Service": value}
    if value.isdigit():
        return {"AWS": f"arn:aws:iam::{value}:root"}
    return {"AWS": value}


def _policy(s: Service, doc: dict[str, Any], qual: str) -> dict[str, Any]:
    return (doc.get("_policy") or {}).get(qual) or {"Statement": [], "RevisionId": doc["RevisionId"]}


def add_permission(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, qual, doc = s.target(p["FunctionName"], p.get("Qualifier"), for_update=True)
    policy = _policy(s, doc, qual)
    check_revision(policy["RevisionId"], p.get("RevisionId"), "GetPolicy")
    if any(st["Sid"] == p["StatementId"] for st in policy["Statement"]):
        raise ApiError(409, "ResourceConflictException",
                       f"The statement id ({p['StatementId']}) provided already exists. Please provide a new "
                       "statement id, or remove the existing statement.")
    action = p["Action"]
    statement: dict[str, Any] = {"Sid": p["StatementId"], "Effect": "Allow", "Principal": _principal(p["Principal"]),
                                 "Action": action if action.startswith("lambda:") else f"lambda:{action}",
                                 "Resource": s.arn(name, qual)}
    condition: dict[str, dict[str, str]] = {}
    if p.get("SourceArn"):
        condition.setdefault("ArnLike", {})["AWS:SourceArn"] = p["SourceArn"]
    if p.get("SourceAccount"):
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = p["SourceAccount"]
    if p.get("PrincipalOrgID"):
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = p["PrincipalOrgID"]
    if p.get("FunctionUrlAuthType"):
        condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = p["FunctionUrlAuthType"]
    if p.get("EventSourceToken"):
        condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = p["EventSourceToken"]
    if condition:
        statement["Condition"] = condition
    policy = {"Statement": policy["Statement"] + [statement], "RevisionId": str(uuid.uuid4())}
    doc.setdefault("_policy", {})[qual] = policy
    s.save_function(doc)
    return {"Statement": json.dumps(statement)}


def remove_permission(s: Service, p: dict[str, Any]) -> None:
    name, qual, doc = s.target(p["FunctionName"], p.get("Qualifier"), for_update=True)
    policy = _policy(s, doc, qual)
    check_revision(policy["RevisionId"], p.get("RevisionId"), "GetPolicy")
    kept = [st for st in policy["Statement"] if st["Sid"] != p["StatementId"]]
    if len(kept) == len(policy["Statement"]):
        raise not_found("The resource you requested does not exist.")
    doc.setdefault("_policy", {})[qual] = {"Statement": kept, "RevisionId": str(uuid.uuid4())}
    s.save_function(doc)


def get_policy(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, qual, doc = s.target(p["FunctionName"], p.get("Qualifier"), for_update=True)
    policy = _policy(s, doc, qual)
    if not policy["Statement"]:
        raise not_found("The resource you requested does not exist.")
    text = {"Version": "2012-10-17", "Id": "default", "Statement": policy["Statement"]}
    return {"Policy": json.dumps(text), "RevisionId": policy["RevisionId"]}
