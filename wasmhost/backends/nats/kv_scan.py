"""Every current value of a JetStream key-value bucket under a key filter, read whole.

Why not nats-py's ``kv.watch`` (and ``kv.keys``, built on it): its "no more values"
marker is decided from the consumer's ``num_pending`` right after the push consumer
is made, and when the server has already pushed the values (so nothing is pending)
but the client has not yet handed them to the watcher, the marker comes *first*: a
read of the whole bucket comes back empty. One CI run read all-time totals of zero
this way. A pull consumer delivers nothing until it is asked, so the count it is made
with is the number of values to read, and each value's own ``num_pending`` says when
the last one has come.
"""

from __future__ import annotations

from typing import Any

# (nats-py imported inside: the backend is optional, ``import wasmhost`` stays light)

_BATCH = 256


async def current(js: Any, bucket: str, keys: str = ">", *, meta_only: bool = False,
                  timeout: float = 5.0) -> dict[str, bytes]:
    """``{key: value}`` of the bucket's keys matching ``keys`` (a NATS subject filter
    relative to the bucket), deleted and purged keys left out. With ``meta_only`` the
    values are empty (the keys alone)."""
    from nats.js import api

    stream, prefix = f"KV_{bucket}", f"$KV.{bucket}."
    config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.LAST_PER_SUBJECT,
                                ack_policy=api.AckPolicy.NONE, headers_only=meta_only or None,
                                filter_subject=prefix + keys, mem_storage=True, num_replicas=1,
                                inactive_threshold=max(timeout * 6, 30.0))
    info = await js.add_consumer(stream, config=config)
    sub = await js.pull_subscribe_bind(consumer=info.name, stream=stream)
    out: dict[str, bytes] = {}
    try:
        pending = info.num_pending
        while pending:
            for msg in await sub.fetch(min(pending, _BATCH), timeout=timeout):
                pending = msg.metadata.num_pending
                key = msg.subject[len(prefix):]
                op = (msg.headers or {}).get("KV-Operation")
                if op in ("DEL", "PURGE") or (msg.headers or {}).get("Nats-Marker-Reason"):
                    out.pop(key, None)
                else:
                    out[key] = b"" if meta_only else msg.data
    finally:
        await sub.unsubscribe()
        try:
            await js.delete_consumer(stream, info.name)
        except Exception:  # noqa: BLE001 - gone with its inactive threshold anyway
            pass
    return out
