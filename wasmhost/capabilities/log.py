"""``wasmhost.log(ptr, len)``: a UTF-8 line into the invocation's log (CloudWatch's role)."""


def _log(sandbox, ptr: int, length: int) -> None:
    text = sandbox.read(ptr, length).decode("utf-8", "replace")
    sandbox.log(text if text.endswith("\n") else text + "\n")  # one call, one line


IMPORTS = {"log": (("i32", "i32"), (), _log)}
