"""``wasmhost serve``: the HTTP server (Lambda REST API, /invoke, HTTP triggers,
/metrics) over a ``Host`` and the data directory."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .main import UsageError

EXAMPLES_DIR = Path(__file__).resolve().parent.parent.parent / "examples"


def _int_in(low: int, high: int, noun: str, name: str):
    """An argparse type: an integer from ``low`` to ``high``, with errors naming it."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} is {low}-{high}, not {value}")
        return value
    return parse


port = _int_in(0, 65535, "a port number", "a port")
_workers = _int_in(1, 256, "a number of worker processes", "--workers")


def _retention(text: str) -> tuple[float, ...]:
    """``--cluster-retention LEDGER_DAYS,LOGS_DAYS[,LEDGER_MB,LOGS_MB]``."""
    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) not in (2, 4) or any(x < 0 for x in parts):
        raise argparse.ArgumentTypeError(f"wants LEDGER_DAYS,LOGS_DAYS[,LEDGER_MB,LOGS_MB], numbers >= 0, not {text!r}")
    return parts


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def cmd_serve(args: argparse.Namespace) -> int:
    import asyncio
    import importlib.util
    import logging
    import socket

    if importlib.util.find_spec("aiohttp") is None:
        raise UsageError("`wasmhost serve` needs the server extra: pip install 'wasmhost[server]'")
    from ..server.auth import AuthConfig  # (the supervisor below imports nothing heavier: it runs no Wasm)

    if not args.debug:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    keys = {}
    for k in args.access_key:
        akid, sep, secret = k.partition(":")
        if not sep or not akid or not secret:
            raise UsageError(f"--access-key wants AKID:SECRET, not {k!r}")
        keys[akid] = secret
    auth = AuthConfig(required=not _is_loopback(args.host) or args.require_auth, keys=keys,
                      api_keys=set(args.server_api_keys))
    if auth.required and not keys and not auth.api_keys:
        raise UsageError(f"refusing to serve on {args.host} without credentials: pass --access-key AKID:SECRET "
                            "(SigV4, as boto3 and the aws CLI sign) and/or --api-key KEY, or bind to 127.0.0.1")
    if args.worker_of is None:  # (a worker's port is held by its supervisor)
        try:  # a clear word about a busy port, not a traceback from deep inside the event loop
            with socket.create_server((args.host, args.port), reuse_port=False):
                pass
        except OSError as e:
            raise UsageError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    examples = Path(args.examples) if args.examples else None
    if examples is not None and not examples.is_dir():
        raise UsageError(f"--examples {examples}: no such folder")
    workers = args.workers or (1 if args.cluster else len(os.sched_getaffinity(0)))
    if workers > 1 and args.worker_of is None:  # the supervisor: spawns the workers, runs no Wasm itself
        from ..server.workers.supervisor import supervise
        return supervise(_worker_command(args), workers, args.host, args.port, hung_after_s=args.hung_after_s)
    from .. import Host
    from ..server import serve
    from ..server.lambda_model import Registry, Service
    place = None
    if args.worker_of is not None:
        from ..engine import EngineSettings
        from ..server.workers.worker import Place
        place = Place.parse(args.worker_of)
    host = Host(args.data_dir, engine=EngineSettings(pool_slots=place.pool_slots) if place else None)
    cluster = _cluster(args, host.data_dir) if args.cluster else None
    service = Service(host, cluster.store if cluster else Registry(host.data_dir), retry_base_s=args.retry_base_s,
                      async_max_payload=args.async_max_payload)
    if cluster is not None:
        cluster.bind(service)

    def deploy_examples(service: Service) -> None:
        import base64

        import wasmtime
        for path in sorted(examples.glob("*.wat")):  # type: ignore[union-attr]
            if service.registry.get_function(path.stem) is None:
                wasm = wasmtime.wat2wasm(path.read_text())
                service.create_function({"FunctionName": path.stem, "Runtime": "wasm32",
                                         "Handler": f"{path.stem}.wasm", "Role": "local",
                                         "Code": {"ZipFile": base64.b64encode(wasm).decode()}})
                print(f"deployed example {path.stem}", file=sys.stderr)

    try:
        import uvloop  # optional: ~10-15 % more requests per second
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    # boto3 in a function reaches the buckets by itself (AWS_ENDPOINT_URL_S3 and a key: s3_functions.py),
    # through an endpoint bound now, so the functions restored before the server listens get it
    from ..server.sources.s3_functions import FunctionEndpoint, install
    endpoint = FunctionEndpoint()
    install(endpoint, service.deployer)

    def buckets(service: Service):  # built once the socket listens: its imports (aiohttp, the bucket store) wait till then
        from ..server.sources.buckets import BucketSource
        return BucketSource(service, host.data_dir, dict(b.split("=", 1) for b in args.bucket), auth=auth,
                            settle_s=args.bucket_settle_s, functions=endpoint)

    sources: list = [buckets]
    heartbeat = None
    if place is not None:
        from ..server.workers.worker import Heartbeat, elect_buckets, join, run_dir
        peers = join(service, place)
        heartbeat = Heartbeat(args.ready_fd, host) if args.ready_fd is not None else None
        lock = run_dir(host.data_dir) / "buckets.lock"
        sources = [lambda service: peers, lambda service: elect_buckets(buckets(service), peers, lock)]
        print(f"wasmhost worker {place.index} (pid {os.getpid()}) serving on http://{args.host}:{args.port}",
              file=sys.stderr, flush=True)
    else:
        print(f"wasmhost serving on http://{args.host}:{args.port} (data: {host.data_dir})", file=sys.stderr,
              flush=True)

    def on_start(service: Service) -> None:
        if examples is not None:
            deploy_examples(service)
        if heartbeat is not None:
            heartbeat.start()

    serve(service, args.host, args.port, auth=auth, fast_path=not args.no_fast_path, on_start=on_start,
          sources=sources, reuse_port=place is not None)
    return 0


