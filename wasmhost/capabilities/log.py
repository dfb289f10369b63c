"""``wasmhost.log(ptr, len)``: a UTF-8 line into the invocation's log (CloudWatch's role)."""


def _log(sandbox, ptr: int, length: int) -> None:
    sandbox.log(sandbox.read(ptr, length).decode("utf-8", "replace"))


IMPORTS = {"log": (("i32", "i32"), (), _log)}
