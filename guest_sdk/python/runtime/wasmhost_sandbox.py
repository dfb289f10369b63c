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
- anyio's ``to_thread.run_sync`` (Starlette's and FastAPI's ``run_in_threadpool``: every
  plain ``def`` endpoint and dependency) runs the call in place, as ``submit`` does: its
  worker thread would otherwise run inline too, waiting forever on a queue no thread fills.
- ``threading.Timer``: ``start()`` does not wait for the interval (that would hold the
  handler up, which Lambda's timers never do): the timer is kept, and its function runs
  once it is due, at the end of the invocation that finds it so (a timer set to fire
  after the function returned fires in a later invocation, as a thread frozen with
  Lambda's environment does when it thaws), or at ``join()``. ``cancel()`` stops it, as
  before: crhelper's custom resources guard their deadline with a Timer they cancel.
- ``fcntl``, ``pwd``, ``grp`` (C modules WASI's CPython lacks; Lambda's has them):
  ``fcntl``'s locks are granted at once (one instance is one single-threaded process,
  and no other process shares its files); ``pwd``/``grp`` know Lambda's one user
  (``getpass.getuser()`` and ``~`` answer as on Lambda).
- ``ssl``: the standard library's own, over ``wasmhost_ssl`` standing in for ``_ssl``
  (OpenSSL's binding): contexts are made and configured as libraries do, HTTPS goes
  through the host, TLS over a socket fails saying why. It is imported here, at build
  time, into the runtime's snapshot: urllib3, botocore and asyncio import it when it
  exists, and its import costs ~11 ms in the sandbox, which a boto3 function would pay.
- ``time.tzset()`` (WASI's C library has no time zones): local time is UTC here, as
  on Lambda, whose ``TZ`` (``:UTC``) a function cannot change; Powertools' Logger with
  ``utc=True`` calls it.
- ``signal.alarm`` (a handler's guard against its own timeout: set a second or so
  before the deadline, cleared with ``alarm(0)`` at the end): there are no signals
  here, so the alarm is kept as a due time; ``alarm()`` answers the seconds left of the
  one it replaces, as Linux's does, and a ``time.sleep`` that reaches the due time
  calls the ``SIGALRM`` handler there (code running without sleeping cannot be
  interrupted: the host's timeout ends it instead).
- ``resource`` (a C module WASI's CPython lacks; handlers import it to log their memory
  or check their file limit): ``getrlimit`` answers Lambda's limits (1,024 open files,
  742 processes, an 8 MB stack, 10 GB core files, 64 KB locked memory, the rest
  unlimited: what a python3.12 function there reports) and
  ``setrlimit`` keeps a lowered one, refusing a raise past the hard limit as Linux does;
  ``getrusage`` gives the CPU time the instance used (``ru_maxrss`` is 0: the instance's memory is
  the host's to measure, in the invocation's ``REPORT`` line).
- ``/dev/null``, ``/dev/urandom``, ``/dev/stdout`` and ``/dev/stderr`` (``open(os.devnull,
  "w")`` to silence a chatty library; older code reading random bytes from the device;
  ``logging.FileHandler("/dev/stdout")``): WASI has no /dev, so ``open`` answers these
  paths with a file object of its own that discards what is written and reads nothing
  (``null``), reads ``os.urandom`` bytes, or writes to the function's log; it has no file
  descriptor (``fileno()`` fails saying why), and ``os.open`` of them still fails.
- Writing outside /tmp (``open("report.csv", "w")`` in the working directory, a
  common slip): Lambda's file system is read-only there (``OSError: [Errno 30]
  Read-only file system``); WASI refuses a read-only mount's write with ``EPERM``, a
  ``PermissionError``. ``open``, ``os.open``, ``os.mkdir`` (``makedirs``), ``os.remove``,
  ``os.unlink``, ``os.rmdir``, ``os.rename`` and ``os.replace`` answer Lambda's error.
- The empty path: WASI resolves ``""`` to the working directory, so
  ``os.path.exists("")`` was true and ``os.remove("")`` tried to remove /var/task
  (cleanup code like ``if os.path.exists(path): os.remove(path)`` with a path never
  set); on Linux it names nothing: ``open``, ``os.stat``, ``lstat``, ``listdir``,
  ``scandir``, ``chdir`` and the functions above raise ``FileNotFoundError`` for it.
- ``shutil.disk_usage`` of /tmp: the function's ephemeral storage (the runtime sets
  its size at init) and what /tmp holds; WASI has no ``statvfs``.
- ``lzma``, ``bz2``, ``ctypes`` are native libraries the sandbox's CPython was built
  without (Lambda's has them): importing one fails with a ``ModuleNotFoundError`` that
  says so (a ``try: import lzma`` fallback, as ``tarfile``'s, still takes its branch).
"""

import builtins
import collections
import concurrent.futures
import concurrent.futures.thread
import contextvars
import errno
import io
import os
import signal  # at the top: a function's own signal.py must not answer the alarm (see wasmhost_runtime)
import socket
import sys
import threading
import time
import types

import wasmhost_sdk
import wasmhost_ssl  # small, in the build's snapshot; the standard library's ssl.py is read on first import

NO_SOCKETS = ("sockets are not available in wasmhost's WebAssembly sandbox: outbound HTTP goes through the "
              "host (urllib, http.client, requests, urllib3, httpx, aiohttp, boto3, with the function's "
              "allowed_hosts)")
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


_timers: list = []  # started threading.Timers that are not due yet, or not yet run


def _start_timer(self):
    if type(self).run is not _timer_run:  # a subclass's own loop: a thread like any other
        return _start_inline(self)
    try:
        return _start(self)  # fails: no threads (it readies the thread's handle for _set_done)
    except RuntimeError:
        if self._started.is_set():
            raise
    self._started.set()
    self._due = time.monotonic() + self.interval
    _timers.append(self)


def _fire(timer):
    _timers.remove(timer)
    try:
        if not timer.finished.is_set():
            timer.function(*timer.args, **timer.kwargs)
    except BaseException:  # noqa: BLE001 - reported as an uncaught exception in a thread is
        threading.excepthook(threading.ExceptHookArgs((*sys.exc_info(), timer)))
    finally:
        timer.finished.set()
        timer._os_thread_handle._set_done()


def _join_timer(self, timeout=None):
    if self in _timers:
        wait = self._due - time.monotonic()
        if timeout is not None and wait > timeout:
            time.sleep(max(timeout, 0))
            return
        if wait > 0 and not self.finished.is_set():
            time.sleep(wait)
        _fire(self)
        return
    _timer_join(self, timeout)


def _timer_alive(self):
    return self in _timers or _thread_alive(self)


def run_due_timers():
    """Run the timers that are due (or drop the cancelled ones): the runtime calls this
    at the end of each invocation."""
    now = time.monotonic()
    for timer in [t for t in _timers if t.finished.is_set() or t._due <= now]:
        _fire(timer)


_timer_run, _timer_join, _thread_alive = threading.Timer.run, threading.Timer.join, threading.Thread.is_alive


def _no_self_pipe(module):
    loop = module.BaseSelectorEventLoop
    loop._make_self_pipe = loop._close_self_pipe = loop._write_to_self = lambda self: None


# Lambda's sandbox user (what pwd/getpass answer there)
USER = ("sbx_user1051", "x", 993, 990, "", "/home/sbx_user1051", "/sbin/nologin")


def _fcntl(module):
    names = {"LOCK_SH": 1, "LOCK_EX": 2, "LOCK_NB": 4, "LOCK_UN": 8, "F_DUPFD": 0, "F_GETFD": 1, "F_SETFD": 2,
             "F_GETFL": 3, "F_SETFL": 4, "F_GETLK": 5, "F_SETLK": 6, "F_SETLKW": 7, "FD_CLOEXEC": 1,
             "F_RDLCK": 0, "F_WRLCK": 1, "F_UNLCK": 2}
    module.__dict__.update(names)

    def fileno(fd):
        return fd if isinstance(fd, int) else fd.fileno()

    def flock(fd, operation):
        fileno(fd)  # a closed file fails as it would

    def lockf(fd, cmd, len=0, start=0, whence=0):
        fileno(fd)

    def fcntl(fd, cmd, arg=0):
        fileno(fd)
        return arg if isinstance(arg, (bytes, str)) else 0

    def ioctl(fd, request, arg=0, mutate_flag=True):
        raise OSError(errno.ENOTTY, "Inappropriate ioctl for device")

    module.flock, module.lockf, module.fcntl, module.ioctl = flock, lockf, fcntl, ioctl


def _pwd(module):
    import collections
    struct = collections.namedtuple("struct_passwd", "pw_name pw_passwd pw_uid pw_gid pw_gecos pw_dir pw_shell")
    user = struct(*USER)

    def getpwuid(uid):
        if uid != user.pw_uid:
            raise KeyError(f"getpwuid(): uid not found: {uid}")
        return user

    def getpwnam(name):
        if name != user.pw_name:
            raise KeyError(f"getpwnam(): name not found: '{name}'")
        return user

    module.struct_passwd = struct
    module.getpwuid, module.getpwnam, module.getpwall = getpwuid, getpwnam, lambda: [user]


def _grp(module):
    import collections
    struct = collections.namedtuple("struct_group", "gr_name gr_passwd gr_gid gr_mem")
    group = struct(USER[0], "x", USER[3], [])

    def getgrgid(gid):
        if gid != group.gr_gid:
            raise KeyError(f"getgrgid(): gid not found: {gid}")
        return group

    def getgrnam(name):
        if name != group.gr_name:
            raise KeyError(f"getgrnam(): name not found: '{name}'")
        return group

    module.struct_group = struct
    module.getgrgid, module.getgrnam, module.getgrall = getgrgid, getgrnam, lambda: [group]


def _ids():
    """WASI has no user ids: Lambda's."""
    for name, value in (("getuid", USER[2]), ("geteuid", USER[2]), ("getgid", USER[3]), ("getegid", USER[3])):
        if not hasattr(os, name):
            setattr(os, name, lambda value=value: value)


RLIM_INFINITY = -1
RLIMITS = {"RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4,
           "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9,
           "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
           "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15}  # Linux's numbers
# as Lambda answers (python3.12, x86_64, recorded against AWS in localstack's test_runtime_ulimits snapshot)
LAMBDA_LIMITS = {7: (1024, 1024), 6: (742, 742), 3: (8 << 20, RLIM_INFINITY), 4: (10 << 30, 10 << 30),
                 8: (65536, 65536)}


def _resource(module):
    module.__dict__.update(RLIMITS, RLIM_INFINITY=RLIM_INFINITY, RUSAGE_SELF=0, RUSAGE_CHILDREN=-1,
                           RUSAGE_BOTH=-2, RUSAGE_THREAD=1, error=OSError)
    limits = {}
    fields = ("ru_utime ru_stime ru_maxrss ru_ixrss ru_idrss ru_isrss ru_minflt ru_majflt ru_nswap ru_inblock "
              "ru_oublock ru_msgsnd ru_msgrcv ru_nsignals ru_nvcsw ru_nivcsw").split()
    module.struct_rusage = struct = collections.namedtuple("struct_rusage", fields)

    def known(which):
        if which not in RLIMITS.values():
            raise ValueError("invalid resource specified")
        return limits.get(which, LAMBDA_LIMITS.get(which, (RLIM_INFINITY, RLIM_INFINITY)))

    def getrlimit(which):
        return known(which)

    def setrlimit(which, new):
        soft, hard = new  # a wrong shape fails as CPython's: a tuple of two integers
        old_hard = known(which)[1]
        if old_hard != RLIM_INFINITY and (hard == RLIM_INFINITY or hard > old_hard):
            raise ValueError("not allowed to raise maximum limit")
        if hard != RLIM_INFINITY and (soft == RLIM_INFINITY or soft > hard):
            raise ValueError("current limit exceeds maximum limit")
        limits[which] = (soft, hard)

    def getrusage(who):
        if who not in (0, -1, -2, 1):
            raise ValueError("invalid who parameter")
        used = time.process_time() - CPU_START if who != -1 else 0.0  # no children: a Process runs in this one
        return struct(used, 0.0, *([0] * 14))

    module.getrlimit, module.setrlimit, module.getrusage = getrlimit, setrlimit, getrusage
    module.getpagesize = lambda: 4096  # Lambda's


DEVICES = ("/dev/null", "/dev/urandom", "/dev/random", "/dev/stdout", "/dev/stderr")
STREAMS = {"/dev/stdout": "stdout", "/dev/stderr": "stderr"}  # what is written goes to the function's log


class Device(io.RawIOBase):
    """``/dev/null`` or a random device, opened with ``open`` (see the module's docstring)."""

    def __init__(self, name, mode):
        super().__init__()
        self.name, self.mode = name, mode
        self._readable = "r" in mode or "+" in mode
        self._writable = not ("r" in mode and "+" not in mode)

    def readable(self):
        return self._readable

    def writable(self):
        return self._writable

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        return 0  # as Linux's devices answer: nothing to move through

    def readinto(self, buffer):
        if not self._readable:
            raise io.UnsupportedOperation("read")
        if self.name == "/dev/null":
            return 0
        view = memoryview(buffer).cast("B")
        view[:] = os.urandom(len(view))
        return len(view)

    def write(self, data):
        if not self._writable:
            raise io.UnsupportedOperation("write")
        stream = STREAMS.get(self.name)
        if stream is not None:  # after what print() has buffered, as one process's writes to fd 1 are
            stream = getattr(sys, stream)
            stream.flush()
            stream.buffer.write(bytes(data))
            stream.buffer.flush()
        return memoryview(data).nbytes

    def fileno(self):
        raise OSError(errno.EBADF, f"{self.name} has no file descriptor in wasmhost's WebAssembly sandbox (WASI has no "
                                   "devices): it is a file object of the runtime's")


_open = io.open


def open(file, mode="r", buffering=-1, encoding=None, errors=None, newline=None, closefd=True, opener=None):
    path = file if type(file) is str else os.fspath(file) if isinstance(file, os.PathLike) else None
    if file == "" or file == b"":
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), file)
    if path not in DEVICES:
        try:
            return _open(file, mode, buffering, encoding, errors, newline, closefd, opener)
        except PermissionError as e:
            error = _read_only(e, file)
            if error is None:
                raise
            raise error from None
    raw = Device(path, mode)
    if "b" in mode and buffering == 0:
        return raw
    buffered = (io.BufferedRandom if raw.readable() and raw.writable() else
                io.BufferedReader if raw.readable() else io.BufferedWriter)(raw)
    if "b" in mode:
        return buffered
    text = io.TextIOWrapper(buffered, encoding or "utf-8", errors, newline, line_buffering=buffering == 1)
    text.mode = mode
    return text


def _read_only(exc, path, other=None):
    """Lambda's error for ``exc`` if it is WASI refusing a write to a read-only mount (see
    the module's docstring), else None."""
    if exc.errno != errno.EPERM or not isinstance(path, (str, bytes, os.PathLike)):
        return None
    real = os.path.abspath(os.fsdecode(path))
    if real == "/tmp" or real.startswith("/tmp/"):
        return None
    return OSError(errno.EROFS, os.strerror(errno.EROFS), path, None, other)


def _as_on_linux(call):
    """``call`` (an ``os`` function taking a path first) answering the empty path and a
    read-only mount's refusal as Linux does on Lambda (see the module's docstring)."""
    def guarded(*args, **kwargs):
        path = args[0] if args else kwargs.get("path", kwargs.get("src"))  # listdir() and scandir(): "."
        if path == "" or path == b"":
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
        try:
            return call(*args, **kwargs)
        except PermissionError as e:
            other = args[1] if call.__name__ in ("rename", "replace") and len(args) > 1 else kwargs.get("dst")
            error = None if kwargs.get("dir_fd") is not None else _read_only(e, path, other)  # dir_fd: a path we cannot tell
            if error is None:
                raise
            raise error from None
    guarded.__name__ = guarded.__qualname__ = call.__name__
    guarded.__doc__ = call.__doc__
    return guarded


def _tzset():
    if not hasattr(time, "tzset"):
        time.tzset = lambda: None


def _ssl(module):
    module.__dict__.update({k: v for k, v in vars(wasmhost_ssl).items()
                            if not k.startswith("__") and not isinstance(v, types.ModuleType)})


def _no_tls_socket(cls, *args, **kwargs):
    raise wasmhost_ssl.SSLError(wasmhost_ssl.SSL_ERROR_SSL, wasmhost_ssl.NO_TLS)


def _no_connection(*args, **kwargs):
    raise OSError(errno.EACCES, NO_SOCKETS)


_alarm = None  # the pending SIGALRM's due time (time.monotonic()), if any
_sleep = time.sleep
TMP_BYTES = 512 << 20  # the function's ephemeral storage (set at init)
CPU_START = 0.0  # time.process_time() when the instance began (set at init: the snapshot's clock counts from the build)


def alarm(seconds):
    global _alarm
    now = time.monotonic()
    left = 0 if _alarm is None else max(1, round(_alarm - now))  # a pending alarm has a second left at least
    _alarm = now + seconds if seconds > 0 else None
    return left


def _sleep_until_alarm(secs):
    due = _alarm
    if due is None or secs < due - time.monotonic():
        return _sleep(secs)
    end = time.monotonic() + secs
    _sleep(max(0.0, due - time.monotonic()))
    _ring()
    _sleep(max(0.0, end - time.monotonic()))


def _ring():
    global _alarm
    _alarm = None
    action = signal.getsignal(signal.SIGALRM)
    if callable(action):
        action(signal.SIGALRM, sys._getframe(2))
    elif action != signal.SIG_IGN:  # SIG_DFL: the alarm ends the process
        sys.stdout.flush()
        os._exit(1)


DiskUsage = collections.namedtuple("usage", "total used free")  # shutil's, which it makes only with statvfs


def disk_usage(path):
    os.stat(path)  # a missing path fails as it would
    real = os.path.realpath(path)
    if real != "/tmp" and not real.startswith("/tmp/"):
        raise OSError(errno.ENOSYS, f"disk usage is known only for /tmp (the function's ephemeral storage) in "
                                    f"wasmhost's WebAssembly sandbox: {path!r}")
    used = sum(os.lstat(os.path.join(folder, f)).st_size for folder, _, files in os.walk("/tmp") for f in files)
    return DiskUsage(TMP_BYTES, used, max(0, TMP_BYTES - used))


_COMPRESSION = "that wasmhost's WebAssembly sandbox does not have (gzip, zlib and zipfile's deflate work)"
NATIVE_LIBRARIES = {"_lzma": f"lzma (.xz) compression is native code (liblzma) {_COMPRESSION}",
                    "_bz2": f"bz2 compression is native code (libbz2) {_COMPRESSION}",
                    "_ctypes": "ctypes calls native libraries, which cannot run in wasmhost's WebAssembly sandbox"}


def _native_library(module):
    name = module.__name__
    raise ModuleNotFoundError(f"No module named '{name}': {NATIVE_LIBRARIES[name]}", name=name)


def _to_thread_in_place(module):
    async def run_sync(func, *args, abandon_on_cancel=False, cancellable=None, limiter=None):
        return contextvars.copy_context().run(func, *args)  # a copy, as anyio gives its worker thread

    run_sync.__doc__ = module.run_sync.__doc__
    module.run_sync = run_sync


def install():
    socket.socket = SandboxSocket
    builtins.open = io.open = open
    for name in ("open", "mkdir", "remove", "unlink", "rmdir", "rename", "replace", "stat", "lstat", "listdir", "scandir",
                 "chdir"):
        call = getattr(os, name)
        setattr(os, name, _as_on_linux(call))
        for supports in (os.supports_dir_fd, os.supports_fd, os.supports_follow_symlinks):
            if call in supports:  # what shutil and pathlib ask before passing dir_fd
                supports.add(getattr(os, name))
    concurrent.futures.thread.ThreadPoolExecutor.submit = _submit
    threading.Thread.start = _start_inline
    threading.Timer.start, threading.Timer.join, threading.Timer.is_alive = _start_timer, _join_timer, _timer_alive
    wasmhost_sdk.after_import("asyncio.selector_events", _no_self_pipe)
    wasmhost_sdk.after_import("anyio.to_thread", _to_thread_in_place)
    wasmhost_sdk.stand_in("fcntl", _fcntl, fallback=True)
    wasmhost_sdk.stand_in("pwd", _pwd)
    wasmhost_sdk.stand_in("grp", _grp, fallback=True)
    wasmhost_sdk.stand_in("resource", _resource, fallback=True)
    wasmhost_sdk.stand_in("_ssl", _ssl)
    socket.create_connection = _no_connection  # not a name lookup failing unexplained first
    import ssl
    ssl.SSLSocket._create = classmethod(_no_tls_socket)  # wrap_socket: before it asks the socket anything
    _ids()
    _tzset()
    import shutil
    signal.alarm = alarm
    shutil.disk_usage = disk_usage
    time.sleep = _sleep_until_alarm
    for name in NATIVE_LIBRARIES:
        wasmhost_sdk.stand_in(name, _native_library)


install()
