"""Node's synchronous crypto in the sandbox (runtime/crypto*.js over @noble/*): one
handler (js_crypto/index.js) run unchanged by the runtime and by plain Node 20 with the
same keys. What is deterministic (AES ciphertexts and GCM tags, ECDH secrets, PKCS#1 v1.5 and Ed25519
signatures, key exports as PEM/DER/JWK, key derivation, errors' classes, messages and
codes) must equal Node's; what is random by design (ECDSA, PSS, OAEP, generated key pairs)
Node verifies. Needs node and openssl (CI's machine has both)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from wasmhost import FunctionConfig

HERE = Path(__file__).parent / "js_crypto"

pytestmark = pytest.mark.skipif(shutil.which("node") is None or shutil.which("openssl") is None,
                                reason="comparing with Node.js needs node (scripts/setup's npm) and openssl")


def node(*args: str | Path) -> str:
    return subprocess.run(["node", *map(str, args)], capture_output=True, text=True, check=True, timeout=120).stdout


def certificate(tmp: Path) -> str:
    """A self-signed X.509 certificate (EC P-256), as JWKS x5c and SAML metadata carry them."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(tmp / "cert.key"), "-out", str(tmp / "cert.pem"), "-subj", "/CN=wasmhost",
                    "-days", "1"], check=True, capture_output=True)
    return (tmp / "cert.pem").read_text()


def test_node_crypto_matches_node(js_host, tmp_path):
    event = json.loads(node(HERE / "keys.js", certificate(tmp_path)))
    (tmp_path / "event.json").write_text(json.dumps(event))
    js_host.deploy("crypto", HERE / "index.js", FunctionConfig(runtime="nodejs20.x", timeout_ms=60000, memory_mb=512))
    got = js_host.invoke("crypto", event).value
    want = json.loads(node("-e", "require(process.argv[1]).handler(JSON.parse(require('fs').readFileSync(process.argv[2])))"
                                 ".then((r) => console.log(JSON.stringify(r)))", HERE / "index.js", tmp_path / "event.json"))
    assert set(got["same"]) == set(want["same"])
    for name in want["same"]:
        assert got["same"][name] == want["same"][name], name
    (tmp_path / "made.json").write_text(json.dumps(got["made"]))
    assert json.loads(node(HERE / "check.js", tmp_path / "event.json", tmp_path / "made.json")) == [True] * 7
