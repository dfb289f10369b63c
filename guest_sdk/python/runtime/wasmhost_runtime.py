"""wasmhost_runtime: wasmhost's Python runtime: CPython (componentize-py) running `def handler(event, context)`
exactly as Lambda's Python runtime calls it. Built once per runtime version, not per function:
the user's code is imported at instance init from /code."""

import importlib
import json
import sys
import time
import traceback

# The curated standard library: only what is imported when the runtime is built exists
# inside it, so import it here for the user's code.
import base64, binascii, bisect, calendar, collections, copy, csv, dataclasses, datetime  # noqa: E401,F401
import decimal, difflib, enum, fractions, functools, hashlib, heapq, hmac, html, io  # noqa: E401,F401
import itertools, math, operator, random, re, statistics, string, struct, textwrap  # noqa: E401,F401
import typing, unicodedata, urllib.parse, uuid, zlib, abc, contextlib, pprint, secrets  # noqa: E401,F401
import json.decoder, collections.abc, importlib.abc, importlib.machinery, importlib.util  # noqa: E401,F401
import pkgutil, keyword, numbers, types, weakref, warnings, traceback, logging  # noqa: E401,F401

import wit_world
from componentize_py_types import Err

import wasmhost_sdk  # noqa: F401  outbound HTTP through the host; `from wasmhost_sdk import kv`

_handler = None


class LambdaContext:
    """The attributes of Lambda's Python `context` object."""

    def __init__(self, doc):
        self.aws_request_id = doc.get("request_id", "")
        self.function_name = doc.get("function_name", "")
        self.function_version = doc.get("function_version", "$LATEST")
        self.memory_limit_in_mb = str(doc.get("memory_limit_in_mb", ""))
        self.invoked_function_arn = doc.get("invoked_function_arn", "")
        self.log_group_name = "/aws/lambda/" + self.function_name
        self.log_stream_name = doc.get("log_stream_name", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = doc.get("deadline_ms", 0)

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _error(exc):
    return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc),
                       "stackTrace": traceback.format_exception(exc)[1:]})


class WitWorld(wit_world.WitWorld):
    def init(self, handler: str) -> None:
        global _handler
        for path in ("/code/.deps", "/code"):
            if path not in sys.path:
                sys.path.insert(0, path)
        module_name, _, func = handler.rpartition(".")
        try:
            module = importlib.import_module(module_name or "app")
            _handler = getattr(module, func)
        except BaseException as exc:  # noqa: BLE001 - reported to the host
            raise Err(_error(exc))

    def handle(self, event: str, context: str) -> str:
        try:
            try:
                ev = json.loads(event) if event else {}
            except ValueError:
                ev = event
            result = _handler(ev, LambdaContext(json.loads(context)))
            sys.stdout.flush()
            return json.dumps(result)
        except BaseException as exc:  # noqa: BLE001 - reported to the host
            sys.stdout.flush()
            raise Err(_error(exc))
