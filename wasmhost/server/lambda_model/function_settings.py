"""Per-function settings tools read on every refresh (Terraform, SAM), answered
with what this host actually does: no code signing, runtimes that change with
the host (``Auto``), and recursive loops not stopped (``Allow``; asking for
``Terminate`` is refused rather than promised)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import invalid

if TYPE_CHECKING:
    from .service import Service


def _name(s: Service, p: dict[str, Any]) -> str:
    return s.target(p["FunctionName"], p.get("Qualifier"))[0]


def get_function_code_signing_config(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    return {"CodeSigningConfigArn": "", "FunctionName": _name(s, p)}


def get_function_recursion_config(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    _name(s, p)
    return {"RecursiveLoop": "Allow"}


def put_function_recursion_config(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    _name(s, p)
    if p["RecursiveLoop"] != "Allow":
        raise invalid("This host does not detect recursive loops: only RecursiveLoop=Allow is supported")
    return {"RecursiveLoop": "Allow"}


def get_runtime_management_config(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    name, qual, _ = s.target(p["FunctionName"], p.get("Qualifier"))
    return {"UpdateRuntimeOn": "Auto", "FunctionArn": s.arn(name, qual)}
