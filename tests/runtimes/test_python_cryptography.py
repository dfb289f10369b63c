"""pyca/cryptography in the Python sandbox: its Rust/OpenSSL module stood in for by
pure Python (``guest_sdk/python/runtime/wasmhost_cryptography*.py``), under the wheel's
own Python layer, installed from requirements.txt as on Lambda.

Two kinds of check: real handlers deployed through a host, whose results are checked by
the host's native cryptography (and PyJWT) both ways; and known answers, the same
deterministic script run here twice, over the native module and over the stand-in (the
very files the runtime carries), whose outputs must be byte for byte equal."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wasmhost import FunctionConfig

RUNTIME = Path(__file__).resolve().parents[2] / "guest_sdk" / "python" / "runtime"
REQUIREMENTS = "cryptography\nPyJWT\n"

# run before a script: cryptography's native module is the stand-in, as in the sandbox
STAND_IN = textwrap.dedent(f"""
    import importlib.abc, importlib.util, sys
    sys.path.insert(0, {str(RUNTIME)!r})
    import wasmhost_cryptography

    class StandIn(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path=None, target=None):
            if name == "cryptography.hazmat.bindings._rust":
                return importlib.util.spec_from_loader(name, self)
        def create_module(self, spec):
            wasmhost_cryptography.__name__ = spec.name
            return wasmhost_cryptography
        def exec_module(self, module):
            pass
    sys.meta_path.insert(0, StandIn())
""")


def run_both(script: str) -> tuple[dict, dict]:
    """``script``'s JSON output over the native module and over the stand-in."""
    outs = []
    for prelude in ("", STAND_IN):
        proc = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(script)], capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        outs.append(json.loads(proc.stdout))
    return outs[0], outs[1]


SYMMETRIC = """
    import json
    from cryptography.hazmat.primitives import hashes, hmac, padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
    from cryptography.hazmat.decrepit.ciphers.modes import CFB8
    from cryptography.fernet import Fernet
    out = {}
    msg = bytes(range(256)) * 3 + b"tail"
    for h in (hashes.SHA1(), hashes.SHA224(), hashes.SHA256(), hashes.SHA384(), hashes.SHA512(), hashes.SHA3_256(),
              hashes.MD5(), hashes.BLAKE2b(64), hashes.BLAKE2s(32)):
        d = hashes.Hash(h); d.update(msg[:10]); c = d.copy(); d.update(msg[10:]); out["hash-" + h.name] = d.finalize().hex()
        m = hmac.HMAC(b"key", h); m.update(msg); out["hmac-" + h.name] = m.finalize().hex()
    p = padding.PKCS7(128).padder(); padded = p.update(b"abc") + p.update(b"x" * 16) + p.finalize()
    u = padding.PKCS7(128).unpadder(); out["pad"] = [padded.hex(), (u.update(padded) + u.finalize()).hex()]
    for ks in (16, 24, 32):
        key, iv = bytes(range(ks)), bytes(range(16, 32))
        for name, mode in (("ECB", modes.ECB()), ("CBC", modes.CBC(iv)), ("CTR", modes.CTR(iv)), ("CFB", modes.CFB(iv)),
                           ("OFB", modes.OFB(iv)), ("CFB8", CFB8(iv))):
            data = msg[:768] if name in ("ECB", "CBC") else msg
            e = Cipher(algorithms.AES(key), mode).encryptor()
            ct = e.update(data[:100]) + e.update(data[100:]) + e.finalize()
            d = Cipher(algorithms.AES(key), mode).decryptor()
            out[f"aes{ks}-{name}"] = [ct.hex(), d.update(ct[:37]) + d.update(ct[37:]) + d.finalize() == data]
        e = Cipher(algorithms.AES(key), modes.GCM(iv[:12])).encryptor(); e.authenticate_additional_data(b"aad")
        ct = e.update(msg[:20]) + e.update(msg[20:]) + e.finalize()
        d = Cipher(algorithms.AES(key), modes.GCM(iv[:12], e.tag)).decryptor(); d.authenticate_additional_data(b"aad")
        out[f"gcm{ks}"] = [(ct + e.tag).hex(), d.update(ct) + d.finalize() == msg]
        a = AESGCM(key)
        sealed = a.encrypt(iv[:12], msg, b"x")
        out[f"aesgcm{ks}"] = [sealed.hex(), a.decrypt(iv[:12], sealed, b"x") == msg, a.encrypt(iv, msg, None).hex()]
    c = ChaCha20Poly1305(bytes(32)); out["chacha20poly1305"] = c.encrypt(bytes(12), msg, b"a").hex()
    e = Cipher(algorithms.ChaCha20(bytes(range(32)), bytes(16)), None).encryptor(); out["chacha20"] = e.update(msg).hex()
    out["pbkdf2"] = PBKDF2HMAC(hashes.SHA256(), 32, b"salt", 1000).derive(b"pw").hex()
    out["hkdf"] = HKDF(hashes.SHA256(), 42, b"salt", b"info").derive(b"ikm").hex()
    out["scrypt"] = Scrypt(b"salt", 32, 64, 8, 1).derive(b"pw").hex()
    f = Fernet(b"cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
    token = f._encrypt_from_parts(b"hello" * 50, 1000, bytes(16))
    out["fernet"] = [token.decode(), f.decrypt(token).decode()]
    print(json.dumps(out))
"""


def test_symmetric_answers_match_the_native_module():
    native, stand_in = run_both(SYMMETRIC)
    assert len(native) > 40 and stand_in == native
    assert all(v[1] for k, v in native.items() if k.startswith(("aes", "gcm")))  # each decrypted back


def deploy(host, name: str, app: str, tmp_path: Path) -> None:
    code = tmp_path / name
    code.mkdir()
    (code / "app.py").write_text(textwrap.dedent(app))
    (code / "requirements.txt").write_text(REQUIREMENTS)
    host.deploy(name, code, FunctionConfig(handler="app.handler", runtime="python3.12", timeout_ms=60000))


FERNET_APP = """
    from cryptography.fernet import Fernet, InvalidToken

    def handler(event, context):
        f = Fernet(event["key"].encode())
        token = event["token"].encode()
        try:
            f.decrypt(token[:20] + (b"A" if token[20:21] != b"A" else b"B") + token[21:])  # a byte of the IV changed
            tampered = "accepted"
        except InvalidToken:
            tampered = "InvalidToken"
        return {"token": f.encrypt(event["text"].encode()).decode(), "plain": f.decrypt(event["token"].encode()).decode(),
                "tampered": tampered}
"""


def test_fernet_both_ways(python_host, tmp_path):
    from cryptography.fernet import Fernet
    deploy(python_host, "fernet", FERNET_APP, tmp_path)
    key = Fernet.generate_key()
    got = python_host.invoke("fernet", {"key": key.decode(), "text": "from the sandbox",
                                        "token": Fernet(key).encrypt(b"from the host").decode()}).value
    assert got["plain"] == "from the host" and got["tampered"] == "InvalidToken"
    assert Fernet(key).decrypt(got["token"].encode()) == b"from the sandbox"
