"""``wasmhost.error(type_ptr, type_len, msg_ptr, msg_len)``: the guest's own failure.

The guest calls it and then returns from ``wasmhost_handle`` (its return value is
ignored); the invocation fails with ``FunctionError(errorType, errorMessage)``, as a
Lambda handler that raised. The instance stays warm: this is not a trap.
"""


def _error(sandbox, tptr: int, tlen: int, mptr: int, mlen: int) -> None:
    etype = sandbox.read(tptr, min(tlen, 256)).decode("utf-8", "replace") or "Error"
    message = sandbox.read(mptr, min(mlen, 64 * 1024)).decode("utf-8", "replace")
    sandbox.error = (etype, message)


NAME = "error"
SIDE_EFFECTS = False  # it only reads the invocation or writes its own record
COMPONENT_IMPORTS: dict = {}  # the runtimes have their own (stdout, the context argument, Err)


def new_state(grants) -> None:
    return None  # the log, error and context belong to the invocation (abi/base.py)


IMPORTS = {"error": (("i32", "i32", "i32", "i32"), (), _error)}
