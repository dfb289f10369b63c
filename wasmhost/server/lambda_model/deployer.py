"""From a stored function record to a deployed ``Host`` function: Lambda's
settings become a ``FunctionConfig`` (memory, timeout, concurrency, environment,
layers), sources are unpacked for Python and Node.js, and every stored version
is deployed again when the server starts (compiled artifacts come from the cache)."""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ...config import FunctionConfig
from ...errors import DeployError, FunctionNotFound, WasmhostError
from ..capability_tags import FORMAT_TAG, FORMATS, config_from_tags
from ..errors import ApiError, invalid
from . import packaging
from .names import LATEST, parse_layer_version_arn

if TYPE_CHECKING:
    from ...host import Host
    from ...backends.registry import RegistryStore

log = logging.getLogger("wasmhost.server")
MAX_WASM_MEMORY_MB = 4096


class Deployer:
    def __init__(self, host: Host, registry: RegistryStore, default_concurrency: int, region: str = "us-east-1") -> None:
        self.host, self.registry, self.default_concurrency = host, registry, default_concurrency
        self.region = region
        # variables every function gets beneath its own (the server's AWS_ENDPOINT_URL_S3)
        self.base_env: dict[str, str] = {}
        # host key -> what is deployed there (config, code, handler): a cluster node
        # redeploys only what another node's write changed (server/cluster.py)
        self.deployed: dict[str, str] = {}
        # (name, tags, config) -> config: what a front end adds to every function (server/sources/s3_functions.py)
        self.adjusters: list[Callable[[str, dict[str, str], FunctionConfig], FunctionConfig]] = []
        self.function_endpoint: Any = None  # the functions' own AWS endpoints, when installed (s3_functions.py)

    def config(self, doc: dict[str, Any], version: str, settings: dict[str, Any]) -> FunctionConfig:
        """``doc``: the version's code and configuration; ``settings``: the function
        record, which holds concurrency for all versions."""
        tags = settings.get("Tags") or {}
        reserved = settings.get("_reserved")
        provisioned = (settings.get("_provisioned") or {}).get(version, 0)
        max_conc = reserved if reserved is not None else self.default_concurrency
        layers = []
        for arn in doc.get("Layers") or ():
            name, n = parse_layer_version_arn(arn)
            layers.append(str(self.registry.layer_path(name, n)))
        runtime = doc.get("Runtime", "")
        logging_cfg = doc.get("LoggingConfig") or {}
        json_logs = logging_cfg.get("LogFormat") == "JSON"
        if tags.get(FORMAT_TAG, "2.0") not in FORMATS:
            raise invalid(f"Tag {FORMAT_TAG} must be one of {', '.join(FORMATS)} (the API Gateway payload format of "
                          f"the function's HTTP trigger), not {tags[FORMAT_TAG][:100]!r}")
        try:
            cfg = FunctionConfig(
                # the API refuses more than 4096; records stored before it did are capped
                memory_mb=min(int(doc["MemorySize"]), MAX_WASM_MEMORY_MB), timeout_ms=int(doc["Timeout"]) * 1000,
                fuel=int(tags["wasmhost:fuel"]) if "wasmhost:fuel" in tags else None,
                isolation=tags.get("wasmhost:isolation", "warm"),
                min_warm=min(provisioned, max(max_conc, 0)), max_concurrency=max(max_conc, 1),
                env={**self.base_env, **((doc.get("Environment") or {}).get("Variables") or {})}, layers=tuple(layers),
                # Python and Node.js: what their runtime shows the function (issue 11)
                runtime=runtime if packaging.is_source_runtime(runtime) else None, region=self.region,
                ephemeral_mb=int((doc.get("EphemeralStorage") or {}).get("Size", 512)),
                log_format="JSON" if json_logs else "Text",
                log_level=logging_cfg.get("ApplicationLogLevel") if json_logs else None,
                **config_from_tags(tags))  # wasmhost:allowed-hosts, wasmhost:kv-stores (server/capability_tags.py)
            for adjust in self.adjusters:
                cfg = adjust(doc["FunctionName"], tags, cfg)
            return cfg
        except (ValueError, DeployError) as e:
            raise invalid(str(e)) from None

    def deploy(self, doc: dict[str, Any], version: str, settings: dict[str, Any] | None = None,
               load: bool = True) -> None:
        """(Re)deploy one version. Reserved concurrency 0 keeps the function deployed
        but every invocation throttles (the routing table knows). ``load=False``: its
        code is loaded by the first invocation (``Host.deploy``)."""
        if settings is None:
            settings = self.registry.get_function(doc["FunctionName"]) or doc
        cfg = self.config(doc, version, settings)
        path = self.registry.code_path(doc["_code_sha256"])
        runtime = doc.get("Runtime", "")
        key = doc["FunctionName"] if version == LATEST else f"{doc['FunctionName']}:{version}"
        self.deployed.pop(key, None)
        try:
            if not packaging.is_source_runtime(runtime):
                self.host.deploy(doc["FunctionName"], path, cfg, version=version, load=load)
                self.deployed[key] = self.signature(doc, version, settings)
                return
            default = "lambda_function.lambda_handler" if runtime.startswith("python") else "index.handler"
            handler = doc.get("Handler") or default
            with tempfile.TemporaryDirectory() as tmp:
                packaging.extract(path.read_bytes(), Path(tmp))
                cfg = dataclasses.replace(cfg, handler=handler)  # cfg.runtime names the language
                self.host.deploy(doc["FunctionName"], Path(tmp), cfg, version=version, load=load)
            self.deployed[key] = self.signature(doc, version, settings)
        except DeployError as e:
            raise invalid(f"Could not deploy the function: {e}") from None

    def deploy_all(self, name: str, settings: dict[str, Any]) -> None:
        """Every version again, after a change to settings all versions share
        (``settings``: the changed, not yet stored, function record)."""
        self.deploy(settings, LATEST, settings)
        for v in self.registry.list_versions(name):
            self.deploy(v, str(v["Version"]), settings)

    def signature(self, doc: dict[str, Any], version: str, settings: dict[str, Any]) -> str:
        """What a deploy of this version depends on: equal signatures, same function."""
        return repr((self.config(doc, version, settings), doc.get("_code_sha256"), doc.get("Handler")))

    def remove(self, key: str) -> None:
        self.deployed.pop(key, None)
        try:
            self.host.remove(key)
        except FunctionNotFound:
            pass

    def restore(self) -> int:
        """Deploy every stored function and version; a broken one is logged, not fatal."""
        return self.reconcile()

    def reconcile(self) -> int:
        """Make the host's functions what the registry holds: deploy what is new or
        changed (its code or its FunctionConfig: a record's RevisionId or version
        counter alone redeploys nothing, so warm instances stay warm), remove what
        is gone. At start, and when another worker process wrote the registry: code
        the deploy that stored it loaded and checked, so it is loaded here by its first
        invocation (a restart listens without running every function's imports first)."""
        wanted: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {}
        for doc in self.registry.list_functions():
            name = doc["FunctionName"]
            wanted[name] = (doc, LATEST, doc)
            for v in self.registry.list_versions(name):
                wanted[f"{name}:{v['Version']}"] = (v, str(v["Version"]), doc)
        n = 0
        for key, (vdoc, version, settings) in wanted.items():
            try:
                if self.deployed.get(key) == self.signature(vdoc, version, settings):
                    continue
                self.deploy(vdoc, version, settings, load=False)
                n += 1
            except (ApiError, WasmhostError, OSError) as e:
                log.error("could not deploy %s: %s", key, e)
        for key in [k for k in self.deployed if k not in wanted]:
            self.remove(key)
        return n

