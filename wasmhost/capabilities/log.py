"""``wasmhost.log(ptr, len)``: a UTF-8 line into the invocation's log (CloudWatch's role)."""


def _log(sandbox, ptr: int, length: int) -> None:
    text = sandbox.read(ptr, length).decode("utf-8", "replace")
    sandbox.log(text if text.endswith("\n") else text + "\n")  # one call, one line


NAME = "log"
SIDE_EFFECTS = False  # it only reads the invocation or writes its own record
COMPONENT_IMPORTS: dict = {}  # the runtimes have their own (stdout, the context argument, Err)


def new_state(grants) -> None:
    return None  # the log, error and context belong to the invocation (abi/base.py)


IMPORTS = {"log": (("i32", "i32"), (), _log)}
