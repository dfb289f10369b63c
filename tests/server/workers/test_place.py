"""A worker's place in the server, as the supervisor passes it, and its share of
the pooling allocator (1,000 slots, ~5 TiB of address space, for the whole server)."""

from wasmhost.engine import EngineSettings
from wasmhost.server.workers.worker import POOL_SLOTS, Place


def test_a_place_round_trips_and_divides_the_pool():
    p = Place.parse("a1b2c3:3:4:1796027274.587655")
    assert (p.server_id, p.index, p.count, p.started_at) == ("a1b2c3", 3, 4, 1796027274.587655)
    assert p.pool_slots == 250 and POOL_SLOTS == EngineSettings().pool_slots
    assert Place.parse("x:0:256:0").pool_slots == 10  # never fewer than a few slots
