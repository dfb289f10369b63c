"""The parent of ``wasmhost serve --workers N``.

It imports no Wasmtime and starts no threads: each worker is a fresh interpreter
(``subprocess``; forking a process that runs Wasmtime's or the epoch ticker's
threads is unsafe), told its place by ``--worker-of SERVER:INDEX:COUNT:STARTED``.
Worker 0 starts alone and the rest once it has restored every function, so they
load compiled artifacts from the cache instead of all compiling them at once
(minutes for a Python runtime on two cores).

Each worker binds its own ``SO_REUSEPORT`` socket: the kernel spreads connections
evenly over them (one shared accept queue favours a few warm workers). The
supervisor holds the port with a bound, never listening, socket of the same group,
so nothing else takes it while a worker restarts. A worker that dies is started
again, after a pause that doubles (0.5 s up to 30 s) while it keeps dying young.
A worker that is alive but hung (its event loop stopped answering: no heartbeat on
its pipe for ``hung_after_s``, worker.Heartbeat) is killed with SIGKILL and
restarted the same way.
SIGINT or SIGTERM stops every worker by pid (SIGTERM: each drains and flushes, as a
single ``serve`` does), SIGKILL after ``stop_timeout_s``; a worker whose
supervisor is killed outright gets SIGTERM from the kernel (``PR_SET_PDEATHSIG``),
so none is left behind."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

log = logging.getLogger("wasmhost.supervisor")

READY = b"R"  # what a worker writes on its --ready-fd once it has restored every function (then a beat a second)
MIN_BACKOFF_S, MAX_BACKOFF_S, STABLE_S = 0.5, 30.0, 30.0
HUNG_AFTER_S = 30.0


def _die_with_parent() -> None:  # in the child, before exec: nothing else runs in the supervisor
    os.setpgid(0, 0)  # a terminal's Ctrl-C reaches the supervisor only, which stops the workers in order
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers then outlive a supervisor killed with -9
        pass


@dataclass
class Worker:
    index: int
    proc: subprocess.Popen | None = None
    started: float = 0.0
    backoff_s: float = MIN_BACKOFF_S
    restart_at: float = 0.0
    ready_fd: int = -1
    restarts: int = 0
    last_beat: float = 0.0  # 0: not ready yet (restoring may take minutes: not watched for hangs)


class Supervisor:
    def __init__(self, command: list[str], workers: int, host: str, port: int, *,
                 stop_timeout_s: float = 30.0, hung_after_s: float = HUNG_AFTER_S) -> None:
        self.command, self.count, self.host, self.stop_timeout_s = command, workers, host, stop_timeout_s
        self.hung_after_s = hung_after_s
        self.server_id = uuid.uuid4().hex[:12]
        self.started_at = time.time()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._hold = socket.socket(family, socket.SOCK_STREAM)
        self._hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the workers' listeners: past TIME_WAIT
        self._hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self._hold.bind((host, port))  # the port is ours (and chosen, for port 0) before any worker runs
        self.port = self._hold.getsockname()[1]
        self.workers = [Worker(i) for i in range(workers)]
        self._stopping = False

    # -- processes ------------------------------------------------------------------
    def _spawn(self, w: Worker) -> None:
        read, write = os.pipe()
        os.set_inheritable(write, True)
        argv = [*self.command, "--port", str(self.port), "--ready-fd", str(write),
                "--worker-of", f"{self.server_id}:{w.index}:{self.count}:{self.started_at!r}"]
        w.proc = subprocess.Popen(argv, pass_fds=(write,), preexec_fn=_die_with_parent)
        os.close(write)
        w.ready_fd, w.started, w.last_beat = read, time.monotonic(), 0.0
        log.info("worker %d started (pid %d)%s", w.index, w.proc.pid,
                 f", restart {w.restarts}" if w.restarts else "")

    def _wait_ready(self, w: Worker, timeout_s: float) -> bool:
        """Until ``w`` says it is ready or exits (EOF on its pipe)."""
        import select
        deadline = time.monotonic() + timeout_s
        while not self._stopping and time.monotonic() < deadline:
            ready, _, _ = select.select([w.ready_fd], [], [], 0.2)
            if ready:
                if os.read(w.ready_fd, 1) != READY:
                    return False
                w.last_beat = time.monotonic()
                return True
        return False

    def _listen(self, timeout_s: float) -> None:
        """Read what the workers wrote on their pipes (ready, heartbeats), waiting at most ``timeout_s``."""
        import select
        fds = {w.ready_fd: w for w in self.workers if w.ready_fd >= 0}
        if not fds:
            time.sleep(timeout_s)
            return
        readable, _, _ = select.select(list(fds), [], [], timeout_s)
        now = time.monotonic()
        for fd in readable:
            w = fds[fd]
            if os.read(fd, 4096):
                w.last_beat = now
            else:  # closed: the worker exited (poll tells) or cannot beat; no longer watched for hangs
                self._reap(w)
                w.last_beat = 0.0

    def _reap(self, w: Worker) -> None:
        if w.ready_fd >= 0:
            os.close(w.ready_fd)
            w.ready_fd = -1

    # -- the loop -------------------------------------------------------------------
    def run(self) -> int:
        def stop(signum: int, _frame: object) -> None:
            self._stopping = True
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            first = self.workers[0]
            self._spawn(first)
            # a first compile of a Python runtime takes minutes
            if not self._wait_ready(first, timeout_s=3600.0) and not self._stopping and _exited(first):
                assert first.proc is not None
                log.error("worker 0 exited with %s before it was ready: not starting the others",
                          _describe(first.proc.returncode))
                return 1  # a bad option, example or data dir: restarting would only fail again
            for w in self.workers[1:]:
                if not self._stopping:
                    self._spawn(w)
            if not self._stopping:
                print(f"wasmhost serving on http://{self.host}:{self.port} with {self.count} workers "
                      f"(pids {' '.join(str(w.proc.pid) for w in self.workers if w.proc)})",
                      file=sys.stderr, flush=True)
            while not self._stopping:
                self._watch()
                self._listen(0.1)
        finally:
            self._stop_all()
            self._hold.close()
        return 0

    def _watch(self) -> None:
        now = time.monotonic()
        for w in self.workers:
            if w.proc is None:
                if now >= w.restart_at:
                    w.restarts += 1
                    self._spawn(w)
                continue
            code = w.proc.poll()
            if code is None:
                if now - w.started > STABLE_S:
                    w.backoff_s = MIN_BACKOFF_S  # it ran long enough: the next death restarts at once
                if w.last_beat and now - w.last_beat > self.hung_after_s:
                    log.error("worker %d (pid %d) has not answered for %.0f s: killed", w.index, w.proc.pid,
                              now - w.last_beat)
                    w.proc.kill()  # its loop cannot run a SIGTERM handler; the next pass restarts it
                    w.last_beat = 0.0
                continue
            self._reap(w)
            log.error("worker %d (pid %d) exited with %s; restarting in %.1f s", w.index, w.proc.pid,
                      _describe(code), w.backoff_s)
            w.proc, w.restart_at = None, now + w.backoff_s
            w.backoff_s = min(MAX_BACKOFF_S, w.backoff_s * 2)

    def _stop_all(self) -> None:
        running = [w for w in self.workers if w.proc is not None and w.proc.poll() is None]
        for w in running:
            assert w.proc is not None
            w.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        for w in running:
            assert w.proc is not None
            try:
                w.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("worker %d (pid %d) did not stop in %.0f s: killed", w.index, w.proc.pid,
                          self.stop_timeout_s)
                w.proc.kill()
                w.proc.wait()
        for w in self.workers:
            self._reap(w)


def _exited(w: Worker, wait_s: float = 10.0) -> bool:
    """After its pipe closed: did the worker exit (or only close the pipe)?"""
    assert w.proc is not None
    try:
        w.proc.wait(wait_s)
    except subprocess.TimeoutExpired:
        return False
    return True


def _describe(code: int) -> str:
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"status {code}"


def supervise(command: list[str], workers: int, host: str, port: int, hung_after_s: float = HUNG_AFTER_S) -> int:
    """Run ``command`` (a ``wasmhost serve`` without ``--port``) as ``workers``
    processes until SIGINT or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return Supervisor(command, workers, host, port, hung_after_s=hung_after_s).run()
