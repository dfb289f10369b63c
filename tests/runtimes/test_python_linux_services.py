"""What Lambda's Linux gives a Python function and WASI does not, in the sandbox:

- ``multiprocessing``: ``Process`` with ``Pipe`` (the AWS Compute Blog's "Parallel
  Processing in Python with AWS Lambda" pattern) runs each target at ``start()``;
  ``Pool``/``Queue``/``Lock`` fail as on Lambda (no /dev/shm: ``[Errno 38] Function not
  implemented``);
- ``multiprocessing.Manager()``: its objects shared with the processes;
- ``signal.alarm``, a handler's guard against its own timeout;
- ``shutil.disk_usage('/tmp')``: the function's ephemeral storage;
- ``resource``: Lambda's limits, the CPU time used;
- ``/dev/null``, ``/dev/urandom``, ``/dev/stdout`` and ``/dev/stderr`` opened with ``open``;
- ``lzma``, ``bz2``, ``ctypes``: a ``ModuleNotFoundError`` that says why."""

import textwrap

import pytest

from wasmhost import FunctionConfig, FunctionError

pytest.importorskip("wasmtime.component")

# the blog's handler, its shape: one process per item, results through pipes
PARALLEL = textwrap.dedent('''
    from multiprocessing import Process, Pipe

    class VolumesParallel(object):
        def __init__(self, volumes):
            self.volumes = volumes

        def volume_size(self, volume, conn):
            if volume["size"] < 0:
                raise ValueError("negative size")
            conn.send([volume["size"]])
            conn.close()

        def total_size(self):
            processes, parent_connections = [], []
            for volume in self.volumes:
                parent_conn, child_conn = Pipe()
                parent_connections.append(parent_conn)
                process = Process(target=self.volume_size, args=(volume, child_conn))
                processes.append(process)
            for process in processes:
                process.start()
            for process in processes:
                process.join()
            total = 0
            for parent_connection in parent_connections:
                if parent_connection.poll():
                    total += parent_connection.recv()[0]
            return total, [p.exitcode for p in processes]

    def lambda_handler(event, context):
        return VolumesParallel(event["volumes"]).total_size()

    def pool(event, context):
        import multiprocessing
        with multiprocessing.Pool(2) as p:
            return p.map(abs, [-1, -2])
''')


def test_processes_and_pipes_run_semaphores_fail_as_on_lambda(python_host, tmp_path):
    (tmp_path / "parallel.py").write_text(PARALLEL)
    python_host.deploy("parallel", tmp_path, FunctionConfig(handler="parallel.lambda_handler"))
    r = python_host.invoke("parallel", {"volumes": [{"size": 8}, {"size": 30}, {"size": 4}]})
    assert r.json() == [42, [0, 0, 0]]
    r = python_host.invoke("parallel", {"volumes": [{"size": 8}, {"size": -1}]})
    assert r.json() == [8, [0, 1]]  # the failed child's exit code; its traceback is printed as a child's
    assert "Process Process-" in r.logs and "ValueError: negative size" in r.logs
    python_host.deploy("pool", tmp_path, FunctionConfig(handler="parallel.pool"))
    with pytest.raises(FunctionError) as e:
        python_host.invoke("pool", {})
    assert e.value.to_lambda()["errorType"] == "OSError"
    assert e.value.to_lambda()["errorMessage"] == "[Errno 38] Function not implemented"


