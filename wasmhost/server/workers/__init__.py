"""``wasmhost serve --workers N``: one server made of N worker processes on one
machine and one data dir.

- supervisor.py: the parent. Creates no Wasmtime engine (nothing to fork unsafely):
  it spawns each worker as a fresh interpreter, restarts one that dies (with
  backoff), and stops them all by pid on SIGINT/SIGTERM.
- worker.py: what a worker adds to a plain ``serve``: its own ``SO_REUSEPORT``
  socket, its share of the pooling allocator's address space, its identity for
  event leases, the cross-process write lock, and the roles only one worker may
  hold at a time (bucket watching).
- peers.py: how ``/metrics`` and ``/wasmhost/logs`` answer for the whole server:
  the worker asked gathers the others' counters over local sockets.

Shared state lives where it did (SQLite WAL files, the artifact cache); what makes
it safe across processes lives with it: the registry's change signal and event
leases (lambda_model/store.py), message claims and schedule ticks
(sources/backends/sqlite.py)."""
