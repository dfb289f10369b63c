"""Replay a corpus of real public Lambda handlers through wasmhost's Lambda API and
compare each answer with Lambda's.

The corpus is a manifest (JSON: a list of cases) naming handlers in public GitHub
repositories; their code is not in this repository. Each case is taken from a local
snapshot of its repository (``--mirror``: ``<mirror>/<owner>+<name>/repo``, a bare git
directory, as the ``fetch`` tool or ``git clone --mirror`` leaves it), packaged as a
user packages it for Lambda (a zip of the folder; ``pip install -r requirements.txt -t``
or ``npm install --omit=dev`` first where the folder has them), deployed with boto3's
``CreateFunction`` to a ``wasmhost serve`` started here, invoked with each event, and
compared with Lambda's answer.

Lambda's answer is the same handler run by a plain CPython 3.12 or Node.js 20 process
set up as Lambda's runtime sets one up (``ref_python.py``, ``ref_node.mjs``): the
same environment, event and context. What varies from run to run (request ids,
times, random values) is masked: the reference runs twice, and request ids, UUIDs and
timestamps are normalised in strings. A case may instead give ``expect`` (the answer
as Lambda documents it, for handlers whose reference cannot run here).

    .venv/bin/python bench/corpus/corpus_replay.py bench/corpus/manifest.json \\
        --mirror /work/.mirror --work /tmp/corpus [--only NAME] [--json out.json]

Case fields: ``name``, ``repo`` (owner/name), ``dir`` (the code's folder in the
repository, zipped as the function's root), ``handler``, ``runtime`` (python3.12 /
nodejs20.x), ``events`` (a list: ``"std:<kind>"`` for the AWS docs' sample events, a
path in the repository, or an inline object), optional ``env``, ``expect``,
``files`` (extra files written into the folder), ``from`` (``[repo, path, dest]``: a file
of another mirrored repository written into the folder, as a framework's build step
adds its handler), ``pip`` (packages the example's build step installs), ``allowed_hosts``.
A ``pythonX.Y`` case is packaged and answered by CPython X.Y where it is installed.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STD_EVENTS_REPO = "awsdocs/aws-lambda-developer-guide"
STD_EVENTS_DIR = "sample-apps/java-events/events"
def _interpreter(version: str) -> str:
    """CPython ``version`` (3.12 by default: ``CORPUS_PYTHON``), the interpreter itself
    (a pyenv shim resolved), so the reference needs no pyenv variables."""
    exe = (version == "3.12" and os.environ.get("CORPUS_PYTHON")) or shutil.which(f"python{version}") or f"python{version}"
    if "/.pyenv/shims/" in exe:
        pyenv = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
        exe = str(pyenv[-1]) if pyenv else exe
    return exe


PYTHON312 = _interpreter("3.12")


def python_for(runtime: str) -> str:
    """The reference's and the packaging's Python for a case's runtime: a python3.9 case
    is packaged and answered by CPython 3.9 where it is installed, else by 3.12."""
    version = runtime.removeprefix("python")
    exe = _interpreter(version) if version != "3.12" else PYTHON312
    return exe if shutil.which(exe) or Path(exe).exists() else PYTHON312


NODE = os.environ.get("CORPUS_NODE", "node")


# -- the corpus's code --------------------------------------------------------------------
def git_dir(mirror: Path, repo: str) -> Path:
    """A snapshot's git folder: ``fetch`` leaves a bare one, or now and then a clone's ``.git``."""
    d = mirror / repo.replace("/", "+") / "repo"
    return d / ".git" if (d / ".git").is_dir() else d


def extract(mirror: Path, repo: str, folder: str, dest: Path) -> None:
    """The folder as it is at the snapshot's HEAD, written under ``dest``."""
    tree = f"HEAD:{folder}" if folder not in ("", ".") else "HEAD"
    data = subprocess.run(["git", f"--git-dir={git_dir(mirror, repo)}", "archive", "--format=tar", tree],
                          check=True, capture_output=True).stdout
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        t.extractall(dest, filter="data")


def repo_file(mirror: Path, repo: str, path: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir(mirror, repo)}", "show", f"HEAD:{path}"],
                          check=True, capture_output=True).stdout


