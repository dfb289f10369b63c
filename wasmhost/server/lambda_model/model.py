"""Lambda's service model: every operation's HTTP binding and input shapes,
trimmed from botocore's ``lambda/2015-03-31/service-2.json`` into
``service-model.json`` beside this file (botocore is a client library, not a
server dependency). The router and the validator both read this one table, so
each member's type, range, pattern and enum is declared once, as AWS declares it.

Regenerate after a botocore upgrade (tests/server/lambda_model/test_model.py
fails until you do)::

    python -m wasmhost.server.lambda_model.model
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).with_name("service-model.json")
_KEEP = ("type", "required", "members", "member", "key", "value", "min", "max", "pattern", "enum",
         "location", "locationName", "shape", "payload")


def trim(service: dict[str, Any]) -> dict[str, Any]:
    """Only what the server checks: HTTP bindings and the shapes reachable from inputs."""
    shapes = service["shapes"]
    keep: dict[str, Any] = {}

    def visit(name: str) -> None:
        if name in keep:
            return
        shape = {k: v for k, v in shapes[name].items() if k in _KEEP}
        keep[name] = shape
        if "members" in shape:
            shape["members"] = {m: {k: v for k, v in ref.items() if k in _KEEP} for m, ref in shape["members"].items()}
            for ref in shape["members"].values():
                visit(ref["shape"])
        for part in ("member", "key", "value"):
            if part in shape:
                shape[part] = {"shape": shape[part]["shape"]}
                visit(shape[part]["shape"])

    operations = {}
    for name, op in sorted(service["operations"].items()):
        entry: dict[str, Any] = {"method": op["http"]["method"], "uri": op["http"]["requestUri"],
                                 "status": op["http"].get("responseCode", 200)}
        if "input" in op:
            entry["input"] = op["input"]["shape"]
            visit(entry["input"])
        operations[name] = entry
    return {"version": service["metadata"]["apiVersion"], "operations": operations,
            "shapes": dict(sorted(keep.items()))}


def from_botocore() -> dict[str, Any]:
    import botocore.loaders  # test/dev dependency only
    return trim(botocore.loaders.Loader().load_service_model("lambda", "service-2"))


def load() -> dict[str, Any]:
    return json.loads(HERE.read_text())


def dump(model: dict[str, Any]) -> str:
    """One line per operation and per shape: diffs stay readable."""
    def block(d: dict) -> str:
        return "{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in d.items()) + "\n}"
    return (f'{{"version": {json.dumps(model["version"])},\n"operations": {block(model["operations"])},\n'
            f'"shapes": {block(model["shapes"])}}}\n')


if __name__ == "__main__":
    HERE.write_text(dump(from_botocore()))
    print(f"wrote {HERE}")
