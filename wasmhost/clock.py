"""Request ids and wall-clock time for readings taken on the hot path.

The hot path reads only ``perf_counter_ns`` (monotonic, cheap); wall time and the
UUID-shaped request id are derived from it when someone looks.
"""

import os
import time

_PREFIX = os.urandom(10).hex()  # per process; the sequence number makes each id unique
RID_HEAD = f"{_PREFIX[0:8]}-{_PREFIX[8:12]}-{_PREFIX[12:16]}-{_PREFIX[16:20]}-"
OFFSET_NS = time.time_ns() - time.perf_counter_ns()  # wall = perf_counter + OFFSET_NS


def request_id(seq: int, head: str = RID_HEAD) -> str:
    """The id of invocation ``seq`` of this process (or of the process whose prefix
    is ``head``), shaped like Lambda's UUIDs."""
    return f"{head}{seq & 0xFFFFFFFFFFFF:012x}"


def wall_ms(perf_ns: int, offset_ns: int = OFFSET_NS) -> int:
    """Unix time in ms of a ``perf_counter_ns`` reading taken in this process (or in
    the process whose clock offset is ``offset_ns``)."""
    return (perf_ns + offset_ns) // 1_000_000
