"""How an exception reads in Lambda's error document and log: as on Lambda's Linux,
not as in the WebAssembly sandbox.

- ``OSError`` numbers and words: WASI numbers errors its own way (``ENOENT`` is 44, not
  2) and its C library (musl's) words some differently ("No child process"), so a
  ``FileNotFoundError`` read ``[Errno 44] No such file or directory`` where Lambda says
  ``[Errno 2]``. The guest's ``errno`` constants stay WASI's (the C library sets them,
  and code compares ``e.errno == errno.ENOENT``), so the number is put in Linux's terms
  where the error is reported, from the table below (Linux's numbers and glibc's words:
  a fixed ABI).
- The standard library's path: it is mounted at /python here; on Lambda it is
  /var/lang/lib/pythonX.Y, which is what a ``stackTrace`` frame or an ``ImportError``'s
  message names there. A ``stackTrace`` shows none of this runtime's own frames either
  (the call into the handler; the sandbox's stand-ins for what is C code on Lambda).
- ``SystemExit``: the exit status it ends a process with (the runtime's, a
  ``multiprocessing.Process``'s).
"""

import errno
import os
import sys
import traceback

# name: (Linux's number, glibc's words), for every name WASI's errno has
LINUX = {
    "EPERM": (1, "Operation not permitted"), "ENOENT": (2, "No such file or directory"),
    "ESRCH": (3, "No such process"), "EINTR": (4, "Interrupted system call"), "EIO": (5, "Input/output error"),
    "ENXIO": (6, "No such device or address"), "E2BIG": (7, "Argument list too long"),
    "ENOEXEC": (8, "Exec format error"), "EBADF": (9, "Bad file descriptor"), "ECHILD": (10, "No child processes"),
    "EAGAIN": (11, "Resource temporarily unavailable"), "ENOMEM": (12, "Cannot allocate memory"),
    "EACCES": (13, "Permission denied"), "EFAULT": (14, "Bad address"), "EBUSY": (16, "Device or resource busy"),
    "EEXIST": (17, "File exists"), "EXDEV": (18, "Invalid cross-device link"), "ENODEV": (19, "No such device"),
    "ENOTDIR": (20, "Not a directory"), "EISDIR": (21, "Is a directory"), "EINVAL": (22, "Invalid argument"),
    "ENFILE": (23, "Too many open files in system"), "EMFILE": (24, "Too many open files"),
    "ENOTTY": (25, "Inappropriate ioctl for device"), "ETXTBSY": (26, "Text file busy"),
    "EFBIG": (27, "File too large"), "ENOSPC": (28, "No space left on device"), "ESPIPE": (29, "Illegal seek"),
    "EROFS": (30, "Read-only file system"), "EMLINK": (31, "Too many links"),
    "EDOM": (33, "Numerical argument out of domain"), "ERANGE": (34, "Numerical result out of range"),
    "EDEADLK": (35, "Resource deadlock avoided"), "ENAMETOOLONG": (36, "File name too long"),
    "ENOLCK": (37, "No locks available"), "ENOSYS": (38, "Function not implemented"),
    "ENOTEMPTY": (39, "Directory not empty"), "ELOOP": (40, "Too many levels of symbolic links"),
    "ENOMSG": (42, "No message of desired type"), "EIDRM": (43, "Identifier removed"),
    "ENOLINK": (67, "Link has been severed"), "EPROTO": (71, "Protocol error"),
    "EMULTIHOP": (72, "Multihop attempted"), "EBADMSG": (74, "Bad message"),
    "EOVERFLOW": (75, "Value too large for defined data type"),
    "EILSEQ": (84, "Invalid or incomplete multibyte or wide character"),
    "ENOTSOCK": (88, "Socket operation on non-socket"), "EDESTADDRREQ": (89, "Destination address required"),
    "EMSGSIZE": (90, "Message too long"), "EPROTOTYPE": (91, "Protocol wrong type for socket"),
    "ENOPROTOOPT": (92, "Protocol not available"), "EPROTONOSUPPORT": (93, "Protocol not supported"),
    "ENOTSUP": (95, "Operation not supported"), "EAFNOSUPPORT": (97, "Address family not supported by protocol"),
    "EADDRINUSE": (98, "Address already in use"), "EADDRNOTAVAIL": (99, "Cannot assign requested address"),
    "ENETDOWN": (100, "Network is down"), "ENETUNREACH": (101, "Network is unreachable"),
    "ENETRESET": (102, "Network dropped connection on reset"),
    "ECONNABORTED": (103, "Software caused connection abort"), "ECONNRESET": (104, "Connection reset by peer"),
    "ENOBUFS": (105, "No buffer space available"), "EISCONN": (106, "Transport endpoint is already connected"),
    "ENOTCONN": (107, "Transport endpoint is not connected"),
    "ESHUTDOWN": (108, "Cannot send after transport endpoint shutdown"), "ETIMEDOUT": (110, "Connection timed out"),
    "ECONNREFUSED": (111, "Connection refused"), "EHOSTUNREACH": (113, "No route to host"),
    "EALREADY": (114, "Operation already in progress"), "EINPROGRESS": (115, "Operation now in progress"),
    "ESTALE": (116, "Stale file handle"), "EDQUOT": (122, "Disk quota exceeded"),
    "ECANCELED": (125, "Operation canceled"), "EOWNERDEAD": (130, "Owner died"),
    "ENOTRECOVERABLE": (131, "State not recoverable"),
}
_ERRNO = {getattr(errno, name): (code, words, os.strerror(getattr(errno, name)))
          for name, (code, words) in LINUX.items() if hasattr(errno, name)}

