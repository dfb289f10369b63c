"""``wasmhost sources``: the schedules, queues and event source mappings of a
running server, with their state (last and next fire, depth, in flight, in the
dead-letter queue, last processing result). Reads ``/wasmhost/sources``."""

from __future__ import annotations

import argparse
import json
import time


def register(sub, parents) -> None:
    p = sub.add_parser("sources", parents=list(parents),
                       help="list the server's schedules, queues and event source mappings")
    p.add_argument("--json", action="store_true", help="print the state as JSON")
    p.set_defaults(func=cmd_sources)


def _when(t: float | None) -> str:
    if t is None:
        return "-"
    delta = t - time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))
    return f"{stamp} ({'in ' if delta >= 0 else ''}{abs(delta):.0f}s{'' if delta >= 0 else ' ago'})"


def _table(title: str, header: list[str], rows: list[list[object]]) -> str:
    if not rows:
        return f"{title}: none\n"
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    return f"{title}:\n" + "\n".join("  " + ln for ln in lines) + "\n"


def render(state: dict) -> str:
    out = _table("schedules", ["NAME", "EXPRESSION", "STATE", "TARGETS", "FIRED", "LAST FIRE", "NEXT FIRE"],
                 [[s["name"], s["expression"], s["state"], s["targets"], s.get("fired", 0), _when(s["lastFire"]),
                   _when(s["nextFire"])] for s in state["schedules"]])
    out += _table("queues", ["NAME", "VISIBLE", "IN FLIGHT", "DELAYED", "DEAD-LETTER QUEUE", "IN DLQ"],
                  [[q["name"], q["visible"], q["inFlight"], q["delayed"], q.get("deadLetterQueue", "-"),
                    q.get("inDeadLetterQueue", "-")] for q in state["queues"]])
    out += _table("mappings", ["UUID", "QUEUE", "FUNCTION", "STATE", "BATCH", "IN FLIGHT", "OK", "FAILED",
                               "LAST RESULT"],
                  [[m["uuid"], m["queue"], m["function"], m["state"], m["batchSize"], m["inFlight"],
                    m.get("succeeded", 0), m.get("failed", 0), m["lastResult"]] for m in state["mappings"]])
    return out


def cmd_sources(args: argparse.Namespace) -> int:
    from .remote import remote
    state = remote(args).json("GET", "/wasmhost/sources")
    print(json.dumps(state, indent=2) if args.json else render(state), end="" if not args.json else "\n")
    return 0