def _cluster(args: argparse.Namespace, data_dir: Path):
    """This node's link to the cluster's engine (``--cluster``): a clear word when
    nats-py is missing or no server answers."""
    import importlib.util
    import socket
    if importlib.util.find_spec("nats") is None:
        raise UsageError("`wasmhost serve --cluster` needs the cluster extra: pip install 'wasmhost[cluster]'")
    from ..backends.nats import ClusterConfig
    from ..backends.registry import Unavailable
    from ..server.cluster import Cluster
    servers = tuple(u.strip() for u in args.cluster.split(",") if u.strip())
    for url in servers:
        if not url.startswith(("nats://", "tls://")):
            raise UsageError(f"--cluster wants nats://HOST:PORT[,nats://HOST:PORT...], not {url!r}")
    node = args.node or socket.gethostname()
    replicas = args.cluster_replicas or min(3, len(servers))
    limits: dict = {}
    if args.cluster_retention:
        from ..backends.nats.engine import DAY_S, MB
        r = args.cluster_retention
        limits = {"ledger_max_age_s": r[0] * DAY_S, "logs_max_age_s": r[1] * DAY_S}
        if len(r) == 4:
            limits.update(ledger_max_bytes=int(r[2] * MB), logs_max_bytes=int(r[3] * MB))
    try:
        return Cluster(ClusterConfig(servers, node, replicas=replicas, ack_wait_s=args.ack_wait_s, **limits),
                       data_dir)
    except Unavailable as e:
        raise UsageError(f"cannot reach the cluster at {args.cluster}: {e}") from None


def _worker_command(args: argparse.Namespace) -> list[str]:
    """This ``serve`` as one worker runs it: every option given, from the parser's
    own list (options added later pass through too), less the supervisor's."""
    argv = [sys.executable, "-m", "wasmhost.cli", "serve"]
    for action in args.serve_parser._actions:
        if not action.option_strings or action.dest in ("help", "port", "workers", "worker_of", "ready_fd",
                                                              "hung_after_s"):
            continue
        value = getattr(args, action.dest, None)
        flag = action.option_strings[0]
        if value is None or value is False:
            continue
        if value is True:
            argv.append(flag)
        elif isinstance(value, list):
            for v in value:
                argv += [flag, str(v)]
        else:
            argv += [flag, str(value)]
    return argv


