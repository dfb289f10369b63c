"""Errors from the Python sandbox read as Lambda's python3.12 runtime gives them, with
handlers taken from public examples (the corpus found each difference):

- an ``OSError``'s number and words are Linux's (WASI numbers ``ENOENT`` 44): the
  cdk-patterns EFS message wall appending to a file on a mount that is not there;
- the standard library's frames and an ``ImportError``'s message name Lambda's path,
  /var/lang/lib/python3.12, not the sandbox's /python; a ``stackTrace`` is formatted as
  awslambdaric formats it, and shows none of the runtime's own frames;
- ``sys.exit()`` in a handler ends the runtime as on Lambda (cdk-patterns' Polly
  handler exits for a voice it does not know): ``Runtime.ExitError``, and the next
  invocation runs in a new instance that imported the code again;
- ``traceback.format_exc()`` prints as the function's runtime prints (3.12: a
  multi-line statement's first line only)."""

import json
import textwrap
from pathlib import Path

import pytest

from wasmhost import DeployError, FunctionConfig, FunctionError

pytest.importorskip("wasmtime.component")

# cdk-patterns/serverless the-efs-lambda/python/lambda_fns/message_wall.py (its shape)
MESSAGE_WALL = textwrap.dedent('''
    import errno, fcntl, os
    MSG_FILE_PATH = '/mnt/msg/content'

    def get_messages():
        try:
            with open(MSG_FILE_PATH, 'r') as msg_file:
                fcntl.flock(msg_file, fcntl.LOCK_SH)
                return msg_file.read()
        except OSError as e:
            return f'No message yet. ({e.errno == errno.ENOENT})'

    def lambda_handler(event, context):
        method = event['requestContext']['http']['method']
        if method == 'POST':
            with open(MSG_FILE_PATH, 'a') as msg_file:
                fcntl.flock(msg_file, fcntl.LOCK_EX)
                msg_file.write(event['body'] + "\\n")
        if method == 'DELETE':
            os.rmdir('/tmp/not/there')
        return get_messages()
''')


def _error(host, name, event):
    with pytest.raises(FunctionError) as e:
        host.invoke(name, event)
    return e.value


def test_os_errors_carry_linuxs_numbers_and_words(python_host, tmp_path):
    (tmp_path / "message_wall.py").write_text(MESSAGE_WALL)
    python_host.deploy("wall", tmp_path, FunctionConfig(handler="message_wall.lambda_handler"))
    # the code's own comparison still holds: errno's constants are the sandbox's
    assert python_host.invoke("wall", {"requestContext": {"http": {"method": "GET"}}}).json() == \
        "No message yet. (True)"
    err = _error(python_host, "wall", {"requestContext": {"http": {"method": "POST"}}, "body": "hi"})
    doc = err.to_lambda()
    assert doc["errorType"] == "FileNotFoundError"
    assert doc["errorMessage"] == "[Errno 2] No such file or directory: '/mnt/msg/content'"
    assert err.logs.startswith("[ERROR] FileNotFoundError: [Errno 2] No such file or directory: '/mnt/msg/content'\n")
    doc = _error(python_host, "wall", {"requestContext": {"http": {"method": "DELETE"}}}).to_lambda()
    assert doc["errorMessage"] == "[Errno 2] No such file or directory: '/tmp/not/there'"


