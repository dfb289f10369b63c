"""hello in Python: "Hello, <name>!", run by CPython inside the sandbox.

    wasmhost deploy hello_py examples/python/hello.py    # (server running: scripts/run)
    wasmhost invoke hello_py '{"name": "world"}'
or in-process: Host().deploy("hello_py", "examples/python/hello.py")."""


def handler(event, context):
    name = event.get("name", "world") if isinstance(event, dict) else str(event)
    print(f"greeting {name} from {context.function_name}")
    return f"Hello, {name}!"
