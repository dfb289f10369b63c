"""The invocation context, as Lambda's ``context`` object gives it.

``wasmhost.context(ptr, cap) -> len`` writes a msgpack map (request_id,
function_name, function_version, memory_limit_in_mb, deadline_ms, env) into
``[ptr, ptr+cap)`` when it fits and always returns its full length, so a guest can
ask with ``cap = 0`` first. ``wasmhost.remaining_ms() -> i64`` is the live
``get_remaining_time_in_millis()``.
"""

import time

import msgpack


def _context(sandbox, ptr: int, cap: int) -> int:
    data = msgpack.packb(sandbox.context())
    if len(data) <= cap:
        sandbox.write(ptr, data)
    return len(data)


def _remaining_ms(sandbox) -> int:
    return max(0, (sandbox.deadline_ns - time.perf_counter_ns()) // 1_000_000)


NAME = "context"
SIDE_EFFECTS = False  # it only reads the invocation or writes its own record
COMPONENT_IMPORTS: dict = {}  # the runtimes have their own (stdout, the context argument, Err)


def new_state(grants) -> None:
    return None  # the log, error and context belong to the invocation (abi/base.py)


IMPORTS = {
    "context": (("i32", "i32"), ("i32",), _context),
    "remaining_ms": ((), ("i64",), _remaining_ms),
}
