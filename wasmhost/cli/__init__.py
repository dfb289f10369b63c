"""The ``wasmhost`` command: a thin front end over ``Host`` and a running server.

``main.py`` assembles the parser and turns every error into one line on stderr;
each other module contributes subcommands through ``register(sub, common)``:
``local.py`` (run files in-process: invoke, examples, build, bench), ``remote.py``
(talk to ``wasmhost serve``: deploy, invoke, ls, rm, logs, dlq), ``serve.py``,
``sources.py`` (schedules, queues, event source mappings).
A new group of subcommands is a new module listed in ``main.COMMANDS``.
"""

from .main import main

__all__ = ["main"]
