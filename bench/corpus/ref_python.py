"""Lambda's answer for a Python handler, from a plain CPython 3.12 process set up as
Lambda's python3.12 runtime sets up one (reference for corpus_replay.py):
the environment, /var/task-like working directory and sys.path, logging's handler,
the context, and the error document awslambdaric returns.
    python3.12 ref_python.py <task dir> <handler> <event.json> <env.json>"""
import importlib
import json
import logging
import os
import sys
import time
import traceback

task, handler, event_file, env_file, sdk = sys.argv[1:6]
os.environ.clear()
os.environ.update(json.load(open(env_file)))
REQUEST_ID = os.environ.pop("_REQUEST_ID")
os.chdir(task)
sys.path[:0] = [task]
sys.path.append(sdk)  # /var/runtime: boto3 as Lambda includes it
fmt = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S")
fmt.converter = time.gmtime


class RequestId(logging.Filter):
    def filter(self, record):
        record.aws_request_id = REQUEST_ID
        return True


h = logging.StreamHandler(sys.stdout)
h.setFormatter(fmt)
h.addFilter(RequestId())
logging.getLogger().addHandler(h)


class Context:
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    function_version = "$LATEST"
    invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}"
    memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
    aws_request_id = REQUEST_ID
    log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
    log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
    identity = client_context = tenant_id = None  # (tenant_id: Lambda's context has it since tenant isolation, 2025)
    _deadline = time.time() * 1000 + 30000

    def get_remaining_time_in_millis(self):
        return int(self._deadline - time.time() * 1000)


def answer(doc):
    sys.stdout.flush()
    sys.stdout.write("\n__ANSWER__" + json.dumps(doc) + "\n")
    sys.stdout.flush()
    os._exit(0)  # not sys.exit: a handler's own SystemExit is caught below


def exited(e):
    """awslambdaric's process ends on SystemExit; Lambda answers for the runtime."""
    status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    if not isinstance(e.code, (int, type(None))):
        print(e.code, file=sys.stderr)
    reason = f"with error: exit status {status}" if status else "without providing a reason"
    answer({"error": {"errorType": "Runtime.ExitError",
                      "errorMessage": f"RequestId: {REQUEST_ID} Error: Runtime exited {reason}"}})


def marshal(result):
    """awslambdaric's marshaller: a Decimal is a JSON number (DynamoDB items are returned as they are)."""
    import decimal  # noqa: PLC0415
    return json.loads(json.dumps(result, default=lambda o: float(o) if isinstance(o, decimal.Decimal) else
                                 json.JSONEncoder().default(o)))


module_name, func = handler.rsplit(".", 1)
module_name = module_name.replace("/", ".")
try:
    mod = importlib.import_module(module_name)
except ImportError as e:
    answer({"error": {"errorType": "Runtime.ImportModuleError",
                      "errorMessage": f"Unable to import module '{module_name}': {e}"}})
except SyntaxError as e:
    answer({"error": {"errorType": "Runtime.UserCodeSyntaxError",
                      "errorMessage": f"Syntax error in module '{module_name}': {e}"}})
except Exception as e:
    answer({"error": {"errorType": type(e).__name__, "errorMessage": str(e)}})
except SystemExit as e:
    exited(e)
fn = getattr(mod, func, None)
if fn is None:
    answer({"error": {"errorType": "Runtime.HandlerNotFound",
                      "errorMessage": f"Handler '{func}' missing on module '{module_name}'"}})
event = json.load(open(event_file))
try:
    result = fn(event, Context())
except Exception as e:
    traceback.print_exc(file=sys.stdout)
    answer({"error": {"errorType": type(e).__name__, "errorMessage": str(e)}})
except SystemExit as e:
    exited(e)
try:
    answer({"ok": marshal(result)})
except (TypeError, ValueError) as e:
    answer({"error": {"errorType": "Runtime.MarshalError", "errorMessage": f"Unable to marshal response: {e}"}})
