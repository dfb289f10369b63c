"""The Lambda model over a ``Host``: functions with configuration, published
versions, weighted aliases, reserved and provisioned concurrency, and durable
asynchronous invocation with retries and failure destinations.

HTTP-free: the Lambda REST API, the plain invoke endpoint and the HTTP triggers
all call this. State lives in the ``Registry``; at start every function and
version is deployed again (compiled artifacts come from the cache).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import dataclasses
import hashlib
import io
import json
import logging
import random
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import FunctionConfig, Host
from ..errors import DeployError, FunctionNotFound, InvocationError, PayloadTooLarge, Throttled, WasmhostError
from ..function import InvokeResult
from ..registry import Registry
from .errors import ApiError, invalid, not_found, validation
from .metrics import Metrics

log = logging.getLogger("wasmhost.server")

ACCOUNT = "000000000000"
WASM_RUNTIMES = ("wasm32", "wasm32-wasi", "provided", "provided.al2", "provided.al2023")
PYTHON_RUNTIMES = ("python3.11", "python3.12", "python3.13", "python3.14")  # CPython 3.14 in the sandbox
NODE_RUNTIMES = ("nodejs18.x", "nodejs20.x", "nodejs22.x")  # StarlingMonkey (componentize-js) in the sandbox
RUNTIMES = WASM_RUNTIMES + PYTHON_RUNTIMES + NODE_RUNTIMES


def is_source_runtime(runtime: str) -> bool:
    """Python and Node.js functions arrive as a zip of sources, not as a module."""
    return runtime.startswith(("python", "nodejs"))
RESERVED_ENV = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
                "AWS_EXECUTION_ENV", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "_HANDLER", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"}
MAX_ZIP = 50 * 1024 * 1024
MAX_UNZIPPED = 262_144_000


def now_str() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())


@dataclass
class Resolved:
    name: str
    version: str  # "$LATEST" or "N": what runs
    key: str  # the Host's function key
    doc: dict


class Service:
    def __init__(self, host: Host, registry: Registry, *, region: str = "us-east-1",
                 default_concurrency: int = 100, async_max_payload: int = 256 * 1024,
                 retry_base_s: float = 60.0) -> None:
        self.host, self.registry, self.region = host, registry, region
        self.default_concurrency = default_concurrency
        self.async_max_payload = async_max_payload
        self.retry_base_s = retry_base_s
        self._wake = asyncio.Event()  # set when there may be an event to run
        self._worker: asyncio.Task | None = None
        self.async_stats = {"accepted": 0, "succeeded": 0, "retried": 0, "failed": 0}
        self.metrics = Metrics()

    # -- names ----------------------------------------------------------------------
    def arn(self, name: str, qualifier: str | None = None) -> str:
        base = f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{name}"
        return f"{base}:{qualifier}" if qualifier and qualifier != "$LATEST" else base

    @staticmethod
    def parse_name(raw: str, qualifier: str | None = None) -> tuple[str, str | None]:
        """``name``, ``name:qual``, ``ACCT:function:name[:qual]`` or a full ARN."""
        parts = raw.split(":")
        if raw.startswith("arn:"):
            parts = parts[6:] if len(parts) >= 7 else []
        elif len(parts) >= 3 and parts[1] == "function":
            parts = parts[2:]
        if not parts or len(parts) > 2 or not parts[0]:
            raise validation(raw, "functionName", "Member must satisfy regular expression pattern: "
                             "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
                             "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?")
        name, qual = parts[0], (parts[1] if len(parts) == 2 else None)
        if qual and qualifier and qual != qualifier:
            raise invalid("The derived qualifier from the function name does not match the specified qualifier.")
        return name, qual or qualifier

    def function_doc(self, name: str, *, for_update: bool = False) -> dict:
        """The stored record; ``for_update`` gives a private copy to change."""
        doc = self.registry.get_function(name)
        if doc is not None and for_update:
            doc = copy.deepcopy(doc)
        if doc is None:
            raise not_found(f"Function not found: {self.arn(name)}")
        return doc

    def resolve(self, raw: str, qualifier: str | None = None, *, route: bool = True) -> Resolved:
        """The version an invocation of ``raw``/``qualifier`` runs (aliases pick by weight)."""
        name, qual = self.parse_name(raw, qualifier)
        doc = self.function_doc(name)
        if qual in (None, "$LATEST"):
            return Resolved(name, "$LATEST", name, doc)
        if qual.isdigit():
            vdoc = self.registry.get_version(name, int(qual))
            if vdoc is None:
                raise not_found(f"Function not found: {self.arn(name, qual)}")
            return Resolved(name, qual, f"{name}:{qual}", vdoc)
        alias = self.registry.get_alias(name, qual)
        if alias is None:
            raise not_found(f"Function not found: {self.arn(name, qual)}")
        version = alias["FunctionVersion"]
        if route:
            for v, weight in (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights", {}).items():
                if random.random() < weight:
                    version = v
                    break
        return self.resolve(name, version)

    # -- configuration --------------------------------------------------------------
    def _host_config(self, doc: dict, version: str, settings: dict) -> FunctionConfig:
        """``doc``: the version's code and configuration; ``settings``: the function
        record, which holds concurrency for all versions."""
        tags = doc.get("Tags") or {}
        reserved = settings.get("_reserved")
        provisioned = (settings.get("_provisioned") or {}).get(version, 0)
        max_conc = reserved if reserved is not None else self.default_concurrency
        try:
            return FunctionConfig(
                memory_mb=min(int(doc["MemorySize"]), 4096), timeout_ms=int(doc["Timeout"]) * 1000,
                fuel=int(tags["wasmhost:fuel"]) if "wasmhost:fuel" in tags else None,
                isolation=tags.get("wasmhost:isolation", "warm"),
                min_warm=min(provisioned, max(max_conc, 0)), max_concurrency=max(max_conc, 1),
                env=dict((doc.get("Environment") or {}).get("Variables") or {}))
        except (ValueError, DeployError) as e:
            raise invalid(str(e)) from None

    def _deploy(self, doc: dict, version: str, settings: dict | None = None) -> None:
        """(Re)deploy one version into the host. Reserved concurrency 0 keeps the
        function deployed but every invocation throttles (checked at invoke)."""
        if settings is None:
            settings = self.registry.get_function(doc["FunctionName"]) or doc
        cfg = self._host_config(doc, version, settings)
        path = self.registry.code_path(doc["_code_sha256"])
        try:
            runtime = doc.get("Runtime", "")
            if is_source_runtime(runtime):  # a zip of sources: unpack, then deploy
                default = "lambda_function.lambda_handler" if runtime.startswith("python") else "index.handler"
                handler = doc.get("Handler") or default
                with tempfile.TemporaryDirectory() as tmp:
                    with zipfile.ZipFile(path) as zf:
                        zf.extractall(tmp)
                    cfg = dataclasses.replace(cfg, handler=handler)
                    target = Path(tmp)
                    if runtime.startswith("nodejs"):  # the handler's module is the file to load
                        module = str(target / handler.rpartition(".")[0])
                        target = next((Path(module + ext) for ext in (".js", ".mjs") if Path(module + ext).exists()),
                                      target)
                    self.host.deploy(doc["FunctionName"], target, cfg, version=version)
            else:
                self.host.deploy(doc["FunctionName"], path, cfg, version=version)
        except DeployError as e:
            raise invalid(f"Could not deploy the function: {e}") from None

    def restore(self) -> int:
        """Deploy every stored function and version; a broken one is logged, not fatal."""
        n = 0
        for doc in self.registry.list_functions():
            for version, vdoc in [("$LATEST", doc)] + [(str(v["Version"]), v)
                                                     for v in self.registry.list_versions(doc["FunctionName"])]:
                try:
                    self._deploy(vdoc, version)
                    n += 1
                except (ApiError, WasmhostError) as e:
                    log.error("could not restore %s:%s: %s", doc["FunctionName"], version, e)
        return n

    @staticmethod
    def _open_zip(data: bytes) -> zipfile.ZipFile:
        """An uploaded zip, checked as Lambda checks it: its size zipped and unzipped,
        and (ours) that no member would land outside the folder it is unpacked into."""
        if len(data) > MAX_ZIP:
            raise ApiError(413, "RequestEntityTooLargeException", f"Zipped size must be smaller than {MAX_ZIP} bytes")
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise invalid("Could not unzip uploaded file. Please check your file, then try to upload again.") from None
        if sum(i.file_size for i in zf.infolist()) > MAX_UNZIPPED:
            raise invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
        if any(n.startswith("/") or ".." in n.split("/") for n in zf.namelist()):
            raise invalid("The zip file has paths outside its root")
        return zf

    @classmethod
    def code_from_zip(cls, data: bytes, runtime: str, handler: str | None) -> bytes:
        """What to store: the module for Wasm runtimes (a bare ``.wasm`` is accepted
        as the "zip"), the checked zip itself for Python and Node.js."""
        if is_source_runtime(runtime):
            cls._open_zip(data).close()
            return data
        if data[:4] == b"\0asm":
            return data
        with cls._open_zip(data) as zf:
            names = zf.namelist()
            if handler and handler in names:
                member = handler
            else:
                wasm = [n for n in names if n.endswith(".wasm")]
                if handler or len(wasm) != 1:
                    raise invalid(f"The handler '{handler}' names no .wasm file in the zip (it has: "
                                  f"{', '.join(names) or 'nothing'})")
                member = wasm[0]
            try:
                return zf.read(member)
            except zipfile.BadZipFile:
                raise invalid("Could not unzip uploaded file. Please check your file, then try to upload "
                              "again.") from None

    def _validate(self, body: dict, creating: bool) -> None:
        if creating:
            name = body.get("FunctionName")
            if not isinstance(name, str) or not name or len(name) > 64 or not all(c.isalnum() or c in "-_" for c in name):
                raise validation(name, "functionName", "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+")
        if "Runtime" in body and body["Runtime"] not in RUNTIMES:
            raise invalid(f"The runtime parameter of {body['Runtime']} is not supported by this host; use one of "
                          f"{', '.join(RUNTIMES)}")
        if "Timeout" in body and not (isinstance(body["Timeout"], int) and 1 <= body["Timeout"] <= 900):
            raise validation(body["Timeout"], "timeout", "Member must have value less than or equal to 900")
        if "MemorySize" in body and not (isinstance(body["MemorySize"], int) and 128 <= body["MemorySize"] <= 10240):
            raise validation(body["MemorySize"], "memorySize",
                             "Member must have value between 128 and 10240 (wasm memory is capped at 4096)")
        if "Handler" in body and (not isinstance(body["Handler"], str) or len(body["Handler"]) > 128
                                  or any(c.isspace() for c in body["Handler"])):
            raise validation(body["Handler"], "handler", "Member must satisfy regular expression pattern: [^\\s]+")
        if "Description" in body and len(str(body["Description"])) > 256:
            raise validation("...", "description", "Member must have length less than or equal to 256")
        env = (body.get("Environment") or {}).get("Variables") or {}
        bad = sorted(set(env) & RESERVED_ENV)
        if bad:
            raise invalid("Lambda was unable to configure your environment variables because the environment "
                          "variables you have provided contains reserved keys that are currently not supported "
                          f"for modification. Reserved keys used in this request: {', '.join(bad)}")
        if len(json.dumps(env)) > 4096:
            raise invalid("Lambda was unable to configure your environment variables because the environment "
                          "variables you have provided exceeded the 4KB limit.")

    def configuration(self, doc: dict, version: str = "$LATEST") -> dict:
        out = {k: v for k, v in doc.items() if not k.startswith("_")}
        out["FunctionArn"] = self.arn(doc["FunctionName"], version)
        out["Version"] = version
        out.setdefault("State", "Active")
        out.setdefault("LastUpdateStatus", "Successful")
        out.setdefault("PackageType", "Zip")
        out.setdefault("Architectures", ["x86_64"])
        out.setdefault("EphemeralStorage", {"Size": 512})
        if not (out.get("Environment") or {}).get("Variables"):
            out.pop("Environment", None)
        out.pop("Tags", None)
        return out

    # -- operations -----------------------------------------------------------------
    def create_function(self, body: dict) -> dict:
        self._validate(body, creating=True)
        name = body["FunctionName"]
        if self.registry.get_function(name) is not None:
            raise ApiError(409, "ResourceConflictException", f"Function already exist: {name}")
        code = body.get("Code") or {}
        if "ZipFile" not in code:
            raise invalid("Only Code.ZipFile is supported by this host (no S3 or container images)")
        zip_bytes = _b64(code["ZipFile"])
        wasm = self.code_from_zip(zip_bytes, body.get("Runtime", "wasm32"), body.get("Handler"))
        doc = {
            "FunctionName": name, "Runtime": body.get("Runtime", "wasm32"), "Role": body.get("Role", ""),
            "Handler": body.get("Handler", ""), "Description": body.get("Description", ""),
            "Timeout": body.get("Timeout", 3), "MemorySize": body.get("MemorySize", 128),
            "Environment": {"Variables": (body.get("Environment") or {}).get("Variables") or {}},
            "CodeSize": len(zip_bytes), "CodeSha256": base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode(),
            "RevisionId": str(uuid.uuid4()), "LastModified": now_str(), "Tags": body.get("Tags") or {},
            "_code_sha256": self.registry.put_code(wasm), "_next_version": 1,
        }
        self._deploy(doc, "$LATEST", doc)  # a module that cannot run fails here, before it is stored
        self.registry.put_function(name, doc)
        if body.get("Publish"):
            return self.publish_version(name, {})
        return self.configuration(doc)

    def _check_revision(self, doc: dict, body: dict) -> None:
        rid = body.get("RevisionId")
        if rid and rid != doc["RevisionId"]:
            raise ApiError(412, "PreconditionFailedException",
                           "The Revision Id provided does not match the latest Revision Id. "
                           "Call the GetFunction/GetAlias API to retrieve the latest Revision Id")

    def update_code(self, raw: str, body: dict) -> dict:
        name, _ = self.parse_name(raw)
        doc = self.function_doc(name)
        self._check_revision(doc, body)
        if "ZipFile" not in body:
            raise invalid("Only ZipFile is supported by this host (no S3 or container images)")
        zip_bytes = _b64(body["ZipFile"])
        wasm = self.code_from_zip(zip_bytes, doc.get("Runtime", "wasm32"), doc.get("Handler"))
        new = dict(doc, CodeSize=len(zip_bytes), _code_sha256=self.registry.put_code(wasm),
                   CodeSha256=base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode(),
                   RevisionId=str(uuid.uuid4()), LastModified=now_str())
        if body.get("DryRun"):
            return self.configuration(new)
        self._deploy(new, "$LATEST", new)
        self.registry.put_function(name, new)
        if body.get("Publish"):
            return self.publish_version(name, {})
        return self.configuration(new)

    def update_configuration(self, raw: str, body: dict) -> dict:
        name, _ = self.parse_name(raw)
        doc = self.function_doc(name)
        self._validate(body, creating=False)
        self._check_revision(doc, body)
        new = dict(doc, RevisionId=str(uuid.uuid4()), LastModified=now_str())
        for key in ("Runtime", "Role", "Handler", "Description", "Timeout", "MemorySize"):
            if key in body:
                new[key] = body[key]
        if "Environment" in body:
            new["Environment"] = {"Variables": (body["Environment"] or {}).get("Variables") or {}}
        self._deploy(new, "$LATEST", new)
        self.registry.put_function(name, new)
        return self.configuration(new)

    def delete_function(self, raw: str, qualifier: str | None) -> None:
        name, qual = self.parse_name(raw, qualifier)
        doc = self.function_doc(name)
        if qual and qual != "$LATEST":
            if not qual.isdigit() or self.registry.get_version(name, int(qual)) is None:
                raise not_found(f"Function not found: {self.arn(name, qual)}")
            self.registry.delete_version(name, int(qual))
            _quietly(self.host.remove, f"{name}:{qual}")
            return
        for v in self.registry.list_versions(name):
            _quietly(self.host.remove, f"{name}:{v['Version']}")
        _quietly(self.host.remove, name)
        self.registry.delete_function(doc["FunctionName"])

    def get_function(self, raw: str, qualifier: str | None) -> dict:
        r = self.resolve(raw, qualifier, route=False)
        out: dict[str, Any] = {"Configuration": self.configuration(r.doc, r.version),
                               "Code": {"RepositoryType": "S3", "Location": ""}}
        if r.doc.get("Tags"):
            out["Tags"] = r.doc["Tags"]
        reserved = self.function_doc(r.name).get("_reserved")
        if reserved is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
        return out

    def list_functions(self) -> list[dict]:
        return [self.configuration(d) for d in self.registry.list_functions()]

    def publish_version(self, raw: str, body: dict) -> dict:
        name, _ = self.parse_name(raw)
        doc = self.function_doc(name)
        self._check_revision(doc, body)
        if body.get("CodeSha256") and body["CodeSha256"] != doc["CodeSha256"]:
            raise invalid("CodeSha256 does not match the function's current code")
        for v in self.registry.list_versions(name):  # unchanged code and config: the existing version
            if all(v.get(k) == doc.get(k) for k in ("_code_sha256", "Timeout", "MemorySize", "Environment",
                                                    "Handler", "Runtime")):
                return self.configuration(v, str(v["Version"]))
        n = doc.get("_next_version", 1)
        vdoc = dict(doc, Version=str(n), Description=body.get("Description", doc.get("Description", "")),
                    LastModified=now_str())
        self._deploy(vdoc, str(n))
        self.registry.put_version(name, n, vdoc)
        self.registry.put_function(name, dict(doc, _next_version=n + 1))
        return self.configuration(vdoc, str(n))

    def list_versions(self, raw: str) -> list[dict]:
        name, _ = self.parse_name(raw)
        doc = self.function_doc(name)
        return [self.configuration(doc)] + [self.configuration(v, str(v["Version"]))
                                            for v in self.registry.list_versions(name)]

    # -- aliases --------------------------------------------------------------------
    def _alias_out(self, name: str, alias: dict) -> dict:
        out = {"AliasArn": self.arn(name, alias["Name"]), **alias}
        if not out.get("RoutingConfig"):
            out.pop("RoutingConfig", None)
        return out

    def _check_alias_body(self, name: str, body: dict) -> None:
        version = body.get("FunctionVersion")
        if version is not None and version != "$LATEST" and (
                not str(version).isdigit() or self.registry.get_version(name, int(version)) is None):
            raise not_found(f"Function not found: {self.arn(name, str(version))}")
        weights = ((body.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})
        for v, w in weights.items():
            if not v.isdigit() or self.registry.get_version(name, int(v)) is None:
                raise invalid(f"Function version {v} used in routing config does not exist")
            if not isinstance(w, (int, float)) or not 0.0 <= w <= 1.0:
                raise validation(w, "routingConfig.additionalVersionWeights", "Member must be between 0.0 and 1.0")
        if sum(weights.values()) > 1.0:
            raise invalid("The sum of the additional version weights must not exceed 1.0")

    def create_alias(self, raw: str, body: dict) -> dict:
        name, _ = self.parse_name(raw)
        self.function_doc(name)
        alias = body.get("Name")
        if not isinstance(alias, str) or not alias or alias.isdigit() or len(alias) > 128 or alias == "$LATEST":
            raise validation(alias, "name", "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
        if self.registry.get_alias(name, alias) is not None:
            raise ApiError(409, "ResourceConflictException", f"Alias already exists: {self.arn(name, alias)}")
        if "FunctionVersion" not in body:
            raise invalid("FunctionVersion is required")
        self._check_alias_body(name, body)
        doc = {"Name": alias, "FunctionVersion": str(body["FunctionVersion"]),
               "Description": body.get("Description", ""), "RoutingConfig": body.get("RoutingConfig") or {},
               "RevisionId": str(uuid.uuid4())}
        self.registry.put_alias(name, alias, doc)
        return self._alias_out(name, doc)

    def get_alias(self, raw: str, alias: str) -> dict:
        name, _ = self.parse_name(raw)
        self.function_doc(name)
        doc = self.registry.get_alias(name, alias)
        if doc is None:
            raise not_found(f"Cannot find alias arn: {self.arn(name, alias)}")
        return self._alias_out(name, doc)

    def update_alias(self, raw: str, alias: str, body: dict) -> dict:
        name, _ = self.parse_name(raw)
        current = self.get_alias(name, alias)
        if body.get("RevisionId") and body["RevisionId"] != current["RevisionId"]:
            raise ApiError(412, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id.")
        self._check_alias_body(name, body)
        doc = {k: current[k] for k in ("Name", "FunctionVersion", "Description") if k in current}
        doc["RoutingConfig"] = current.get("RoutingConfig") or {}
        for k in ("FunctionVersion", "Description", "RoutingConfig"):
            if k in body:
                doc[k] = str(body[k]) if k == "FunctionVersion" else body[k]
        doc["RevisionId"] = str(uuid.uuid4())
        self.registry.put_alias(name, alias, doc)
        return self._alias_out(name, doc)

    def delete_alias(self, raw: str, alias: str) -> None:
        name, _ = self.parse_name(raw)
        self.get_alias(name, alias)
        self.registry.delete_alias(name, alias)

    def list_aliases(self, raw: str, version: str | None) -> list[dict]:
        name, _ = self.parse_name(raw)
        self.function_doc(name)
        return [self._alias_out(name, a) for a in self.registry.list_aliases(name)
                if version is None or a["FunctionVersion"] == version]

    # -- concurrency and async settings --------------------------------------------
    def _redeploy_all(self, name: str, doc: dict) -> None:
        """After a concurrency change (``doc`` is the changed, not yet stored record)."""
        self._deploy(doc, "$LATEST", doc)
        for v in self.registry.list_versions(name):
            self._deploy(v, str(v["Version"]), doc)

    def put_concurrency(self, raw: str, body: dict) -> dict:
        name, _ = self.parse_name(raw)
        doc = self.function_doc(name, for_update=True)
        n = body.get("ReservedConcurrentExecutions")
        if not isinstance(n, int) or not 0 <= n <= 1000:
            raise validation(n, "reservedConcurrentExecutions", "Member must be between 0 and 1000")
        doc["_reserved"] = n
        self._redeploy_all(name, doc)
        self.registry.put_function(name, doc)
        return {"ReservedConcurrentExecutions": n}

    def get_concurrency(self, raw: str) -> dict:
        name, _ = self.parse_name(raw)
        n = self.function_doc(name).get("_reserved")
        return {} if n is None else {"ReservedConcurrentExecutions": n}

    def delete_concurrency(self, raw: str) -> None:
        name, _ = self.parse_name(raw)
        doc = self.function_doc(name, for_update=True)
        doc.pop("_reserved", None)
        self._redeploy_all(name, doc)
        self.registry.put_function(name, doc)

    def put_provisioned(self, raw: str, qualifier: str | None, body: dict) -> dict:
        name, qual = self.parse_name(raw, qualifier)
        if not qual:
            raise invalid("Qualifier is required for provisioned concurrency")
        if qual == "$LATEST":
            raise invalid("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        r = self.resolve(name, qual, route=False)
        n = body.get("ProvisionedConcurrentExecutions")
        if not isinstance(n, int) or n < 1:
            raise validation(n, "provisionedConcurrentExecutions", "Member must have value greater than or equal to 1")
        doc = self.function_doc(name, for_update=True)
        reserved = doc.get("_reserved")
        if n > (reserved if reserved is not None else self.default_concurrency):
            raise invalid(f"Requested Provisioned Concurrency should not be greater than the reserved concurrency "
                          f"({reserved if reserved is not None else self.default_concurrency})")
        doc.setdefault("_provisioned", {})[r.version] = n
        self._deploy(r.doc, r.version, doc)
        self.registry.put_function(name, doc)
        return {"RequestedProvisionedConcurrentExecutions": n, "AvailableProvisionedConcurrentExecutions": n,
                "AllocatedProvisionedConcurrentExecutions": n, "Status": "READY", "LastModified": now_str()}

    def put_event_invoke_config(self, raw: str, qualifier: str | None, body: dict) -> dict:
        name, _ = self.parse_name(raw, qualifier)
        doc = self.function_doc(name, for_update=True)
        retries = body.get("MaximumRetryAttempts", 2)
        age = body.get("MaximumEventAgeInSeconds", 21600)
        if not isinstance(retries, int) or not 0 <= retries <= 2:
            raise validation(retries, "maximumRetryAttempts", "Member must have value less than or equal to 2")
        if not isinstance(age, int) or not 60 <= age <= 21600:
            raise validation(age, "maximumEventAgeInSeconds", "Member must have value between 60 and 21600")
        dest = body.get("DestinationConfig") or {}
        for kind in ("OnSuccess", "OnFailure"):
            target = (dest.get(kind) or {}).get("Destination")
            if target:
                try:
                    self.resolve(target, route=False)
                except ApiError:
                    raise invalid(f"The destination {target} is not a function of this host") from None
        doc["_event_invoke"] = {"MaximumRetryAttempts": retries, "MaximumEventAgeInSeconds": age,
                                "DestinationConfig": dest, "LastModified": time.time()}
        self.registry.put_function(name, doc)
        return self.get_event_invoke_config(name)

    def get_event_invoke_config(self, raw: str) -> dict:
        name, _ = self.parse_name(raw)
        cfg = self.function_doc(name).get("_event_invoke")
        if cfg is None:
            raise not_found(f"The function {self.arn(name)} doesn't have an EventInvokeConfig")
        return {"FunctionArn": self.arn(name), **cfg}

    # -- invocation -----------------------------------------------------------------
    def check_throttle(self, r: Resolved) -> None:
        doc = r.doc if r.version == "$LATEST" else self.function_doc(r.name)
        if doc.get("_reserved") == 0:
            raise ApiError(429, "TooManyRequestsException", "Rate Exceeded.",
                           Reason="ReservedFunctionConcurrentInvocationLimitExceeded")

    async def invoke(self, r: Resolved, payload: bytes) -> InvokeResult:
        """Every front end's invocation goes through here, so the metrics see them all
        and the host's refusals become Lambda's errors in one place. A function's
        failure stays an InvocationError: it is an answer, not an API error."""
        try:
            self.check_throttle(r)
            res = await self.host.ainvoke(r.key, payload)
        except FunctionNotFound:
            raise not_found(f"Function not found: {self.arn(r.name, r.version)}") from None
        except InvocationError as e:
            if e.report is not None:
                self.metrics.observe(e.report)
            raise
        except Throttled as e:
            self.metrics.throttle(r.name)
            raise ApiError(429, "TooManyRequestsException", "Rate Exceeded.", Reason=e.reason) from None
        except PayloadTooLarge as e:
            raise ApiError(413, "RequestEntityTooLargeException", str(e)) from None
        except ApiError as e:
            if e.status == 429:
                self.metrics.throttle(r.name)
            raise
        self.metrics.observe(res.report)
        return res

    def accept_event(self, r: Resolved, payload: bytes, request_id: str) -> None:
        if len(payload) > self.async_max_payload:
            raise ApiError(413, "RequestEntityTooLargeException",
                           f"Request must be smaller than {self.async_max_payload} bytes for the InvokeAsync operation")
        qualifier = None if r.key == r.name else r.version  # throttles are retried by the worker
        self.registry.enqueue(r.name, qualifier, payload, request_id)
        self.async_stats["accepted"] += 1
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def start_worker(self) -> None:
        self._worker = asyncio.get_running_loop().create_task(self._work())

    async def stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass

    async def _work(self) -> None:
        """Run accepted events, oldest due first; retry with exponential backoff."""
        while True:
            events = self.registry.due_events()
            if events:
                await asyncio.gather(*(self._run_event(e) for e in events))
                continue
            nxt = self.registry.next_event_at()
            timeout = 1.0 if nxt is None else max(0.0, min(1.0, nxt - time.time()))
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except asyncio.TimeoutError:
                pass

    async def _run_event(self, event: dict) -> None:
        attempts = event["attempts"] + 1
        doc = self.registry.get_function(event["function"])
        if doc is None:  # the function was deleted: keep the event where it can be seen
            self.registry.dead_letter(event, attempts - 1, "function no longer exists")
            return
        cfg = doc.get("_event_invoke") or {}
        max_retries = cfg.get("MaximumRetryAttempts", 2)
        max_age = cfg.get("MaximumEventAgeInSeconds", 21600)
        try:
            r = self.resolve(event["function"], event["qualifier"])
            res = await self.invoke(r, event["payload"])
        except (InvocationError, ApiError, WasmhostError) as e:
            error = _error_doc(e)
            too_old = time.time() - event["created_at"] > max_age
            if _throttled(e) and not too_old:  # as Lambda: throttles are retried, not counted as attempts
                self.registry.retry_event(event["id"], attempts - 1, self.retry_base_s, json.dumps(error))
                return
            if attempts <= max_retries and not too_old and not _permanent(e):
                self.async_stats["retried"] += 1
                self.registry.retry_event(event["id"], attempts, self.retry_base_s * 2 ** (attempts - 1),
                                          json.dumps(error))
                return
            self.async_stats["failed"] += 1
            await self._on_failure(event, attempts, error, cfg, "RetriesExhausted" if not too_old else "EventAgeExceeded")
            return
        self.async_stats["succeeded"] += 1
        target = ((cfg.get("DestinationConfig") or {}).get("OnSuccess") or {}).get("Destination")
        if target:
            self._send_record(target, event, attempts, "Success", None, res.payload, r.version)
        self.registry.finish_event(event["id"])

    async def _on_failure(self, event: dict, attempts: int, error: dict, cfg: dict, condition: str) -> None:
        target = ((cfg.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if target:
            try:
                self._send_record(target, event, attempts, condition, error, json.dumps(error).encode(), None)
                self.registry.finish_event(event["id"])
                return
            except ApiError as e:
                log.error("on-failure destination %s unusable (%s): dead-lettering", target, e.message)
        self.registry.dead_letter(event, attempts, json.dumps(error))

    def _send_record(self, target: str, event: dict, attempts: int, condition: str, error: dict | None,
                     response: bytes, version: str | None) -> None:
        """A Lambda destination record, as an event for the target function."""
        try:
            request_payload: Any = json.loads(event["payload"] or b"{}")
        except ValueError:
            request_payload = base64.b64encode(event["payload"]).decode()
        try:
            response_payload: Any = json.loads(response) if response else None
        except ValueError:
            response_payload = base64.b64encode(response).decode()
        record = {"version": "1.0", "timestamp": now_str(),
                  "requestContext": {"requestId": event["request_id"],
                                     "functionArn": self.arn(event["function"], event["qualifier"]),
                                     "condition": condition, "approximateInvokeCount": attempts},
                  "requestPayload": request_payload,
                  "responseContext": {"statusCode": 200, "executedVersion": version or "$LATEST",
                                      **({"functionError": "Unhandled"} if error else {})},
                  "responsePayload": response_payload}
        r = self.resolve(target)
        self.registry.enqueue(r.name, None if r.key == r.name else r.version, json.dumps(record).encode(),
                              str(uuid.uuid4()))
        self._wake.set()


def _b64(value: Any) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (ValueError, TypeError):
        raise invalid("ZipFile must be base64-encoded bytes") from None


def _quietly(fn, *args) -> None:
    try:
        fn(*args)
    except FunctionNotFound:
        pass


def _throttled(e: Exception) -> bool:
    return isinstance(e, ApiError) and e.status == 429  # Service.invoke turns Throttled into this


def _permanent(e: Exception) -> bool:
    """Errors that a retry cannot fix."""
    return isinstance(e, ApiError) and e.status in (400, 404, 413)


def _error_doc(e: Exception) -> dict:
    if isinstance(e, InvocationError):
        return e.to_lambda()
    if isinstance(e, ApiError):
        return {"errorType": e.code, "errorMessage": e.message}
    return {"errorType": type(e).__name__, "errorMessage": str(e)}
