"""The state of the event sources, for ``wasmhost sources`` (as JSON on
``/wasmhost/sources``) and for ``/metrics`` (Prometheus text)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Sources


def status(s: Sources) -> dict[str, Any]:
    queues = []
    for q in s.store.list_queues():
        visible, in_flight, delayed = s.store.counts(q["name"])
        dlq = s.queues.dead_letter(q["name"], q)
        entry = {"name": q["name"], "arn": s.queues.arn(q["name"]), "visible": visible, "inFlight": in_flight,
                 "delayed": delayed}
        if dlq is not None:
            entry["deadLetterQueue"] = dlq[0]
            entry["inDeadLetterQueue"] = sum(s.store.counts(dlq[0]))
        queues.append(entry)
    mappings = []
    for m in s.mappings.list(None, None):
        p = s.mappings.pollers.get(m["UUID"])
        mappings.append({"uuid": m["UUID"], "queue": m["EventSourceArn"].rsplit(":", 1)[-1],
                         "function": m["FunctionArn"].split(":function:", 1)[-1], "state": m["State"],
                         "batchSize": m["BatchSize"], "lastResult": m["LastProcessingResult"],
                         "inFlight": p.in_flight if p else 0, **(p.stats if p else {})})
    schedules = []
    for r in s.store.list_records("rule"):
        st = s.schedules.stats.get(r["Name"], {})
        schedules.append({"name": r["Name"], "expression": r["ScheduleExpression"], "state": r["State"],
                          "lastFire": r.get("_last"), "nextFire": r.get("_next"),
                          "targets": len(s.schedules.targets(r["Name"])), **st})
    return {"queues": queues, "mappings": mappings, "schedules": schedules}


def metrics(s: Sources) -> str:
    st = status(s)
    out: list[str] = []

    def family(name: str, kind: str, help_: str, rows: list[str]) -> None:
        out.append(f"# HELP {name} {help_}\n# TYPE {name} {kind}")
        out.extend(rows)

    family("wasmhost_queue_messages", "gauge", "SQS messages by queue and state.",
           [f'wasmhost_queue_messages{{queue="{q["name"]}",state="{k}"}} {q[f]}' for q in st["queues"]
            for k, f in (("visible", "visible"), ("in_flight", "inFlight"), ("delayed", "delayed"))])
    family("wasmhost_queue_dead_letter_messages", "gauge", "Messages in a queue's dead-letter queue.",
           [f'wasmhost_queue_dead_letter_messages{{queue="{q["name"]}",dlq="{q["deadLetterQueue"]}"}} '
            f'{q["inDeadLetterQueue"]}' for q in st["queues"] if "deadLetterQueue" in q])
    labels = [(f'mapping="{m["uuid"]}",queue="{m["queue"]}",function="{m["function"]}"', m) for m in st["mappings"]]
    family("wasmhost_mapping_messages_total", "counter", "Messages an event source mapping delivered, by outcome.",
           [f'wasmhost_mapping_messages_total{{{lb},outcome="{o}"}} {m.get(o, 0)}' for lb, m in labels
            for o in ("succeeded", "failed")])
    family("wasmhost_mapping_batches_total", "counter", "Batches a mapping invoked its function with.",
           [f'wasmhost_mapping_batches_total{{{lb}}} {m.get("batches", 0)}' for lb, m in labels])
    family("wasmhost_mapping_throttled_batches_total", "counter", "Batches handed back because the function "
           "was throttled.", [f'wasmhost_mapping_throttled_batches_total{{{lb}}} {m.get("throttled", 0)}'
                              for lb, m in labels])
    family("wasmhost_mapping_in_flight_messages", "gauge", "Messages a mapping's function is processing.",
           [f'wasmhost_mapping_in_flight_messages{{{lb}}} {m["inFlight"]}' for lb, m in labels])
    family("wasmhost_schedule_fires_total", "counter", "Ticks a schedule fired since start.",
           [f'wasmhost_schedule_fires_total{{rule="{r["name"]}"}} {r.get("fired", 0)}' for r in st["schedules"]])
    family("wasmhost_schedule_target_failures_total", "counter", "Deliveries to a schedule's targets that failed.",
           [f'wasmhost_schedule_target_failures_total{{rule="{r["name"]}"}} {r.get("failed", 0)}'
            for r in st["schedules"]])
    family("wasmhost_schedule_last_fire_timestamp_seconds", "gauge", "When a schedule last fired (its tick).",
           [f'wasmhost_schedule_last_fire_timestamp_seconds{{rule="{r["name"]}"}} {r["lastFire"]:.3f}'
            for r in st["schedules"] if r["lastFire"] is not None])
    family("wasmhost_schedule_next_fire_timestamp_seconds", "gauge", "When a schedule fires next.",
           [f'wasmhost_schedule_next_fire_timestamp_seconds{{rule="{r["name"]}"}} {r["nextFire"]:.3f}'
            for r in st["schedules"] if r["nextFire"] is not None])
    return "\n".join(out) + "\n"