def event_of(spec: Any, case: dict, mirror: Path) -> Any:
    if isinstance(spec, str) and spec.startswith("std:"):
        return json.loads(repo_file(mirror, STD_EVENTS_REPO, f"{STD_EVENTS_DIR}/{spec[4:]}.json"))
    if isinstance(spec, str) and spec.startswith("repo:"):
        return json.loads(repo_file(mirror, case["repo"], spec[5:]))
    return spec


def pip_env() -> dict[str, str]:
    return dict(os.environ, PYENV_VERSION=os.environ.get("PYENV_VERSION", "3.12.1"))


def pip(args: list[str], cwd: Path, log: list[str], python: str = PYTHON312) -> None:
    r = subprocess.run([python, "-m", "pip", "install", "-q", *args, "--no-compile", "--disable-pip-version-check"],
                       cwd=cwd, capture_output=True, text=True, env=pip_env())
    log.append(f"pip {' '.join(args)}: {r.returncode} {r.stderr[-500:]}")


def pip_beside(args: list[str], root: Path, log: list[str], python: str) -> None:
    """Packages installed beside the code as CDK's and SAM's bundling put them (``pip -t
    out``, then the code copied over): file by file, the code's own file winning. ``pip -t
    .`` instead skips a whole package whose folder name the code already uses (cdk-patterns'
    lambda-lith keeps its app in a folder named flask/, merged into Flask's there)."""
    deps = root.parent / f"{root.name}-deps"
    pip([*args, "-t", str(deps)], root, log, python)
    for src in sorted(deps.rglob("*")) if deps.exists() else ():
        dst = root / src.relative_to(deps)
        if (src.is_file() or src.is_symlink()) and not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(src), dst)
    shutil.rmtree(deps, ignore_errors=True)


def install(root: Path, case: dict, log: list[str]) -> None:
    """Dependencies as a user packages them for Lambda (``pip``/``npm`` in a case: what
    the example's own build step installs, where it is not a requirements.txt or
    package.json in the code's folder)."""
    runtime = case["runtime"]
    if runtime.startswith("python") and (root / "requirements.txt").exists():
        pip_beside(["-r", "requirements.txt"], root, log, python_for(runtime))
    if case.get("pip"):
        pip_beside(case["pip"], root, log, python_for(runtime))
    npm = list(case.get("npm", []))
    if runtime.startswith("nodejs") and (root / "package.json").exists():
        deps = json.loads((root / "package.json").read_text()).get("dependencies") or {}
        if deps and not (root / "node_modules").exists():
            npm.append("")
    if npm:
        # a package the build step bundles is installed even where package.json lists it
        # among devDependencies (a webpack build's source-map-support): saved as a dependency
        named = [n for n in npm if n]
        r = subprocess.run(["npm", "install", "--prefix", str(root), "--omit=dev", "--no-audit", "--no-fund",
                            "--save-prod" if named else "--no-save", "--loglevel=error", *named],
                           cwd=root, capture_output=True, text=True)
        log.append(f"npm {npm}: {r.returncode} {r.stderr[-500:]}")


