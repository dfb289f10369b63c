"""The standard library adjusted to the WebAssembly sandbox, where there are no sockets
and no threads, so that code written for Lambda runs instead of failing at the first
library that assumes them:

- ``socket.socket``: making one succeeds (libraries make theirs at import, like the
  X-Ray SDK's UDP emitter that Powertools' Tracer loads); talking through one fails
  with an ``OSError`` saying that outbound HTTP goes through the host.
- ``asyncio``: its event loop runs without the self-pipe (a socket pair that only
  wakes it from other threads or signals, which cannot happen here).
- ``ThreadPoolExecutor.submit`` runs the call at once and returns its finished
  ``Future`` (``map``, ``as_completed``, ``wait`` work unchanged); a non-daemon
  ``Thread`` runs its target to completion in ``start()``. A daemon thread, which
  usually loops forever in the background, fails to start with a clear error.
"""

import concurrent.futures
import concurrent.futures.thread
import errno
import socket
import sys
import threading

import wasmhost_sdk

NO_SOCKETS = ("sockets are not available in wasmhost's WebAssembly sandbox: outbound HTTP goes through the "
              "host (urllib, http.client, requests, boto3, with the function's allowed_hosts)")
NO_THREADS = ("threads cannot run in wasmhost's WebAssembly sandbox: a daemon thread (a background loop) "
              "cannot start; non-daemon threads and ThreadPoolExecutor run their work at once")


class SandboxSocket(socket.socket):
    """``socket.socket`` without a socket underneath (see the module's docstring)."""

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        try:
            super().__init__(family, type, proto, fileno)
        except OSError:
            self._io_refs, self._closed = 0, False

    def _refuse(self, *args, **kwargs):
        raise OSError(errno.EACCES, NO_SOCKETS)

    connect = connect_ex = bind = listen = accept = send = sendall = sendto = _refuse
    recv = recvfrom = recv_into = recvfrom_into = sendfile = _refuse

    def setblocking(self, flag):
        pass

    def settimeout(self, value):
        pass

    def setsockopt(self, *args):
        pass


def _submit(self, fn, /, *args, **kwargs):
    if self._shutdown:
        raise RuntimeError("cannot schedule new futures after shutdown")
    future = concurrent.futures.Future()
    try:
        future.set_result(fn(*args, **kwargs))
    except BaseException as e:  # noqa: BLE001 - the future carries it, as a worker thread's would
        future.set_exception(e)
    return future


_start = threading.Thread.start


def _start_inline(self):
    try:
        _start(self)
    except RuntimeError:
        if self._started.is_set():
            raise
        if self.daemon:
            raise RuntimeError(NO_THREADS) from None
        self._started.set()
        try:
            self.run()
        except BaseException:  # noqa: BLE001 - reported as an uncaught exception in a thread is
            threading.excepthook(threading.ExceptHookArgs((*sys.exc_info(), self)))
        finally:
            self._os_thread_handle._set_done()


def _no_self_pipe(module):
    loop = module.BaseSelectorEventLoop
    loop._make_self_pipe = loop._close_self_pipe = loop._write_to_self = lambda self: None


def install():
    socket.socket = SandboxSocket
    concurrent.futures.thread.ThreadPoolExecutor.submit = _submit
    threading.Thread.start = _start_inline
    wasmhost_sdk.after_import("asyncio.selector_events", _no_self_pipe)


install()
