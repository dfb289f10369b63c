"""``multiprocessing`` in the sandbox, as far as Lambda's Linux gives it.

Lambda has no /dev/shm, so whatever needs a semaphore (``Pool``, ``Queue``, ``Lock``,
``ProcessPoolExecutor`` ...) fails there with ``OSError: [Errno 38] Function not
implemented``; what works there is ``Process`` with ``Pipe``, the pattern AWS's blog
teaches for parallel work in a function (a process per item, each sending its result
through its end of a pipe, joined, then read).

The sandbox has no processes. As a non-daemon thread does here (``wasmhost_sandbox``), a
``Process`` runs its target to completion in ``start()``: ``join``, ``exitcode``,
``is_alive`` then answer as for a process that has finished, and a failure is printed
as a child's is (``Process Process-1:`` and its traceback) with exit code 1. A ``Pipe``
is a pair of in-memory connections; objects go through pickle as through a real pipe.
Unlike a child process, the target shares the function's memory (a global it changes
is changed). Semaphores fail as on Lambda.

``multiprocessing.Manager()`` works on Lambda (its server process needs no /dev/shm):
its proxies reach the objects the server holds. Processes here share the function's
memory, so the manager hands out the objects themselves: ``list()`` a list, ``dict()``
a dict, ``Queue()`` a ``queue.Queue``, ``Lock()`` threading's, ``Value``/``Array``/
``Namespace`` the managers module's own; a target that changes one is seen by the
parent, as through a proxy. A ``BaseManager`` subclass with types of its own still
needs a server process and fails.
"""

import builtins
import collections
import errno
import itertools
import os
import queue
import sys
import threading
import traceback

import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import multiprocessing.pool
import wasmhost_errors
import wasmhost_sdk

NO_SEMAPHORES = os.strerror(errno.ENOSYS)  # Lambda's words: it has no /dev/shm for sem_open
NEVER = ("recv() on an empty pipe would wait forever: in wasmhost's WebAssembly sandbox a Process runs "
         "to completion at start(), so nothing else can send")


def _semaphores(module):
    class SemLock:
        SEM_VALUE_MAX = 2147483647

        def __init__(self, *args, **kwargs):
            raise OSError(errno.ENOSYS, NO_SEMAPHORES)

    def sem_unlink(name):
        raise OSError(errno.ENOSYS, NO_SEMAPHORES)

    module.SemLock, module.sem_unlink, module.flags = SemLock, sem_unlink, {}


# -- Process --------------------------------------------------------------------------------
_pids = itertools.count(os.getpid() + 1)


class InlinePopen:
    """A finished child in place of ``popen_fork.Popen``: the process's target ran here."""

    method = "inline"
    sentinel = None

    def __init__(self, process):
        self.pid = next(_pids)
        try:
            process.run()
            self.returncode = 0
        except SystemExit as e:
            self.returncode = wasmhost_errors.exit_status(e)
        except BaseException:  # noqa: BLE001 - printed as multiprocessing's child prints it
            sys.stderr.write(f"Process {process.name}:\n")
            traceback.print_exc()
            self.returncode = 1
        sys.stdout.flush()
        sys.stderr.flush()

    def poll(self, flag=None):
        return self.returncode

    def wait(self, timeout=None):
        return self.returncode

    def terminate(self):
        pass

    kill = terminate

    def close(self):
        pass


