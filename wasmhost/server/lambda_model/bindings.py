"""Lambda's HTTP bindings, read from the model: which operation a method and
path name, and the operation's parameters gathered from the path, the query,
the headers and the JSON body (strings from the URL coerced to the member's type).
HTTP-framework-free: aiohttp's route and any other front end call ``bind``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Mapping
from urllib.parse import parse_qsl, unquote

from ..errors import ApiError
from . import strict_json

_INT = re.compile(r"-?[0-9]{1,18}", re.ASCII)


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    uri: str  # the model's path template, ``/2015-03-31/functions/{FunctionName}/invocations``
    literals: tuple[tuple[str, str], ...]  # query pairs the URI fixes (``?find=LayerVersion``)
    status: int
    input: str | None

    @cached_property
    def path(self) -> re.Pattern[str]:
        """Compiled on first use: the server starts without compiling ~90 patterns it may never need."""
        rx = re.sub(r"\{(\w+)(\+?)\}", lambda m: f"(?P<{m.group(1)}>{'.+' if m.group(2) else '[^/]+'})",
                    re.escape(self.uri).replace(r"\{", "{").replace(r"\}", "}"))
        return re.compile(rx + "/?")


class Bindings:
    def __init__(self, model: dict[str, Any]) -> None:
        self.shapes = model["shapes"]
        ops = []
        for name, op in model["operations"].items():
            path, _, query = op["uri"].partition("?")
            ops.append(Operation(name, op["method"], path, tuple(parse_qsl(query, keep_blank_values=True)),
                                 op["status"], op.get("input")))
        ops.sort(key=lambda o: -len(o.literals))  # ``?List=ALL`` before the same path without it
        self.operations = {o.name: o for o in ops}
        self._by_prefix: dict[str, list[Operation]] = {}
        for o in ops:
            self._by_prefix.setdefault(o.uri.split("/")[1], []).append(o)

    def match(self, method: str, path: str, query: list[tuple[str, str]]) -> tuple[Operation, dict[str, str]]:
        """``path``: still percent-encoded, so a name holding ``%2F`` stays one segment."""
        allowed = False
        for op in self._by_prefix.get(path.split("/")[1] if path.count("/") > 1 else "", ()):
            m = op.path.fullmatch(path)
            if m is None or not all(pair in query for pair in op.literals):
                continue
            if op.method != method:
                allowed = True
                continue
            return op, {k: unquote(v, errors="strict") for k, v in m.groupdict().items()}
        if allowed:
            raise ApiError(405, "MethodNotAllowedException", f"{method} is not allowed on {path[:200]}")
        raise ApiError(404, "UnknownOperationException", f"No Lambda operation at {method} {path[:200]}")

    def bind(self, method: str, path: str, raw_query: str, headers: Mapping[str, str],
             body: bytes) -> tuple[Operation, dict[str, Any]]:
        try:
            query = parse_qsl(raw_query, keep_blank_values=True, errors="strict")
            op, labels = self.match(method, path, query)
        except UnicodeDecodeError:
            raise ApiError(400, "InvalidRequestContentException", "The URL is not valid UTF-8") from None
        params: dict[str, Any] = {}
        if op.input is None:
            return op, params
        shape = self.shapes[op.input]
        members = shape.get("members", {})
        in_body = False
        for member, ref in members.items():
            where, key = ref.get("location"), ref.get("locationName", member)
            if where == "uri":
                params[member] = self._coerce(ref["shape"], labels[key], member)
            elif where == "querystring":
                values = [v for k, v in query if k == key]
                if values:
                    many = self.shapes[ref["shape"]]["type"] == "list"
                    params[member] = values if many else self._coerce(ref["shape"], values[0], member)
            elif where == "header":
                value = headers.get(key.lower())
                if value is not None:
                    params[member] = self._coerce(ref["shape"], value, member)
            elif member == shape.get("payload") and self.shapes[ref["shape"]]["type"] == "blob":
                params[member] = body
            else:
                in_body = True
        if in_body and body:
            doc = strict_json.document(body)
            payload = shape.get("payload")
            if payload:
                params[payload] = doc
            else:
                for member, ref in members.items():
                    if "location" not in ref and member in doc:
                        params[member] = doc[member]
        return op, params

    def _coerce(self, shape_name: str, text: str, member: str) -> Any:
        kind = self.shapes[shape_name]["type"]
        if kind in ("integer", "long"):
            if not _INT.fullmatch(text):
                raise ApiError(400, "SerializationException", f"Expected an integer for {member}, got '{text[:40]}'")
            return int(text)
        if kind == "boolean":
            if text not in ("true", "false"):
                raise ApiError(400, "SerializationException", f"Expected true or false for {member}")
            return text == "true"
        return text