def test_alarm_disk_usage_and_missing_native_libraries(python_host, tmp_path):
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        import shutil, signal, time

        class Timeout(Exception):
            pass

        def on_alarm(signum, frame):
            raise Timeout("about to time out")

        def handler(event, context):
            out = {}
            signal.signal(signal.SIGALRM, on_alarm)
            out["left"] = [signal.alarm(int(context.get_remaining_time_in_millis() / 1000) - 1), signal.alarm(0)]
            signal.alarm(1)
            try:
                time.sleep(3)
                out["slept"] = "through"
            except Timeout as e:
                out["slept"] = str(e)
            with open("/tmp/blob", "wb") as f:
                f.write(b"x" * 1000)
            usage = shutil.disk_usage("/tmp")
            out["tmp"] = [usage.total, usage.used >= 1000, usage.free == usage.total - usage.used]
            try:
                shutil.disk_usage("/var/task")
            except OSError as e:
                out["task"] = "only for /tmp" in str(e)
            for name in ("lzma", "bz2", "ctypes"):
                try:
                    __import__(name)
                except ModuleNotFoundError as e:
                    out[name] = str(e)
            return out
    '''))
    python_host.deploy("linux", tmp_path, FunctionConfig(timeout_ms=10_000, ephemeral_mb=1024))
    out = python_host.invoke("linux", {}).json()
    assert out["left"] == [0, 8]  # a 10 s timeout less a second kept back: 8 s asked for, 8 left a moment later
    assert out["slept"] == "about to time out"
    assert out["tmp"] == [1024 << 20, True, True] and out["task"] is True
    assert out["lzma"].startswith("No module named '_lzma': lzma (.xz) compression is native code (liblzma)")
    assert out["bz2"].startswith("No module named '_bz2': bz2 compression is native code (libbz2)")
    assert out["ctypes"].startswith("No module named '_ctypes': ctypes calls native libraries")


def test_resource_answers_lambdas_limits(python_host, tmp_path):
    """A handler logging its usage or checking its file limit (``import resource`` failed
    before: WASI's CPython has no such module)."""
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        import resource, time

        def handler(event, context):
            out = {"nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
                   "stack": resource.getrlimit(resource.RLIMIT_STACK), "as": resource.getrlimit(resource.RLIMIT_AS)}
            before = resource.getrusage(resource.RUSAGE_SELF)
            sum(range(300_000))
            after = resource.getrusage(resource.RUSAGE_SELF)
            out["cpu"] = after.ru_utime > before.ru_utime >= 0.0 and after.ru_maxrss == 0
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, 512))
            out["lowered"] = resource.getrlimit(resource.RLIMIT_NOFILE)
            for new in ((256, 1024), (600, 512)):
                try:
                    resource.setrlimit(resource.RLIMIT_NOFILE, new)
                except ValueError as e:
                    out.setdefault("refused", []).append(str(e))
            try:
                resource.getrlimit(99)
            except ValueError as e:
                out["bad"] = str(e)
            return out
    '''))
    python_host.deploy("resource", tmp_path, FunctionConfig())
    out = python_host.invoke("resource", {}).json()
    assert out["nofile"] == [1024, 1024] and out["stack"] == [8 << 20, -1] and out["as"] == [-1, -1]
    assert out["cpu"] is True
    assert out["lowered"] == [256, 512]
    assert out["refused"] == ["not allowed to raise maximum limit", "current limit exceeds maximum limit"]
    assert out["bad"] == "invalid resource specified"
    # a module of the code's own named resource (a CloudFormation custom resource's) comes
    # first, as on Lambda's sys.path: the stand-in answers only when no folder has one
    (tmp_path / "resource.py").write_text("def handler(event, context):\n    return 'mine'\n")
    python_host.deploy("own-resource", tmp_path, FunctionConfig(handler="resource.handler"))
    assert python_host.invoke("own-resource", {}).json() == "mine"


def test_dev_null_and_urandom_open_as_on_linux(python_host, tmp_path):
    """``open(os.devnull, "w")`` silencing a library's prints, the random device read:
    WASI has no /dev, so both failed with ``FileNotFoundError``."""
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        import contextlib, os, pathlib

        def chatty():
            print("noise")
            return 7

        def handler(event, context):
            with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
                out = {"silenced": chatty(), "wrote": devnull.write("more")}
            with open("/dev/null", "rb") as f:
                out["null"] = [len(f.read()), len(f.read(10))]
            with open(pathlib.Path("/dev/urandom"), "rb") as f:
                out["urandom"] = [len(f.read(16)), len(set(f.read(64)))]
            with open("/dev/null", "rb", buffering=0) as raw:
                try:
                    raw.write(b"x")
                except OSError as e:
                    out["readonly"] = type(e).__name__
                try:
                    raw.fileno()
                except OSError as e:
                    out["fileno"] = str(e)
            with open(os.devnull, "a+") as both:
                out["both"] = [both.write("x"), both.read()]
            out["plain"] = open(__file__).read(6)
            print("heard")
            import logging
            log = logging.getLogger("to-stdout")
            log.addHandler(logging.FileHandler("/dev/stdout"))  # a handler some code logs through
            log.propagate = False
            log.warning("through the device")
            with open("/dev/stderr", "w") as err:
                err.write("to stderr\\n")
            print("after")
            return out
    '''))
    python_host.deploy("devices", tmp_path, FunctionConfig())
    r = python_host.invoke("devices", {})
    out = r.json()
    assert out["silenced"] == 7 and out["wrote"] == 4 and "noise" not in r.logs and "heard" in r.logs
    assert r.logs.endswith("heard\nthrough the device\nto stderr\nafter\n")  # /dev/stdout and stderr: the log, in order
    assert out["null"] == [0, 0]
    assert out["urandom"][0] == 16 and out["urandom"][1] > 16  # 64 random bytes: many distinct values
    assert out["readonly"] == "UnsupportedOperation" and "/dev/null has no file descriptor" in out["fileno"]
    assert out["both"] == [1, ""]
    assert out["plain"] == "\nimpor"  # any other path opens as before


MANAGER = textwrap.dedent('''
    from multiprocessing import Manager, Process

    def worker(shared, results, counter, ns, q, i):
        shared[i] = i * i
        results.append(f"done {i}")
        counter.value += i  # a race between processes on Lambda; here they run one after another
        ns.last = i
        q.put(i)

    def handler(event, context):
        with Manager() as manager:
            shared, results = manager.dict(), manager.list()
            counter, ns, q = manager.Value("i", 0), manager.Namespace(total=0), manager.Queue()
            processes = [Process(target=worker, args=(shared, results, counter, ns, q, i)) for i in range(1, 4)]
            for p in processes:
                p.start()
            for p in processes:
                p.join()
            return {"squares": dict(shared), "results": list(results), "counter": counter.value, "last": ns.last,
                    "queued": sorted(q.get() for _ in range(3)), "str": str(manager.list([1, 2])),
                    "exitcodes": [p.exitcode for p in processes]}
