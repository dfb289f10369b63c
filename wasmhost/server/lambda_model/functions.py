"""Functions and their published versions: create, read, update, delete, list,
publish. Every setting a client may send is honoured, or accepted because it
means nothing for a Wasm function (``Architectures``: a module runs on either),
or refused with a clear error: never stored and silently ignored."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any, Callable

from ..errors import ApiError, invalid, not_found
from . import code_links, packaging
from .names import LATEST, is_version, now_str, parse_function, parse_layer_version_arn
from .paging import page
from .service import check_revision

if TYPE_CHECKING:
    from .service import Service

WASM_RUNTIMES = ("wasm32", "wasm32-wasi", "provided", "provided.al2", "provided.al2023")
# CPython 3.14 in the sandbox; 3.9 and 3.10 are still in use (SAM and Serverless templates name them)
PYTHON_RUNTIMES = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
RETIRED_PYTHON = ("python2.7", "python3.6", "python3.7", "python3.8")  # Lambda refuses them: created no more
NODE_RUNTIMES = ("nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x")  # StarlingMonkey (componentize-js) in the sandbox
RUNTIMES = WASM_RUNTIMES + PYTHON_RUNTIMES + NODE_RUNTIMES
RESERVED_ENV = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
                "AWS_EXECUTION_ENV", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "_HANDLER", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_LAMBDA_RUNTIME_API",
                "AWS_LAMBDA_INITIALIZATION_TYPE", "_X_AMZN_TRACE_ID", "AWS_ACCESS_KEY"}
MAX_LAYERS = 5
# Stored and echoed as given. Everything else a request may carry is in REFUSED or named below.
CONFIG_KEYS = ("Runtime", "Role", "Handler", "Description", "Timeout", "MemorySize", "Architectures",
               "EphemeralStorage", "TracingConfig", "LoggingConfig", "SnapStart")
HANDLED = {"FunctionName", "Code", "Publish", "Environment", "Tags", "Layers", "PackageType", "RevisionId", "ZipFile",
           "DryRun", "Qualifier", "PublishTo"} | set(CONFIG_KEYS) | set(packaging.S3_LOCATION)
# A setting this host cannot honour, refused unless it asks for nothing (its harmless values pass).
REFUSED: dict[str, Callable[[Any], bool]] = {
    "PackageType": lambda v: v != "Zip",
    "TracingConfig": lambda v: v.get("Mode", "PassThrough") != "PassThrough",
    "LoggingConfig": lambda v: (v.get("LogFormat", "Text") not in ("Text", "JSON")  # JSON: Python and Node.js
                                or not str(v.get("LogGroup", "/aws/lambda/")).startswith("/aws/lambda/")),
    "SnapStart": lambda v: v.get("ApplyOn", "None") != "None",
    "VpcConfig": lambda v: bool(v.get("SubnetIds") or v.get("SecurityGroupIds")),
    "DeadLetterConfig": lambda v: bool(v.get("TargetArn")),
    "FileSystemConfigs": bool,
    "ImageConfig": bool,
    "KMSKeyArn": bool,
    "CodeSigningConfigArn": bool,
    "ImageUri": bool, "SourceKMSKeyArn": bool,
    "PublishTo": bool,
}


def _refuse_unsupported(body: dict[str, Any]) -> None:
    for key, value in body.items():
        if value is None or value in ({}, [], "", False):
            continue
        if key in REFUSED and REFUSED[key](value) or key not in HANDLED and key not in REFUSED:
            raise invalid(f"{key} is not supported by this host (wasmhost): remove it or use its default")


def _check_settings(s: Service, body: dict[str, Any]) -> None:
    _refuse_unsupported(body)
    if body.get("Runtime") in RETIRED_PYTHON:
        raise invalid(f"The runtime parameter of {body['Runtime']} is no longer supported for creating or updating "
                      "AWS Lambda functions. We recommend you use the new runtime (python3.13) while creating or "
                      "updating functions.")
    if "Runtime" in body and body["Runtime"] not in RUNTIMES:
        raise invalid(f"The runtime parameter of {body['Runtime']} is not supported by this host; use one of "
                      f"{', '.join(RUNTIMES)}")
    env = (body.get("Environment") or {}).get("Variables") or {}
    bad = sorted(set(env) & RESERVED_ENV)
    if bad:
        raise invalid("Lambda was unable to configure your environment variables because the environment "
                      "variables you have provided contains reserved keys that are currently not supported "
                      f"for modification. Reserved keys used in this request: {', '.join(bad)}")
    if len(json.dumps(env)) > 4096:
        raise invalid("Lambda was unable to configure your environment variables because the environment "
                      "variables you have provided exceeded the 4KB limit.")
    layers = body.get("Layers") or []
    if len(layers) > MAX_LAYERS:
        raise invalid(f"Cannot reference more than {MAX_LAYERS} layers.")
    for arn in layers:
        name, version = parse_layer_version_arn(arn)
        if s.registry.get_layer(name, version) is None:
            raise invalid(f"Layer version {arn} does not exist.")


def configuration(s: Service, doc: dict[str, Any], version: str = LATEST) -> dict[str, Any]:
    """A stored record as Lambda's FunctionConfiguration (what waiters and tools read)."""
    out = {k: v for k, v in doc.items() if not k.startswith("_") and k not in ("Tags", "Layers")}
    out["FunctionArn"] = s.arn(doc["FunctionName"], version)
    out["Version"] = version
    out.setdefault("State", "Active")
    out.setdefault("LastUpdateStatus", "Successful")
    out.setdefault("PackageType", "Zip")
    out.setdefault("Architectures", ["x86_64"])
    out.setdefault("EphemeralStorage", {"Size": 512})
    out.setdefault("TracingConfig", {"Mode": "PassThrough"})
    out.setdefault("LoggingConfig", {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{doc['FunctionName']}"})
    if not (out.get("Environment") or {}).get("Variables"):
        out.pop("Environment", None)
    if doc.get("Layers"):
        out["Layers"] = [{"Arn": arn, "CodeSize": (s.registry.get_layer(*parse_layer_version_arn(arn)) or {})
                          .get("Content", {}).get("CodeSize", 0)} for arn in doc["Layers"]]
    return out


def create_function(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, qual = parse_function(p["FunctionName"])
    if qual:
        raise invalid("A function name for CreateFunction cannot carry a qualifier")
    if s.registry.get_function(name) is not None:
        raise ApiError(409, "ResourceConflictException", f"Function already exist: {name}")
    _check_settings(s, p)
    code = p.get("Code") or {}
    _refuse_unsupported(code)
    zip_bytes = packaging.zip_of(code, s.code_objects, "Code.")
    runtime = p.get("Runtime", "wasm32")
    stored = packaging.code_from_zip(zip_bytes, runtime, p.get("Handler"))
    doc: dict[str, Any] = {"FunctionName": name, "Runtime": runtime, "Role": p.get("Role", ""),
                           "Handler": p.get("Handler", ""), "Description": p.get("Description", ""),
                           "Timeout": p.get("Timeout", 3), "MemorySize": p.get("MemorySize", 128)}
    doc.update({k: p[k] for k in CONFIG_KEYS if k in p and k not in doc})
    doc.update({"Environment": {"Variables": (p.get("Environment") or {}).get("Variables") or {}},
                "CodeSize": len(zip_bytes), "CodeSha256": packaging.sha256_b64(zip_bytes),
                "RevisionId": str(uuid.uuid4()), "LastModified": now_str(), "Tags": p.get("Tags") or {},
                "Layers": list(p.get("Layers") or []),
                "_code_sha256": s.registry.put_code(stored), "_next_version": 1, **code_links.stored(s, zip_bytes)})
    s.deployer.deploy(doc, LATEST, doc)  # a module that cannot run fails here, before it is stored
    s.save_function(doc)
    if p.get("Publish"):
        return publish_version(s, {"FunctionName": name})
    return configuration(s, doc)


def get_function(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    r = s.resolve(p["FunctionName"], p.get("Qualifier"), route=False)
    fn = s.function_doc(r.name)
    out: dict[str, Any] = {"Configuration": configuration(s, r.doc, r.version),
                           "Code": {"RepositoryType": "S3", "Location": code_links.location(r.doc, "function", r.name)}}
    if fn.get("Tags"):
        out["Tags"] = fn["Tags"]
    if fn.get("_reserved") is not None:
        out["Concurrency"] = {"ReservedConcurrentExecutions": fn["_reserved"]}
    return out


def get_function_configuration(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    r = s.resolve(p["FunctionName"], p.get("Qualifier"), route=False)
    return configuration(s, r.doc, r.version)


def update_function_code(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, _ = parse_function(p["FunctionName"])
    doc = s.function_doc(name)
    check_revision(doc["RevisionId"], p.get("RevisionId"))
    _refuse_unsupported({k: v for k, v in p.items() if k not in ("FunctionName", "Architectures")})
    zip_bytes = packaging.zip_of(p, s.code_objects, "")
    stored = packaging.code_from_zip(zip_bytes, doc.get("Runtime", "wasm32"), doc.get("Handler"))
    new = dict(doc, CodeSize=len(zip_bytes), _code_sha256=s.registry.put_code(stored),
               CodeSha256=packaging.sha256_b64(zip_bytes), RevisionId=str(uuid.uuid4()), LastModified=now_str())
    if not p.get("DryRun"):
        new.update(code_links.stored(s, zip_bytes))
    if p.get("Architectures"):
        new["Architectures"] = p["Architectures"]
    if p.get("DryRun"):
        return configuration(s, new)
    s.deployer.deploy(new, LATEST, new)
    s.save_function(new)
    if p.get("Publish"):
        return publish_version(s, {"FunctionName": name})
    return configuration(s, new)


def update_function_configuration(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, _ = parse_function(p["FunctionName"])
    doc = s.function_doc(name)
    check_revision(doc["RevisionId"], p.get("RevisionId"))
    _check_settings(s, {k: v for k, v in p.items() if k != "FunctionName"})
    if "Runtime" in p and packaging.is_source_runtime(p["Runtime"]) != packaging.is_source_runtime(doc["Runtime"]):
        raise invalid(f"Cannot change the runtime from {doc['Runtime']} to {p['Runtime']}: the stored code is "
                      f"{'sources' if packaging.is_source_runtime(doc['Runtime']) else 'a Wasm module'}. "
                      "Create a new function instead.")
    new = dict(doc, RevisionId=str(uuid.uuid4()), LastModified=now_str())
    new.update({k: p[k] for k in CONFIG_KEYS if k in p})
    if "Environment" in p:
        new["Environment"] = {"Variables": (p["Environment"] or {}).get("Variables") or {}}
    if "Layers" in p:
        new["Layers"] = list(p["Layers"] or [])
    s.deployer.deploy(new, LATEST, new)
    s.save_function(new)
    return configuration(s, new)


def delete_function(s: Service, p: dict[str, Any]) -> None:
    name, qual = parse_function(p["FunctionName"], p.get("Qualifier"))
    doc = s.function_doc(name)
    if qual and qual != LATEST:
        if not is_version(qual) or s.registry.get_version(name, int(qual)) is None:
            raise not_found(f"Function not found: {s.arn(name, qual)}")
        s.registry.delete_version(name, int(qual))
        s.refresh()
        s.deployer.remove(f"{name}:{qual}")
        return
    for v in s.registry.list_versions(name):
        s.deployer.remove(f"{name}:{v['Version']}")
    s.deployer.remove(name)
    s.registry.delete_function(doc["FunctionName"])
    s.refresh()
    s.metrics.forget(name)


def list_functions(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    items = []
    for doc in s.registry.list_functions():
        items.append(configuration(s, doc))
        if p.get("FunctionVersion") == "ALL":
            items += [configuration(s, v, str(v["Version"])) for v in s.registry.list_versions(doc["FunctionName"])]
    return page(items, p, "Functions")


_SAME_VERSION = ("_code_sha256", "Timeout", "MemorySize", "Environment", "Handler", "Runtime", "Layers")


def publish_version(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, _ = parse_function(p["FunctionName"])
    doc = s.function_doc(name)
    check_revision(doc["RevisionId"], p.get("RevisionId"))
    if p.get("CodeSha256") and p["CodeSha256"] != doc["CodeSha256"]:
        raise invalid("CodeSha256 does not match the function's current code")
    for v in s.registry.list_versions(name):  # unchanged code and config: the existing version
        if all(v.get(k) == doc.get(k) for k in _SAME_VERSION):
            return configuration(s, v, str(v["Version"]))
    n = doc.get("_next_version", 1)
    vdoc = dict(doc, Version=str(n), Description=p.get("Description", doc.get("Description", "")),
                LastModified=now_str(), RevisionId=str(uuid.uuid4()))
    s.deployer.deploy(vdoc, str(n), doc)
    s.registry.put_version(name, n, vdoc)
    s.save_function(dict(doc, _next_version=n + 1))
    return configuration(s, vdoc, str(n))


def list_versions_by_function(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, _ = parse_function(p["FunctionName"])
    doc = s.function_doc(name)
    items = [configuration(s, doc)] + [configuration(s, v, str(v["Version"])) for v in s.registry.list_versions(name)]
    return page(items, p, "Versions")