def zip_folder(root: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(root.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                z.write(p, p.relative_to(root).as_posix())
    return buf.getvalue()


# -- Lambda's answer ------------------------------------------------------------------------------
def lambda_env(case: dict) -> dict[str, str]:
    name = case["name"]
    return {"AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{uuid.uuid4().hex}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{case['runtime']}", "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime", "_HANDLER": case["handler"], "TZ": ":UTC",
            "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LANG": "en_US.UTF-8",
            "LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:"
                               "/opt/lib", "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "_X_AMZN_TRACE_ID": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};"
                                "Sampled=0",
            "_REQUEST_ID": str(uuid.uuid4()), "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
            # the execution role's credentials (the SDKs validate a request before sending it)
            "AWS_ACCESS_KEY_ID": "ASIAREFERENCEKEY0000", "AWS_SECRET_ACCESS_KEY": "reference-secret",
            "AWS_SESSION_TOKEN": "reference-token", "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000", "_AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129",
            "_AWS_XRAY_DAEMON_PORT": "2000", "LC_CTYPE": "C.UTF-8", "PWD": "/var/task", "SHLVL": "0",
            **case.get("env", {})}


def reference(case: dict, root: Path, event: Any, work: Path) -> tuple[dict, str]:
    ev = work / f"event-{uuid.uuid4().hex}.json"
    ev.write_text(json.dumps(event))
    envf = work / f"env-{uuid.uuid4().hex}.json"
    envf.write_text(json.dumps(lambda_env(case)))
    python = case["runtime"].startswith("python")
    cmd = ([python_for(case["runtime"]), str(HERE / "ref_python.py")] if python else [NODE, str(HERE / "ref_node.mjs")])
    # the process starts with Lambda's environment only (the handler may dump it): the
    # interpreters by their own paths, the variables from env.json
    env = {"PATH": os.environ["PATH"], "TZ": "UTC", "HOME": "/tmp"}
    try:
        r = subprocess.run([*cmd, str(root), case["handler"], str(ev), str(envf), str(work / "sdk-python")],
                           capture_output=True, text=True, timeout=60, env=env)
    except subprocess.TimeoutExpired:
        return {"error": {"errorType": "reference timed out"}}, ""
    out = r.stdout
    mark = out.rfind("\n__ANSWER__")
    if mark < 0:
        return {"error": {"errorType": "reference crashed", "errorMessage": r.stderr[-800:]}}, out
    return json.loads(out[mark + len("\n__ANSWER__"):]), out[:mark]


# -- comparison ----------------------------------------------------------------------------------
_VOLATILE = [
    (re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"), "<uuid>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?"), "<ts>"),
    (re.compile(r"\d\d:\d\d:\d\d( GMT[+-]\d{4} \([^)]*\))?"), "<time>"),
    (re.compile(r"\b1[6-9]\d{8}(\.\d+|\d{3})?\b"), "<epoch>"),
    (re.compile(r"(\d{4}/\d\d/\d\d/)?\[\$LATEST\][0-9a-f]{32}"), "<stream>"),  # its date too: kept refs age
    # the reference Python's standard library named where Lambda keeps it
    (re.compile(r"/[^\s'\"]*/lib/(python3\.\d+)/"), r"/var/lang/lib/\1/"),
]


def _gunzipped(value: str) -> str | None:
    """A base64 gzip body (a compressed HTTP answer) as its text: Node's zlib and another
    deflate implementation give different bytes for the same content, and both are right."""
    if not value.startswith("H4sI"):
        return None
    try:
        return gzip.decompress(base64.b64decode(value, validate=True)).decode("utf-8", "replace")
    except (ValueError, OSError, EOFError):
        return None


def normalise(value: Any) -> Any:
    if isinstance(value, str):
        text = _gunzipped(value)
        if text is not None:
            return {"<gzip>": normalise(text)}
        try:
            inner = json.loads(value)
            if isinstance(inner, (dict, list)):
                return {"<json>": normalise(inner)}
        except ValueError:
            pass
        for pattern, repl in _VOLATILE:
            value = pattern.sub(repl, value)
        return value
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def mask(a: Any, b: Any) -> Any:
    """``a`` with ``<varies>`` wherever two reference runs differ."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return {k: mask(a[k], b[k]) for k in a}
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [mask(x, y) for x, y in zip(a, b)]
    return a if a == b else "<varies>"


def same(expected: Any, got: Any) -> bool:
    if expected == "<varies>":
        return True
    if isinstance(expected, dict) and isinstance(got, dict):
        return expected.keys() == got.keys() and all(same(expected[k], got[k]) for k in expected)
    if isinstance(expected, list) and isinstance(got, list):
        return len(expected) == len(got) and all(same(x, y) for x, y in zip(expected, got))
    return expected == got


def error_view(doc: dict) -> dict:
    """What of an error document is compared: its type and message (the traces'
    paths and line numbers differ by where the code is)."""
    return {"errorType": doc.get("errorType"), "errorMessage": doc.get("errorMessage")}


_DEPLOY = re.compile(r"Could not deploy the function: (Runtime\.\w+|\w+): (.*)", re.S)
_WORLD = ("Could not load credentials", "Unable to locate credentials", "NoCredentialsError", "getaddrinfo",
          "ENOTFOUND", "Name or service not known", "EAI_AGAIN", "Temporary failure in name resolution",
          "Failed to resolve", "NameResolutionError", "CredentialsProviderError",
          "Cannot find module '@aws-sdk/", "Cannot find package '@aws-sdk/", "Missing credentials in config",
          "Inaccessible host:",
          "InvalidClientTokenId", "UnrecognizedClientException", "security token included in the request is invalid")  # the reference has some of the SDK
# v3 packages Lambda includes, not all


def refused_at_deploy(message: str) -> dict:
    """A deploy wasmhost refused as Lambda's first invocation would fail (found at
    deploy, better than Lambda): the same error document, compared as one."""
    m = _DEPLOY.search(message)
    if m is None:
        return {"deploy_error": message}
    etype, text = m.group(1), m.group(2)
    if etype in _PREFIXED:  # the invocation's id, as the Lambda API words a runtime's own failure
        text = f"RequestId: {uuid.UUID(int=0)} Error: {text}"
    return {"error": {"errorType": etype, "errorMessage": text}}


_PREFIXED = ("Runtime.ExitError",)  # errors Lambda's API reports with "RequestId: <id> Error: " before them


def needs_the_world(expected: Any) -> bool:
    text = json.dumps(expected)
    return any(w in text for w in _WORLD)


# -- the server ----------------------------------------------------------------------------------
class Serve:
    def __init__(self, data: Path, python: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(data.parent / "server.log", "ab")
        self.proc = subprocess.Popen([python, "-m", "wasmhost.cli", "--data-dir", str(data), "serve", "--host",
                                      "127.0.0.1", "--port", str(self.port)], stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def client(url: str):
    import boto3
    from botocore.config import Config
    return boto3.client("lambda", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 0}, read_timeout=600))


def runtime_sdks(work: Path) -> None:
    """What Lambda's runtimes include, for the reference runs: boto3 for Python (its
    version as wasmhost bundles it), the AWS SDK for JavaScript v3 for Node.js (found
    by walking up from the code's folder, as /var/runtime/node_modules is found)."""
    import boto3
    sdk = work / "sdk-python"
    if not (sdk / "boto3").exists():
        pip([f"boto3=={boto3.__version__}", "-t", str(sdk)], work, [])
    js = Path(__file__).resolve().parents[2] / "guest_sdk" / "javascript" / "aws-sdk" / "node_modules"
    link = work / "node_modules"
    if js.exists() and not link.exists():
        link.symlink_to(js)


def run_case(api, case: dict, mirror: Path, work: Path, refs: Path | None = None, keep: bool = False) -> dict:
    root = work / case["name"]
    shutil.rmtree(root, ignore_errors=True)
    extract(mirror, case["repo"], case.get("dir", ""), root)
    for repo, path, dest in case.get("from", []):  # a file a build step adds (serverless-wsgi's handler)
        (root / dest).parent.mkdir(parents=True, exist_ok=True)
        (root / dest).write_bytes(repo_file(mirror, repo, path))
    for name, text in case.get("files", {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    notes: list[str] = []
    install(root, case, notes)
    report: dict[str, Any] = {"name": case["name"], "repo": case["repo"], "dir": case.get("dir", ""),
                              "runtime": case["runtime"], "results": [], "notes": notes}
    tags = {"wasmhost:allowed-hosts": " ".join(case["allowed_hosts"])} if case.get("allowed_hosts") else {}
    env = {k: v for k, v in case.get("env", {}).items()}
    try:
        api.delete_function(FunctionName=case["name"])
    except Exception:  # noqa: BLE001 - absent: a first run
        pass
    try:
        api.create_function(FunctionName=case["name"], Runtime=case["runtime"], Handler=case["handler"],
                            Role="arn:aws:iam::000000000000:role/corpus", Code={"ZipFile": zip_folder(root)},
                            Timeout=30, Environment={"Variables": env}, Tags=tags)
        deploy_error = None
    except Exception as e:  # noqa: BLE001 - recorded: a refused deploy is an answer too
        deploy_error = str(e)
    for spec in case["events"]:
        event = event_of(spec, case, mirror)
        cached = refs / f"{case['name']}-{case['events'].index(spec)}.json" if refs else None
        if "expect" in case:
            expected, ref_log = case["expect"], ""
        elif cached and cached.exists():
            expected, ref_log = json.loads(cached.read_text())
        else:
            first, ref_log = reference(case, root, event, work)
            second, _ = reference(case, root, event, work)
            expected = mask(normalise(first), normalise(second))
            expected = json.loads(json.dumps(expected).replace(str(root), "/var/task"))
            if cached:
                cached.write_text(json.dumps([expected, ref_log]))
        expected = json.loads(json.dumps(expected).replace(str(root), "/var/task"))
        if deploy_error is not None:
            got, log = refused_at_deploy(deploy_error), ""
        else:
            r = api.invoke(FunctionName=case["name"], Payload=json.dumps(event).encode(), LogType="Tail")
            payload = json.loads(r["Payload"].read() or b"null")
            log = base64.b64decode(r.get("LogResult", "")).decode(errors="replace")
            got = {"error": payload} if r.get("FunctionError") else {"ok": payload}
        got_n = normalise(got)
        if "error" in got_n and isinstance(got_n["error"], dict):
            got_n = {"error": error_view(got_n["error"])}
        exp = expected
        if isinstance(exp, dict) and isinstance(exp.get("error"), dict):
            exp = {"error": error_view(exp["error"])}
        ok: bool | None = same(exp, got_n)
        if not ok and needs_the_world(exp):
            ok = None  # Lambda's answer needs AWS credentials or the internet: not compared
        report["results"].append({"event": spec if isinstance(spec, str) else "inline", "pass": ok,
                                  "expected": exp, "got": got_n, "log": log[-1500:], "ref_log": ref_log[-800:]})
    if not keep:
        try:
            api.delete_function(FunctionName=case["name"])
        except Exception:  # noqa: BLE001 - never created: a refused deploy
            pass
    if any(r["pass"] is False for r in report["results"]):
        report["pass"] = False
    else:
        report["pass"] = None if all(r["pass"] is None for r in report["results"]) else True
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("manifest", type=Path)
    ap.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/wasmhost-corpus"))
    ap.add_argument("--only", action="append", help="a case's name (repeatable)")
    ap.add_argument("--json", type=Path, help="write the full report here")
    ap.add_argument("--server", help="an already running server's URL")
    ap.add_argument("--keep", action="store_true", help="keep each function deployed after its case (by default "
                                                         "it is deleted, so a long corpus does not exhaust the engine's "
                                                         "instance slots: see the report)")
    ap.add_argument("--refs", type=Path, help="a folder keeping Lambda's answers between runs (the reference "
                                              "runs once per case and event)")
    args = ap.parse_args()
    cases = json.loads(args.manifest.read_text())
    if args.only:
        cases = [c for c in cases if c["name"] in args.only]
    args.work.mkdir(parents=True, exist_ok=True)
    runtime_sdks(args.work)
    if args.refs:
        args.refs.mkdir(parents=True, exist_ok=True)
    server = None
    if args.server:
        url = args.server
    else:
        data = args.work / "data"
        server = Serve(data, sys.executable)
        url = server.url
    api = client(url)
    reports = []
    try:
        for case in cases:
            t = time.time()
            try:
                rep = run_case(api, case, args.mirror, args.work, args.refs, args.keep)
            except Exception as e:  # noqa: BLE001 - one case's failure is reported, the rest go on
                rep = {"name": case["name"], "runtime": case["runtime"], "pass": False, "results": [],
                       "crash": repr(e)}
            reports.append(rep)
            mark = {True: "PASS", False: "FAIL", None: "SKIP"}[rep["pass"]]
            print(f"{mark} {case['runtime']:<11} {case['name']:<40} {time.time() - t:5.1f}s", flush=True)
            if rep["pass"] is not True:
                for r in rep.get("results", []):
                    if r["pass"] is not True:
                        print(f"     {r['event']}: expected {json.dumps(r['expected'])[:400]}\n"
                              f"     {' ' * len(str(r['event']))}  got      {json.dumps(r['got'])[:400]}")
                if rep.get("crash"):
                    print("     crash:", rep["crash"][:400])
    finally:
        if server:
            server.stop()
    by_rt: dict[str, list[int]] = {}
    for rep in reports:
        tally = by_rt.setdefault(rep["runtime"][:6], [0, 0, 0])
        tally[0 if rep["pass"] else 1 if rep["pass"] is False else 2] += 1
    print("  ".join(f"{rt}: {p} pass, {f} fail, {s} need AWS or the internet" for rt, (p, f, s) in sorted(by_rt.items())))
    if args.json:
        args.json.write_text(json.dumps(reports, indent=1))


if __name__ == "__main__":
    main()
