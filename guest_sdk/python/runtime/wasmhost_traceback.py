"""Tracebacks printed as the function's own runtime prints them.

Why: handlers return and log ``traceback.format_exc()`` (an error's text in a response,
Powertools' batch failure reasons), and Python 3.13 changed how a frame reads — the
sandbox's CPython is 3.14: a statement over several lines is printed whole (``x = f(``
and every argument line after it) and a call that is the whole line gets markers
(``~~~~~^^``). Lambda's python3.12, the runtime most functions name, prints the
statement's first line, markers under the failing part of it, and none under an
expression that is the whole line; python3.9 and 3.10 print the line alone (markers
came in 3.11). A function whose runtime is older than 3.13 gets its runtime's form; the
rest of the traceback (its header, chained exceptions, ``[Previous line repeated]``) did
not change.

Checked against what CPython 3.9-3.12 print for the same code (tests/runtimes/
tracebacks/). For every version, frames of this runtime and of its stand-ins for native
modules (pydantic-core's) are left out, as a native module's are. What is not the
traceback's form stays 3.14's: a list comprehension has no
frame of its own (3.12 inlined them; 3.11 shows one), and a few messages changed
(``int // 0``: 3.12's "integer division or modulo by zero" is "division by zero").
"""

import ast
import functools
import linecache
import os
import traceback

import wasmhost_errors


class _Anchors:
    def __init__(self, left_end_offset, right_start_offset):
        self.left_end_offset, self.right_start_offset = left_end_offset, right_start_offset


def _anchors_312(segment):
    """The ``~``/``^`` split of a one-line expression, as 3.11/3.12 made it: only for a
    binary operation (``^`` under the operator: its first character, and the second when
    that is not a space, after any space and closing parentheses between the left operand
    and it) or a subscript (``^`` from its ``[`` to its ``]``); 3.13 added calls and
    changed how an operator after a parenthesised operand is found."""
    try:
        body = ast.parse(segment).body
    except SyntaxError:
        return None
    if len(body) != 1 or not isinstance(body[0], ast.Expr):
        return None
    expr = body[0].value
    chars = functools.partial(traceback._byte_offset_to_character_offset, segment)
    if isinstance(expr, ast.BinOp):
        gap = segment[chars(expr.left.end_col_offset):chars(expr.right.col_offset)]
        spaces = len(gap) - len(gap.lstrip())
        left = chars(expr.left.end_col_offset) + spaces
        right = left + (2 if spaces + 1 < len(gap) and not gap[spaces + 1].isspace() else 1)
        while left < len(segment) and (segment[left].isspace() or segment[left] in ")#"):
            left, right = left + 1, right + 1
        return _Anchors(left, right)
    if isinstance(expr, ast.Subscript):
        left, right = chars(expr.value.end_col_offset), chars(expr.slice.end_col_offset) + 1
        while left < len(segment) and segment[left] != "[":
            left += 1
        while right < len(segment) and segment[right] != "]":
            right += 1
        return _Anchors(left, right + 1 if right < len(segment) else right)
    return None


def _markers(fs, stripped):
    """The marker line under a frame's first line, or "" when 3.12 printed none."""
    if fs.colno is None or fs.end_colno is None:
        return ""
    raw = linecache.getline(fs.filename, fs.lineno)  # with its newline, as 3.12 measured it
    if not raw:
        return ""
    start = traceback._byte_offset_to_character_offset(raw, fs.colno)
    end = traceback._byte_offset_to_character_offset(raw, fs.end_colno)
    segment = raw[start:end]
    anchors = None
    if fs.lineno == fs.end_lineno:
        anchors = _anchors_312(segment)
    else:
        end = len(raw.rstrip())  # the first line's part of the statement
    if end - start >= len(stripped) and not (anchors and anchors.right_start_offset > anchors.left_end_offset):
        return ""  # the expression is the whole line
    width = traceback._display_width
    first, last = width(raw, start) + 1, width(raw, end) + 1
    pad = " " * (first - (len(raw) - len(raw.strip())))
    if anchors is None:
        return f"    {pad}{'^' * (last - first)}\n"
    left, right = width(segment, anchors.left_end_offset), width(segment, anchors.right_start_offset)
    return f"    {pad}{'~' * left}{'^' * (right - left)}{'~' * (last - first - right)}\n"


def _ours(filename):
    """A frame of this runtime or of a stand-in shipped with it (pydantic-core's, in the
    bundled SDK folder): C or Rust code on Lambda, whose frames a traceback never shows."""
    return filename.startswith(wasmhost_errors.RUNTIME) or (
        filename.startswith(SDK_SITES) and os.path.basename(filename).startswith("wasmhost_"))


def _frame(markers):
    def format_frame_summary(self, frame_summary, **kwargs):
        """A frame as Python 3.11/3.12 (``markers``) or 3.9/3.10 print it."""
        if _ours(frame_summary.filename):
            return None
        row = [f'  File "{frame_summary.filename}", line {frame_summary.lineno}, in {frame_summary.name}\n']
        stripped = (frame_summary.line or "").strip()  # the statement's first line
        if stripped:
            row.append(f"    {stripped}\n")
            if markers:
                row.append(_markers(frame_summary, stripped))
        if frame_summary.locals:
            row.extend(f"    {name} = {value}\n" for name, value in sorted(frame_summary.locals.items()))
        return "".join(row)
    return format_frame_summary


def _without_ours(format_frame_summary):
    def without_ours(self, frame_summary, **kwargs):
        return None if _ours(frame_summary.filename) else format_frame_summary(self, frame_summary, **kwargs)
    return without_ours


def as_runtime(version):
    """Print tracebacks as Python ``version`` (a (major, minor) tuple) does: 3.9 to 3.12's
    frames in their form, and for every version none of the runtime's own frames."""
    traceback.StackSummary.format_frame_summary = (_frame(markers=version >= (3, 11)) if version < (3, 13) else
                                                   _without_ours(_FORMAT_FRAME))


_FORMAT_FRAME = traceback.StackSummary.format_frame_summary
SDK_SITES = "/var/lang/lib/python3."  # the bundled SDK folder's mount (runtimes/python.py SDK_SITE)
