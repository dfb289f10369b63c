"""Request ids and wall-clock time for readings taken on the hot path.

The hot path reads only ``perf_counter_ns`` (monotonic, cheap); wall time and the
UUID-shaped request id are derived from it when someone looks.
"""

import os
import time

_PREFIX = os.urandom(10).hex()  # per process; the sequence number makes each id unique
RID_HEAD = f"{_PREFIX[0:8]}-{_PREFIX[8:12]}-{_PREFIX[12:16]}-{_PREFIX[16:20]}-"
OFFSET_NS = time.time_ns() - time.perf_counter_ns()  # wall = perf_counter + OFFSET_NS


# Invocations that run under an id given to them (an async event runs under the id
# its 202 returned, even in a later process): seq -> that id. The ledger stores such
# a report under the id's own head and tail, and drops the entry when it does.
ALIASES: dict[int, str] = {}


def request_id(seq: int, head: str = RID_HEAD) -> str:
    """The id of invocation ``seq`` of this process (or of the process whose prefix
    is ``head``), shaped like Lambda's UUIDs."""
    if ALIASES and head is RID_HEAD and seq in ALIASES:
        return ALIASES[seq]
    return f"{head}{seq & 0xFFFFFFFFFFFF:012x}"


def split_id(rid: str) -> tuple[str, int] | None:
    """A UUID-shaped id as (head, seq) such that ``request_id(seq, head) == rid``."""
    if len(rid) != 36 or rid[8] != "-" or rid[13] != "-" or rid[18] != "-" or rid[23] != "-":
        return None
    tail = rid[24:]
    if tail != tail.lower():
        return None
    try:
        int(rid[:23].replace("-", ""), 16)
        return rid[:24], int(tail, 16)
    except ValueError:
        return None


def wall_ms(perf_ns: int, offset_ns: int = OFFSET_NS) -> int:
    """Unix time in ms of a ``perf_counter_ns`` reading taken in this process (or in
    the process whose clock offset is ``offset_ns``)."""
    return (perf_ns + offset_ns) // 1_000_000
