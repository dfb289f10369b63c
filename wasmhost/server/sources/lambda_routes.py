"""The event source mapping operations of the Lambda API, registered in the Lambda
model's operation table (lambda_model/operations.py), which binds and validates
each request against botocore's model before calling these."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..lambda_model import operations
from ..lambda_model.paging import page

if TYPE_CHECKING:
    from ..lambda_model import Service
    from .mappings import Mappings

MAX_PAGE = 100
_MAPPINGS: weakref.WeakKeyDictionary[Service, Mappings] = weakref.WeakKeyDictionary()


def register(service: Service, mappings: Mappings) -> None:
    _MAPPINGS[service] = mappings
    for name, handler in (("CreateEventSourceMapping", create), ("GetEventSourceMapping", get),
                          ("ListEventSourceMappings", list_), ("UpdateEventSourceMapping", update),
                          ("DeleteEventSourceMapping", delete)):
        operations.register(name, handler)


def _mappings(s: Service) -> Mappings:
    m = _MAPPINGS.get(s)
    if m is None:
        raise ApiError(400, "UnsupportedOperationException", "Event source mappings need the server's event sources")
    return m


def create(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    return _mappings(s).create(p)


def get(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    return _mappings(s).get(p["UUID"])


def update(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    return _mappings(s).update(p["UUID"], {k: v for k, v in p.items() if k != "UUID"})


def delete(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    return _mappings(s).delete(p["UUID"])


def list_(s: Service, p: dict[str, Any]) -> dict[str, Any]:
    items = _mappings(s).list(p.get("FunctionName"), p.get("EventSourceArn"))
    return page(items, p, "EventSourceMappings", limit=MAX_PAGE)