def _bucket_arg(value: str) -> str:
    from ..buckets import BucketError
    from ..buckets.names import check_bucket_name
    name, sep, path = value.partition("=")
    if not sep or not name or not Path(path).is_dir():
        raise argparse.ArgumentTypeError(f"expected NAME=DIR with an existing directory, not {value!r}")
    try:
        check_bucket_name(name)
    except BucketError as e:
        raise argparse.ArgumentTypeError(f"{name!r}: {e.message} (S3's bucket names: 3-63 characters, lower-case "
                                         "letters, digits, dots and hyphens)") from None
    return value


def register(sub, parents) -> None:
    every, _client = parents
    p = sub.add_parser("serve", parents=[every],
                       help="run the HTTP server (Lambda REST API, /invoke, HTTP triggers, /metrics)")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default: 127.0.0.1; any other needs credentials)")
    p.add_argument("--port", type=port, default=9000, help="the port to listen on (default: 9000)")
    p.add_argument("--examples", nargs="?", const=str(EXAMPLES_DIR), default=None, metavar="DIR",
                   help="deploy the examples (or the .wat files of DIR) at start")
    p.add_argument("--access-key", action="append", default=[], metavar="AKID:SECRET",
                   help="a key SigV4 signatures are checked against (repeatable)")
    p.add_argument("--api-key", dest="server_api_keys", action="append", default=[], metavar="KEY",
                   help="a Bearer key accepted for /invoke, /http, /metrics, /wasmhost (repeatable)")
    p.add_argument("--require-auth", action="store_true", help="ask for credentials even on loopback")
    p.add_argument("--retry-base-s", type=float, default=60.0, metavar="SECONDS",
                   help="async retry backoff: base * 2^(attempt-1) seconds (Lambda waits about 1, then 2 minutes)")
    p.add_argument("--async-max-payload", type=int, default=1024 * 1024, metavar="BYTES",
                   help="largest asynchronous event (default: 1048576, Lambda's 1 MiB since October 2025)")
    p.add_argument("--bucket", action="append", default=[], metavar="NAME=DIR", type=_bucket_arg,
                   help="serve DIR as S3 bucket NAME and treat files other programs write there as uploads")
    p.add_argument("--bucket-settle-s", type=float, default=2.0, metavar="SECONDS",
                   help="a file seen without a close-after-write is complete once unchanged this long")
    p.add_argument("--cluster", metavar="nats://HOST:PORT[,...]",
                   help="be one node of a cluster: registry, code, async events and the ledger live in this NATS "
                        "JetStream cluster (see deploy/haproxy/ and the README's Cluster section)")
    p.add_argument("--node", metavar="NAME", help="this node's name in the cluster (default: the host name); "
                                                  "unique and stable across restarts")
    p.add_argument("--cluster-replicas", type=int, choices=(1, 3, 5), default=None, metavar="N",
                   help="JetStream replicas of the cluster's streams and buckets (default: 3, or 1 with one server)")
    p.add_argument("--ack-wait-s", type=float, default=30.0, metavar="SECONDS",
                   help="with --cluster: an async event a node claimed but did not finish (the node died) runs "
                        "elsewhere after this long (default: 30)")
    p.add_argument("--cluster-retention", type=_retention, default=None, metavar="LEDGER_DAYS,LOGS_DAYS[,LEDGER_MB,LOGS_MB]",
                   help="with --cluster: how long the ledger's reports and the guest log lines stay in the cluster's "
                        "streams, oldest dropped first (0: no limit; default: 30,7,512,256). All-time totals stay "
                        "exact whatever this says")
    p.add_argument("--no-fast-path", action="store_true",
                   help="let aiohttp's routes answer invocations too (slower; for comparison and debugging)")
    p.add_argument("--workers", type=_workers, default=None, metavar="N",
                   help="worker processes (default: one per core, with --cluster 1; 1: a single process). Each has its own "
                        "SO_REUSEPORT socket, warm pools and concurrency limits; a supervisor restarts one that dies")
    p.add_argument("--hung-after-s", type=float, default=30.0, metavar="SECONDS",
                   help="with --workers: a worker whose event loop has not answered for this long is killed and "
                        "restarted (default: 30; a long invocation or deploy does not count)")
    p.add_argument("--worker-of", default=None, help=argparse.SUPPRESS)  # SERVER:INDEX:COUNT:STARTED (supervisor.py)
    p.add_argument("--ready-fd", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_serve, serve_parser=p)
