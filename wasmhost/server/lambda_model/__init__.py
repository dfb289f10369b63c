"""The Lambda control plane: one idea per module.

names (ARNs) · model + bindings + validation (the service model: routes and
checks) · strict_json · packaging (zips) · store (SQLite registry) · routing (the
invocation table) · deployer (records to Host functions) · service (shared state,
the invocation path) · events (async worker) · operations (the table) and one
module per family: functions, aliases, concurrency, event_config, tags,
permissions, urls, layers, invoke.

Imports run one way: operations → families → service → the rest."""

from .names import ACCOUNT
from .service import Service
from .store import Registry

__all__ = ["ACCOUNT", "Registry", "Service"]
