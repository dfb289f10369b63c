"""Popular npm packages of Lambda handlers in the sandbox, against plain Node 20: a
Cognito-style authorizer with jsonwebtoken + jwk-to-pem and with AWS's aws-jwt-verify
(RS256 tokens Node signed: valid, expired, tampered; HS256 and ES256 signed and verified
in the function), pino and winston logging, cheerio parsing, busboy's multipart parsing
(js_libraries/index.js), Fastify and hapi as API Gateway handlers (js_libraries/frameworks.js).
The answer must be Node's, errors included. Needs node and the packages
(`npm ci --prefix tests/runtimes/js_libraries`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from wasmhost import FunctionConfig

HERE = Path(__file__).parent / "js_libraries"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (HERE / "node_modules" / "jsonwebtoken").is_dir(),
    reason="needs node and `npm ci --prefix tests/runtimes/js_libraries` (scripts/setup runs it)")


def node(*args: str | Path) -> str:
    return subprocess.run(["node", *map(str, args)], capture_output=True, text=True, check=True, timeout=120,
                          cwd=HERE).stdout


def test_authorizer_loggers_and_parsers_answer_as_on_node(js_host, tmp_path):
    event = json.loads(node(HERE / "tokens.js"))
    (tmp_path / "event.json").write_text(json.dumps(event))
    js_host.deploy("libs", HERE, FunctionConfig(handler="index.handler", runtime="nodejs20.x", timeout_ms=30000,
                                              memory_mb=512))
    res = js_host.invoke("libs", event)
    want = json.loads(node("-e", "require('./index.js').handler(JSON.parse(require('fs').readFileSync(process.argv[1])))"
                                 ".then((r) => console.log('@@' + JSON.stringify(r)))", tmp_path / "event.json")
                      .split("@@", 1)[1])
    assert res.value == want
    assert want["rs256"]["ok"]["sub"] == "user-1" and want["cognito"]["ok"]["sub"] == "user-2"
    assert want["tampered"]["message"] == "invalid signature" and want["expired"]["message"] == "jwt expired"
    # winston's Console transport writes its line into the function's log, as on Lambda
    assert '{"level":"info","message":"signed in","user":"u1"}' in res.logs


def test_fastify_and_hapi_answer_as_on_node(js_host):
    """Fastify behind @fastify/aws-lambda (fastify's inject calls Node's http message
    constructors as functions: ServerResponse.call(this, req)) and hapi (which samples
    perf_hooks' eventLoopUtilization at start) answer API Gateway events as plain Node does."""
    js_host.deploy("frameworks", HERE, FunctionConfig(handler="frameworks.handler", runtime="nodejs20.x",
                                                    timeout_ms=30000, memory_mb=512))
    got = js_host.invoke("frameworks", {}).value
    want = json.loads(node("-e", "require('./frameworks.js').handler({}, {}).then((r) => console.log(JSON.stringify(r)))"))
    assert got == want
    assert [r["statusCode"] for r in want["fastify"]] == [200, 201, 404, 400]
    assert [r[0] for r in want["hapi"]] == [200, 201, 404, 400]


def test_webcrypto_and_jose_answer_as_on_node(js_host, tmp_path):
    """crypto.subtle (StarlingMonkey's own trapped the instance on an RSA key import) runs on the
    runtime's Node crypto: over keys Node made, every deterministic result (RSASSA-PKCS1-v1_5,
    Ed25519, HMAC, AES-GCM/CBC, ECDH, PBKDF2, HKDF, exports) is Node's bytes, Node's
    randomised signatures and ciphertexts verify and decrypt, and jose (all WebCrypto) signs
    and verifies JWTs as on Node. What Node refuses is refused in its words: a malformed
    signature verifies false; a key used against its usages or algorithm, or imported or
    generated with usages its type cannot have, throws."""
    fixtures = node("-e", "console.log(JSON.stringify(require('./webcrypto.js').fixtures()))")
    (tmp_path / "f.json").write_text(fixtures)
    js_host.deploy("webcrypto", HERE, FunctionConfig(handler="webcrypto.handler", runtime="nodejs20.x",
                                                   timeout_ms=60000, memory_mb=512))
    got = js_host.invoke("webcrypto", json.loads(fixtures)).value
    want = json.loads(node("-e", "require('./webcrypto.js').handler(JSON.parse(require('fs').readFileSync(process.argv[1])))"
                                 ".then((r) => console.log(JSON.stringify(r)))", tmp_path / "f.json"))
    for key in want:
        assert got.get(key) == want[key], key
    assert want["rs256"][1:3] == [True, False] and want["pss"] is True and want["ecdsa"][:2] == [True, True]
    assert want["aesGcm"][2] == "OperationError" and want["oaep"] == "hello lambda" and want["wrongKey"] == "DataError"
    assert want["jose"][1]["sub"] == "user-1" and want["jose"][4][0] == "ERR_JWT_EXPIRED"
    refused = want["refused"]
    assert refused["ecShort"] is False and refused["rsaShort"] is False and refused["edShort"] is False
    assert refused["verifyWithSignKey"][0] == "InvalidAccessError" and refused["privateForVerify"][0] == "SyntaxError"


def test_http_clients_answer_as_on_node(js_host, internet):
    """got (a request told from a response by its writable flag, a body read through
    'readable' and read()), axios (its http adapter, picked by process's toString tag),
    superagent and node-fetch 3 (util.types, http's header checks) get the same answers and
    errors as on plain Node: JSON GET and POST, a 404, a refused connection."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/"
    event = {"url": internet.url, "closed": closed}
    js_host.deploy("clients", HERE, FunctionConfig(handler="clients.handler", runtime="nodejs20.x", timeout_ms=30000,
                                                 memory_mb=512, allowed_hosts=("127.0.0.1:*",)))
    got = js_host.invoke("clients", event).value
    want = json.loads(node("--input-type=module", "-e", "import { handler } from './clients.mjs';"
                           f"console.log(JSON.stringify(await handler({json.dumps(event)})))"))
    assert got == want
    assert want["got"][0] == ["GET", "/echo?a=1", "", None] and want["got"][3][1] == "ECONNREFUSED"
    assert want["axios"][2][-1] == 404 and want["nodeFetch"][3] == 404
