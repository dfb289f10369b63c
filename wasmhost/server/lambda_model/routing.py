"""The invocation routing table: every name an Invoke may carry (``f``,
``f:$LATEST``, ``f:3``, ``f:alias``) mapped to what runs, rebuilt after each
control-plane write. An invocation reads one dict: no registry, no lock, no
name parsing unless the caller sent an ARN."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Union

from .names import LATEST
from ...backends.registry import RegistryStore


@dataclass(frozen=True)
class Resolved:
    name: str
    version: str  # "$LATEST" or "N": what runs
    key: str  # the Host's function key
    doc: dict = field(repr=False)  # the version's record (read-only)
    throttled: bool = False  # reserved concurrency 0: every invocation is refused


@dataclass(frozen=True)
class AliasRoute:
    primary: Resolved
    weighted: tuple[tuple[float, Resolved], ...]  # (weight, target): each tried in turn

    def pick(self) -> Resolved:
        for weight, target in self.weighted:
            if random.random() < weight:
                return target
        return self.primary


Route = Union[Resolved, AliasRoute]


def build(registry: RegistryStore) -> dict[str, Route]:
    table: dict[str, Route] = {}
    for doc in registry.list_functions():
        name = doc["FunctionName"]
        throttled = doc.get("_reserved") == 0
        latest = Resolved(name, LATEST, name, doc, throttled)
        table[name] = table[f"{name}:{LATEST}"] = latest
        versions: dict[str, Resolved] = {LATEST: latest}
        for vdoc in registry.list_versions(name):
            v = str(vdoc["Version"])
            versions[v] = table[f"{name}:{v}"] = Resolved(name, v, f"{name}:{v}", vdoc, throttled)
        for alias in registry.list_aliases(name):
            primary = versions.get(alias["FunctionVersion"])
            if primary is None:
                continue
            weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
            weighted = tuple((float(w), versions[v]) for v, w in weights.items() if v in versions)
            table[f"{name}:{alias['Name']}"] = AliasRoute(primary, weighted) if weighted else primary
    return table


def urls(registry: RegistryStore) -> dict[str, tuple[str, str | None, dict[str, Any]]]:
    """Function URL id -> (function, qualifier or None, its URL config)."""
    out: dict[str, tuple[str, str | None, dict[str, Any]]] = {}
    for doc in registry.list_functions():
        for qual, cfg in (doc.get("_urls") or {}).items():
            out[cfg["_id"]] = (doc["FunctionName"], None if qual == LATEST else qual, cfg)
    return out
