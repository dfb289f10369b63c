"""The Lambda API's way to grant capabilities: function tags, as ``wasmhost:fuel`` and
``wasmhost:isolation`` set the limits. AWS allows no commas and no ``*`` in a tag value,
so entries are separated by spaces and ``.example.org`` stands for ``*.example.org``;
the capabilities check them (a bad entry is an InvalidParameterValueException naming it).

    aws lambda create-function ... --tags '{"wasmhost:allowed-hosts": "api.example.com .example.org", "wasmhost:kv-stores": "sessions"}'
"""

from __future__ import annotations

from typing import Any

TAGS = {"wasmhost:allowed-hosts": "allowed_hosts", "wasmhost:kv-stores": "kv_stores"}
FORMAT_TAG = "wasmhost:http-payload-format"  # a function's HTTP trigger format (apigateway.py), checked at deploy
FORMATS = ("1.0", "2.0")


def config_from_tags(tags: dict) -> dict[str, Any]:
    """``FunctionConfig`` keyword arguments for the capability tags present."""
    return {field: tags[tag] for tag, field in TAGS.items() if tag in tags}
