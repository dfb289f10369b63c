"""Layers: versioned zips unpacked once into the data directory; a function
listing them in ``Layers`` gets those directories in ``FunctionConfig.layers``
and its runtime shows them at ``/opt`` (``/opt/python``, ``/opt/nodejs/node_modules``),
later layers winning, as on Lambda. A deleted version keeps its number (never
reused) and its files while a function still uses them."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any

from ..errors import not_found
from . import code_links, packaging
from .names import layer_arn, now_str, parse_layer, parse_layer_version_arn
from .paging import page

if TYPE_CHECKING:
    from .service import Service


def _out(s: Service, doc: dict[str, Any], listing: bool = False) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    if "Content" in out:
        out["Content"] = dict(out["Content"], Location=code_links.location(doc, "layer", doc["LayerArn"].rsplit(":", 1)[1],
                                                                             str(doc["Version"])))
    if listing:  # LayerVersionsListItem: no Content, no LayerArn
        out.pop("Content", None)
        out.pop("LayerArn", None)
    return out


def _live(s: Service, name: str) -> list[dict[str, Any]]:
    return [d for d in s.registry.list_layers(name) if not d.get("_deleted")]


def publish_layer_version(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name = parse_layer(p["LayerName"])
    content = p["Content"]
    data = packaging.zip_of(content, s.code_objects, "Content.")
    existing = s.registry.list_layers(name)
    version = max((int(d["Version"]) for d in existing), default=0) + 1
    target = s.registry.layer_path(name, version)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    try:
        packaging.extract(data, target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    doc = {"Content": {"Location": "", "CodeSha256": packaging.sha256_b64(data), "CodeSize": len(data)},
           "LayerArn": layer_arn(s.region, name), "LayerVersionArn": layer_arn(s.region, name, version),
           "Description": p.get("Description", ""), "CreatedDate": now_str(), "Version": version,
           **code_links.stored(s, data)}  # (the zip: a cluster's other nodes unpack it from there)
    for key in ("CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
        if p.get(key):
            doc[key] = p[key]
    s.registry.put_layer(name, version, doc)
    return _out(s, doc)


def _get(s: Service, name: str, version: int) -> dict[str, Any]:
    doc = s.registry.get_layer(name, version)
    if doc is None or doc.get("_deleted"):
        raise not_found("The resource you requested does not exist.")
    return doc


def get_layer_version(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    return _out(s, _get(s, parse_layer(p["LayerName"]), p["VersionNumber"]))


def get_layer_version_by_arn(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    return _out(s, _get(s, *parse_layer_version_arn(p["Arn"])))


def _in_use(s: Service, arn: str) -> bool:
    return any(arn in (d.get("Layers") or ()) for fn in s.registry.list_functions()
               for d in [fn, *s.registry.list_versions(fn["FunctionName"])])


def delete_layer_version(s: Service, p: dict[str, Any]) -> None:
    name = parse_layer(p["LayerName"])
    doc = s.registry.get_layer(name, p["VersionNumber"])
    if doc is None or doc.get("_deleted"):
        return  # Lambda: deleting a missing version succeeds
    s.registry.put_layer(name, p["VersionNumber"], {"Version": doc["Version"], "_deleted": True})
    if not _in_use(s, doc["LayerVersionArn"]):
        shutil.rmtree(s.registry.layer_path(name, p["VersionNumber"]), ignore_errors=True)


def _matches(doc: dict[str, Any], p: dict[str, Any]) -> bool:
    return ((not p.get("CompatibleRuntime") or p["CompatibleRuntime"] in doc.get("CompatibleRuntimes", ()))
            and (not p.get("CompatibleArchitecture")
                 or p["CompatibleArchitecture"] in doc.get("CompatibleArchitectures", ())))


def list_layer_versions(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name = parse_layer(p["LayerName"])
    items = [_out(s, d, listing=True) for d in reversed(_live(s, name)) if _matches(d, p)]
    return page(items, p, "LayerVersions")


def list_layers(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    latest: dict[str, dict[str, Any]] = {}
    for d in s.registry.list_layers():
        if not d.get("_deleted") and _matches(d, p):
            latest[d["LayerArn"]] = d  # oldest first: the last one kept is the newest
    items = [{"LayerName": arn.rsplit(":", 1)[1], "LayerArn": arn, "LatestMatchingVersion": _out(s, d, listing=True)}
             for arn, d in sorted(latest.items())]
    return page(items, p, "Layers")
