"""Names and ARNs: how a function, version, alias or layer is written, and how
a caller's ``name``, ``name:qualifier``, partial or full ARN is read back."""

from __future__ import annotations

import re
import time

from ..errors import invalid, not_found, validation

ACCOUNT = "000000000000"
LATEST = "$LATEST"
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}", re.ASCII)
_QUALIFIER = re.compile(r"\$LATEST|[a-zA-Z0-9_-]{1,128}", re.ASCII)
_VERSION = re.compile(r"[0-9]{1,10}", re.ASCII)
_FUNCTION_PATTERN = ("(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?"
                     "([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?")


def now_str() -> str:
    """Lambda's ``LastModified``: an unparsed string botocore passes through."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())


def is_version(qualifier: str) -> bool:
    """ASCII digits only: ``"¹".isdigit()`` is true, ``int("¹")`` fails."""
    return _VERSION.fullmatch(qualifier) is not None


def function_arn(region: str, name: str, qualifier: str | None = None) -> str:
    base = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"
    return f"{base}:{qualifier}" if qualifier and qualifier != LATEST else base


def layer_arn(region: str, name: str, version: int | None = None) -> str:
    base = f"arn:aws:lambda:{region}:{ACCOUNT}:layer:{name}"
    return base if version is None else f"{base}:{version}"


def parse_function(raw: str, qualifier: str | None = None) -> tuple[str, str | None]:
    """``name``, ``name:qual``, ``ACCT:function:name[:qual]`` or a full ARN, and the
    ``Qualifier`` parameter, to ``(name, qualifier or None)``."""
    qualifier = qualifier or None  # the model allows an empty Qualifier: none
    parts = raw.split(":")
    if raw.startswith("arn:"):
        parts = parts[6:] if len(parts) >= 7 and parts[5] == "function" and parts[2] == "lambda" else []
    elif len(parts) >= 3 and parts[1] == "function":
        parts = parts[2:]
    if not parts or len(parts) > 2 or not _NAME.fullmatch(parts[0]) or (
            len(parts) == 2 and not _QUALIFIER.fullmatch(parts[1])):
        raise validation(raw, "functionName", f"Member must satisfy regular expression pattern: {_FUNCTION_PATTERN}")
    name, qual = parts[0], (parts[1] if len(parts) == 2 else None)
    if qualifier is not None and not _QUALIFIER.fullmatch(qualifier):
        raise validation(qualifier, "qualifier", "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)")
    if qual and qualifier and qual != qualifier:
        raise invalid("The derived qualifier from the function name does not match the specified qualifier.")
    return name, qual or qualifier


def parse_layer(raw: str) -> str:
    """A layer's name from its name or its (unversioned) ARN."""
    if raw.startswith("arn:"):
        parts = raw.split(":")
        if len(parts) != 7 or parts[5] != "layer":
            raise validation(raw, "layerName", "Member must be a layer name or a layer ARN")
        raw = parts[6]
    if not re.fullmatch(r"[a-zA-Z0-9_-]{1,140}", raw, re.ASCII):
        raise validation(raw, "layerName", "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+")
    return raw


def parse_layer_version_arn(arn: str) -> tuple[str, int]:
    parts = arn.split(":")
    if len(parts) != 8 or parts[:3] != ["arn", "aws", "lambda"] or parts[5] != "layer" or not is_version(parts[7]):
        raise validation(arn, "arn", "Member must be a layer version ARN")
    return parse_layer(parts[6]), int(parts[7])


def function_not_found(region: str, name: str, qualifier: str | None = None) -> Exception:
    return not_found(f"Function not found: {function_arn(region, name, qualifier)}")