STDLIB = "/python/"
RUNTIME = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wasmhost_")  # this runtime's own files


def stdlib_path(runtime):
    """Where Lambda's ``runtime`` (python3.12 ...) keeps the standard library."""
    return f"/var/lang/lib/{runtime}/"


def message(exc, runtime):
    """``str(exc)`` as Lambda's runtime would give it."""
    text = str(exc)
    if isinstance(exc, OSError) and exc.errno in _ERRNO:
        code, words, wasi_words = _ERRNO[exc.errno]
        prefix = f"[Errno {exc.errno}] {exc.strerror}"
        if text.startswith(prefix):  # the C library's words, or the raiser's own
            text = f"[Errno {code}] {words if exc.strerror == wasi_words else exc.strerror}" + text[len(prefix):]
    elif isinstance(exc, ImportError) and (exc.path or "").startswith(STDLIB):
        text = text.replace(f"({exc.path})", f"({stdlib_path(runtime)}{exc.path[len(STDLIB):]})")
    return text


def exit_status(exc):
    """The exit status a ``SystemExit`` ends a process with, its message printed to
    stderr as Python prints it (``sys.exit("why")``: status 1)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def frames(tb, runtime):
    """The traceback's frames as awslambdaric formats a ``stackTrace``: from (file, line,
    function, source) tuples, so without the column markers (``^^^``) of Python's own
    tracebacks; the standard library's under Lambda's path. This runtime's own frames
    are left out: the call into the handler, and the sandbox's stand-ins for what is C
    code on Lambda (a socket's refusal, ``time.sleep``), which a trace there does not show."""
    lambdas = stdlib_path(runtime)
    return traceback.format_list([
        (lambdas + f.filename[len(STDLIB):] if f.filename.startswith(STDLIB) else f.filename, f.lineno, f.name, f.line)
        for f in traceback.extract_tb(tb) if not f.filename.startswith(RUNTIME)])


def log_text(etype, message, trace):
    """The error as awslambdaric's text log writes it: ``[ERROR] Type: message``, then the
    traceback, each line's indentation in no-break spaces (U+00A0)."""
    lines = [f"[ERROR] {etype}: {message}" if message else f"[ERROR] {etype}", "Traceback (most recent call last):"]
    for element in trace:
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    return "\n".join(lines) + "\n"