# -- Pipe -----------------------------------------------------------------------------------
class Connection:
    """One end of a ``Pipe``: what ``multiprocessing.connection.Connection`` offers, over
    two queues of pickled messages."""

    def __init__(self, inbox, outbox, readable=True, writable=True):
        self._inbox, self._outbox = inbox, outbox
        self.readable, self.writable = readable, writable
        self.closed = False
        self.peer = None

    def _check(self, want):
        if self.closed:
            raise OSError("handle is closed")
        if not getattr(self, want):
            raise OSError(f"connection is {'write' if want == 'readable' else 'read'}-only")

    def send_bytes(self, buf, offset=0, size=None):
        self._check("writable")
        data = bytes(memoryview(buf)[offset:None if size is None else offset + size])
        self._outbox.append(data)

    def send(self, obj):
        self.send_bytes(multiprocessing.connection._ForkingPickler.dumps(obj))

    def recv_bytes(self, maxlength=None):
        self._check("readable")
        if not self._inbox:
            if self.peer is None or self.peer.closed:
                raise EOFError
            raise OSError(errno.EAGAIN, NEVER)
        data = self._inbox.popleft()
        if maxlength is not None and len(data) > maxlength:
            self.close()
            raise OSError("bad message length")
        return data

    def recv_bytes_into(self, buf, offset=0):
        data = self.recv_bytes()
        view = memoryview(buf)
        if len(view) - offset < len(data):
            raise multiprocessing.BufferTooShort(data)
        view[offset:offset + len(data)] = data
        return len(data)

    def recv(self):
        return multiprocessing.connection._ForkingPickler.loads(self.recv_bytes())

    def poll(self, timeout=0.0):
        self._check("readable")
        return bool(self._inbox) or self.peer is None or self.peer.closed

    def fileno(self):
        raise OSError(errno.EBADF, "an in-memory pipe has no file descriptor in wasmhost's sandbox")

    def close(self):
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def Pipe(duplex=True):
    a, b = collections.deque(), collections.deque()
    if duplex:
        one, two = Connection(a, b), Connection(b, a)
    else:
        one, two = Connection(a, b, writable=False), Connection(b, a, readable=False)
    one.peer, two.peer = two, one
    return one, two


# -- Manager ----------------------------------------------------------------------------------
class InlineManager:
    """``multiprocessing.Manager()`` (see the module's docstring): ``SyncManager``'s
    methods, each giving the object a proxy would stand for."""

    address = None

    def __init__(self, *args, **kwargs):
        pass

    def start(self, initializer=None, initargs=()):
        if initializer is not None:
            initializer(*initargs)

    def connect(self):
        pass

    def shutdown(self):
        pass

    def join(self, timeout=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()

    def list(self, sequence=()):
        return builtins.list(sequence)

    def dict(self, *args, **kwargs):
        return builtins.dict(*args, **kwargs)

    def Value(self, typecode, value, lock=True):
        from multiprocessing import managers  # on first use: not in the runtime's snapshot
        return managers.Value(typecode, value, lock)

    def Array(self, typecode, sequence, lock=True):
        from multiprocessing import managers
        return managers.Array(typecode, sequence, lock)

    def Namespace(self, **kwargs):
        from multiprocessing import managers
        return managers.Namespace(**kwargs)

    def Queue(self, maxsize=0):
        return queue.Queue(maxsize)

    JoinableQueue = Queue

    def Event(self):
        return threading.Event()

    def Lock(self):
        return threading.Lock()

    def RLock(self):
        return threading.RLock()

    def Semaphore(self, value=1):
        return threading.Semaphore(value)

    def BoundedSemaphore(self, value=1):
        return threading.BoundedSemaphore(value)

    def Condition(self, lock=None):
        return threading.Condition(lock)

    def Barrier(self, parties, action=None, timeout=None):
        return threading.Barrier(parties, action, timeout)

    def Pool(self, *args, **kwargs):  # semaphores in the server: it fails there as on Lambda
        return multiprocessing.pool.Pool(*args, **kwargs)


def _manager(self):
    return InlineManager()


def install():
    wasmhost_sdk.stand_in("_multiprocessing", _semaphores)
    multiprocessing.connection.Pipe = Pipe
    context = multiprocessing.context
    context.BaseContext.Manager = _manager
    multiprocessing.Manager = _manager.__get__(context._default_context)  # bound when multiprocessing was imported
    for name in ("Process", "ForkProcess", "SpawnProcess", "ForkServerProcess"):
        cls = getattr(context, name, None)
        if cls is not None:
            cls._Popen = staticmethod(InlinePopen)


install()