def test_the_standard_library_is_named_at_lambdas_path(python_host, tmp_path):
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        import json, logging, socket, traceback
        def handler(event, context):
            if event == "logged":
                try:
                    json.loads("{")
                except ValueError:
                    logging.getLogger().exception("bad body")
                return "logged"
            if event == "import":
                from collections import not_there
            if event == "socket":
                socket.create_connection(("example.com", 80))
            if event == "socket-text":
                try:
                    socket.create_connection(("example.com", 80))
                except OSError:
                    return traceback.format_exc()
            return json.loads(event)
    '''))
    python_host.deploy("paths", tmp_path)
    err = _error(python_host, "paths", "{not json")
    doc = err.to_lambda()
    assert doc["errorType"] == "JSONDecodeError"
    logged = python_host.invoke("paths", "logged").logs  # logger.exception's traceback names them so too
    assert 'File "/var/lang/lib/python3.12/json/decoder.py"' in logged and 'File "/python/' not in logged
    # awslambdaric's format: frames from tuples (no ^^^ markers); in the log, indented with no-break spaces
    assert doc["stackTrace"][0] == '  File "/var/task/app.py", line 19, in handler\n    return json.loads(event)\n'
    assert '\n\u00a0\u00a0File "/var/task/app.py", line 19, in handler\n\u00a0\u00a0\u00a0\u00a0return json.loads(event)\n' \
        in err.logs
    files = [line.split('"')[1] for line in doc["stackTrace"]]
    assert files[0] == "/var/task/app.py"
    assert files[1] == "/var/lang/lib/python3.12/json/__init__.py"
    assert all(f.startswith("/var/lang/lib/python3.12/json/") for f in files[1:])
    assert "return _default_decoder.decode(s)" in doc["stackTrace"][1]  # the source line is still read
    doc = _error(python_host, "paths", "socket").to_lambda()  # refused in the sandbox's stand-in for C code
    assert doc["errorType"] == "PermissionError"
    assert [line.split('"')[1] for line in doc["stackTrace"]] == ["/var/task/app.py"]
    text = python_host.invoke("paths", "socket-text").json()  # nor does the code's own traceback show them
    assert text.startswith("Traceback (most recent call last):\n  File \"/var/task/app.py\", line 16, in handler\n")
    assert "wasmhost_" not in text and text.count('  File "') == 1 and "\nPermissionError: " in text
    doc = _error(python_host, "paths", "import").to_lambda()
    assert doc["errorMessage"] == ("cannot import name 'not_there' from 'collections' "
                                   "(/var/lang/lib/python3.12/collections/__init__.py)")


def test_sys_exit_ends_the_runtime_as_on_lambda(python_host, tmp_path):
    # cdk-patterns/serverless polly/python/lambda_fns/polly.py (its shape: it calls sys.exit(1))
    (tmp_path / "polly.py").write_text(textwrap.dedent('''
        import sys
        calls = 0
        def handler(event, context):
            global calls
            calls += 1
            voice = event.get("voice", "Matthew")
            if voice not in ['Joanna', 'Matthew', 'Lupe']:
                print('Only Joanna, Matthew and Lupe support the newscaster style')
                sys.exit(event.get("code", 1))
            return calls
    '''))
    python_host.deploy("polly", tmp_path, FunctionConfig(handler="polly.handler"))
    assert [python_host.invoke("polly", {}).json() for _ in range(2)] == [1, 2]
    err = _error(python_host, "polly", {"voice": "Bob"})
    assert err.to_lambda()["errorType"] == "Runtime.ExitError"
    assert err.to_lambda()["errorMessage"] == "Runtime exited with error: exit status 1"  # Lambda's words
    assert "Only Joanna, Matthew and Lupe support the newscaster style" in err.logs
    assert "SystemExit" not in err.logs  # no traceback: the process ended, as Lambda's does
    assert python_host.invoke("polly", {}).json() == 1  # a new instance imported the code again
    err = _error(python_host, "polly", {"voice": "Bob", "code": 0})
    assert err.to_lambda()["errorMessage"] == "Runtime exited without providing a reason"  # Lambda's, for 0
    err = _error(python_host, "polly", {"voice": "Bob", "code": "no such voice"})
    assert err.to_lambda()["errorType"] == "Runtime.ExitError" and "no such voice" in err.logs


def test_sys_exit_at_import_fails_the_deploy(python_host, tmp_path):
    (tmp_path / "app.py").write_text("import sys\nsys.exit('missing configuration')\ndef handler(e, c):\n    return 1\n")
    with pytest.raises(DeployError, match="^Runtime.ExitError: "):
        python_host.deploy("exits", tmp_path)


TRACEBACKS = Path(__file__).with_name("tracebacks")


@pytest.mark.parametrize("runtime", ["python3.9", "python3.10", "python3.11", "python3.12", "python3.13"])
def test_tracebacks_read_as_the_functions_runtime_prints_them(python_host, runtime):
    """``traceback.format_exc()`` of errors in statements of many shapes (a multi-line
    call, operators, subscripts, wide characters, chained exceptions) equals what that
    CPython printed for the same file (tracebacks/expected.json, recorded by record.py):
    3.13 and the sandbox's 3.14 print a multi-line statement whole and mark whole-line
    calls, 3.11/3.12 do neither, 3.9/3.10 print no markers."""
    expected = json.loads((TRACEBACKS / "expected.json").read_text())[runtime]
    name = "tb" + runtime.replace(".", "")
    python_host.deploy(name, TRACEBACKS, FunctionConfig(handler="app.handler", runtime=runtime))
    got = python_host.invoke(name, {}).json()
    assert len(got) == len(expected) == 14
    for text, want in zip(got, expected):
        assert text == want