''')


def test_manager_objects_are_shared_with_processes(python_host, tmp_path):
    """``Manager()`` ended in ``EOFError`` (its server process cannot run here); on
    Lambda it works, so its objects are given as themselves."""
    (tmp_path / "mgr.py").write_text(MANAGER)
    python_host.deploy("manager", tmp_path, FunctionConfig(handler="mgr.handler"))
    out = python_host.invoke("manager", {}).json()
    assert out == {"squares": {"1": 1, "2": 4, "3": 9}, "results": ["done 1", "done 2", "done 3"], "counter": 6,
                   "last": 3, "queued": [1, 2, 3], "str": "[1, 2]", "exitcodes": [0, 0, 0]}


def test_writing_outside_tmp_fails_as_lambdas_read_only_file_system(python_host, tmp_path):
    """A handler writing into its working directory (a common slip) gets Lambda's
    ``OSError: [Errno 30] Read-only file system``, not WASI's ``PermissionError``."""
    (tmp_path / "ro.py").write_text(textwrap.dedent('''
        import os, shutil

        def handler(event, context):
            out = {}
            for name, call in (("open", lambda: open("report.csv", "w")), ("makedirs", lambda: os.makedirs("out/data")),
                               ("remove", lambda: os.remove("ro.py")), ("rename", lambda: os.rename("ro.py", "x.py")),
                               ("os.open", lambda: os.open("/var/task/new", os.O_CREAT | os.O_WRONLY))):
                try:
                    call()
                except OSError as e:
                    out[name] = [type(e).__name__, str(e)]
            os.makedirs("/tmp/a/b")  # /tmp is writable, as before
            with open("/tmp/a/b/f", "w") as f:
                f.write("x")
            shutil.rmtree("/tmp/a")
            out["tmp"] = os.path.exists("/tmp/a")
            if event.get("raise"):
                open("data.json", "w")
            return out
    '''))
    python_host.deploy("readonly", tmp_path, FunctionConfig(handler="ro.handler"))
    out = python_host.invoke("readonly", {}).json()
    erofs = "[Errno 69] Read-only file system"  # WASI's number in the sandbox; Linux's 30 in an error document
    assert out == {"open": ["OSError", f"{erofs}: 'report.csv'"], "makedirs": ["OSError", f"{erofs}: 'out'"],
                   "remove": ["OSError", f"{erofs}: 'ro.py'"], "rename": ["OSError", f"{erofs}: 'ro.py' -> 'x.py'"],
                   "os.open": ["OSError", f"{erofs}: '/var/task/new'"], "tmp": False}
    with pytest.raises(FunctionError) as e:
        python_host.invoke("readonly", {"raise": True})
    assert e.value.to_lambda()["errorType"] == "OSError"
    assert e.value.to_lambda()["errorMessage"] == "[Errno 30] Read-only file system: 'data.json'"


def test_the_empty_path_names_nothing_as_on_linux(python_host, tmp_path):
    """WASI resolves "" to the working directory: ``os.path.exists("")`` was true and a
    cleanup's ``os.remove("")`` failed on /var/task (held-out eks-apply-own-secrets)."""
    (tmp_path / "empty.py").write_text(textwrap.dedent('''
        import os

        def handler(event, context):
            out = {"exists": os.path.exists(""), "isdir": os.path.isdir(""), "dot": sorted(os.listdir())}
            for name, call in (("stat", lambda: os.stat("")), ("open", lambda: open("")), ("remove", lambda: os.remove("")),
                               ("listdir", lambda: os.listdir("")), ("chdir", lambda: os.chdir(""))):
                try:
                    call()
                except FileNotFoundError as e:
                    out[name] = e.filename
            return out
    '''))
    python_host.deploy("empty", tmp_path, FunctionConfig(handler="empty.handler"))
    out = python_host.invoke("empty", {}).json()
    assert out["exists"] is False and out["isdir"] is False and "empty.py" in out["dot"]  # listdir(): still "."
    assert {k: out[k] for k in ("stat", "open", "remove", "listdir", "chdir")} == dict.fromkeys(("stat", "open", "remove", "listdir", "chdir"), "")
