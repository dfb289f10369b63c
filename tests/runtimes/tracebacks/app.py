"""Errors raised by statements of many shapes, each caught and printed with
``traceback.format_exc()``: the handler answers the list of texts. Run by
test_python_errors.py in the sandbox and compared with what CPython 3.9-3.12 print
for the same file (tracebacks/expected.json, made by tracebacks/record.py)."""

import traceback

DATA = {"a": 1, "b": [1, 2, 3]}


def binop():
    return 1 + "one"


def floor_div(n):
    return (n * 2) // "two"


def subscript():
    return DATA["missing"]


def nested_subscript():
    return DATA["b"][10]


def attribute():
    value = None
    return value.upper()


def multi_line_call():
    return dict(
        a=1,
        b=subscript(),
    )


def whole_line():
    subscript()


def method_chain():
    return "x".strip().split(",")[0].missing_method()


def wide_characters():
    名前 = {"キー": 1}
    return 名前["なし"] + 1


def raise_statement():
    raise ValueError("plain raise")


def power():
    return 2 ** "x"


def in_a_lambda():
    return (lambda v: v["k"])({})


def chained():
    try:
        subscript()
    except KeyError as e:
        raise RuntimeError("wrapped") from e


def deep(n):
    return deep(n - 1) if n else 1 / 0


CASES = [binop, lambda: floor_div(3), subscript, nested_subscript, attribute, multi_line_call, whole_line,
         method_chain, wide_characters, raise_statement, power, in_a_lambda, chained,
         lambda: deep(3)]


def handler(event, context):
    out = []
    for case in CASES:
        try:
            case()
        except Exception:  # noqa: BLE001 - printed as the runtime prints it
            out.append(traceback.format_exc())
    return out


if __name__ == "__main__":
    import json
    print(json.dumps(handler(None, None)))
