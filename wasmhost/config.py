"""Per-function settings: what a function may use, and how it is kept warm."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_MEMORY_MB = 4096  # a 32-bit linear memory
ISOLATIONS = ("warm", "strict")


@dataclass(frozen=True)
class FunctionConfig:
    """Defaults follow Lambda where Lambda has one (128 MB, 3 s).

    ``fuel``: instructions-ish budget per invocation (Wasmtime fuel); ``None`` means
    unlimited, but fuel is metered either way. ``min_warm``: instances created at
    deploy and kept ready (Lambda's provisioned concurrency). ``max_concurrency``:
    invocations in flight at once; more are throttled. ``isolation``: ``"warm"``
    reuses instances (module state survives between calls, like Lambda's warm
    environments); ``"strict"`` gives every invocation a fresh instance.
    ``idle_ttl_s``: instances beyond ``min_warm`` idle this long are dropped.
    ``handler``: for Python and JavaScript functions, the ``module.function`` to call.
    ``layers``: folders whose contents Python and JavaScript functions see under
    ``/opt`` (``/opt/python`` importable, ``/opt/nodejs/node_modules`` resolvable).
    ``allowed_hosts``: where outbound HTTP may go (deny by default): ``"api.example.com"``,
    ``"*.example.org"``, ``"127.0.0.1:8080"``, ``"host:*"``, or ``"*"`` for any public host;
    a name without a port allows the scheme's default port. Non-public addresses
    (loopback, private, link-local) are reachable only when named literally
    (wasmhost/capabilities/http.py). A comma-separated string is accepted.
    ``kv_stores``: the named key-value stores the function may open besides its own
    (wasmhost/capabilities/kv.py).
    """

    memory_mb: int = 128
    timeout_ms: int = 3000
    fuel: int | None = None
    min_warm: int = 0
    max_concurrency: int = 100
    isolation: str = "warm"
    idle_ttl_s: float = 300.0
    env: dict[str, str] = field(default_factory=dict)
    handler: str | None = None  # "module.function", Lambda's Handler (default: <module>.handler)
    # Python and JavaScript functions (Lambda's settings of the same names):
    runtime: str | None = None  # "python3.12", "nodejs20.x", ...: AWS_EXECUTION_ENV; picks the language of a folder
    layers: tuple[str, ...] = ()  # folders merged in order (later ones win) and seen at /opt
    ephemeral_mb: int = 512  # EphemeralStorage: the cap of the instance's writable /tmp
    log_format: str = "Text"  # LoggingConfig.LogFormat: "Text" or "JSON"
    log_level: str | None = None  # LoggingConfig.ApplicationLogLevel (JSON format only, as in Lambda)
    region: str = "us-east-1"  # AWS_REGION, and the region in the function's ARN
    allowed_hosts: tuple[str, ...] = ()
    kv_stores: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        def bad(msg: str) -> None:
            from .errors import DeployError
            raise DeployError(msg)

        if not isinstance(self.memory_mb, int) or not 1 <= self.memory_mb <= MAX_MEMORY_MB:
            bad(f"memory_mb must be an integer from 1 to {MAX_MEMORY_MB}, not {self.memory_mb!r}")
        if not isinstance(self.timeout_ms, int) or not 1 <= self.timeout_ms <= 900_000:
            bad(f"timeout_ms must be an integer from 1 to 900000 (15 minutes), not {self.timeout_ms!r}")
        if self.fuel is not None and (not isinstance(self.fuel, int) or not 1 <= self.fuel < 2**63):
            bad(f"fuel must be None or a positive integer below 2**63, not {self.fuel!r}")
        if not isinstance(self.max_concurrency, int) or self.max_concurrency < 1:
            bad(f"max_concurrency must be a positive integer, not {self.max_concurrency!r}")
        if not isinstance(self.min_warm, int) or not 0 <= self.min_warm <= self.max_concurrency:
            bad(f"min_warm must be an integer from 0 to max_concurrency ({self.max_concurrency}), not {self.min_warm!r}")
        if self.isolation not in ISOLATIONS:
            bad(f"isolation must be one of {ISOLATIONS}, not {self.isolation!r}")
        if self.handler is not None and (not isinstance(self.handler, str) or "." not in self.handler.strip(".")
                                         or any(c.isspace() for c in self.handler)):
            bad(f"handler must look like 'module.function' (or 'folder/module.function'), not {self.handler!r}")
        if self.runtime is not None and not (isinstance(self.runtime, str)
                                             and self.runtime.startswith(("python3.", "nodejs"))):
            bad(f"runtime must be a Lambda Python or Node.js runtime such as 'python3.12' or 'nodejs20.x', "
                f"not {self.runtime!r}")
        if not isinstance(self.layers, tuple) or not all(isinstance(p, str) for p in self.layers):
            bad(f"layers must be a tuple of folder paths, not {self.layers!r}")
        if not isinstance(self.ephemeral_mb, int) or not 512 <= self.ephemeral_mb <= 10240:
            bad(f"ephemeral_mb must be an integer from 512 to 10240, not {self.ephemeral_mb!r}")
        if self.log_format not in ("Text", "JSON"):
            bad(f"log_format must be 'Text' or 'JSON', not {self.log_format!r}")
        if self.log_level is not None and self.log_level not in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"):
            bad(f"log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, not {self.log_level!r}")
        if not self.idle_ttl_s > 0:
            bad(f"idle_ttl_s must be positive, not {self.idle_ttl_s!r}")
        if self.allowed_hosts or self.kv_stores:  # checked by their capabilities, which say what is wrong
            from .capabilities.allowlist import parse_allowed_hosts
            from .capabilities.kv import parse_store_names
            object.__setattr__(self, "allowed_hosts", parse_allowed_hosts(self.allowed_hosts))
            object.__setattr__(self, "kv_stores", parse_store_names(self.kv_stores))

    @property
    def fuel_budget(self) -> int:
        return self.fuel if self.fuel is not None else 2**63 - 1
