"""pyca/cryptography in the Python sandbox: its Rust/OpenSSL module stood in for by
pure Python (``guest_sdk/python/runtime/wasmhost_cryptography*.py``), under the wheel's
own Python layer, installed from requirements.txt as on Lambda.

Two kinds of check: real handlers deployed through a host, whose results are checked by
the host's native cryptography (and PyJWT) both ways; and known answers, the same
deterministic script run here twice, over the native module and over the stand-in (the
very files the runtime carries), whose outputs must be byte for byte equal."""

import json
import os
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
    try:
        from cryptography.hazmat.decrepit.ciphers.modes import CFB8
    except ImportError:  # before 44
        from cryptography.hazmat.primitives.ciphers.modes import CFB8
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
    from cryptography.hazmat.primitives import keywrap, poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
    from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
    from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
    kek = bytes(range(16))
    wrapped = [keywrap.aes_key_wrap(kek, bytes(range(32))), keywrap.aes_key_wrap_with_padding(kek, b"seven b"),
               keywrap.aes_key_wrap_with_padding(kek, bytes(range(20)))]
    out["keywrap"] = [w.hex() for w in wrapped] + [keywrap.aes_key_unwrap(kek, wrapped[0]).hex(),
                                                   keywrap.aes_key_unwrap_with_padding(kek, wrapped[1]).hex(),
                                                   keywrap.aes_key_unwrap_with_padding(kek, wrapped[2]).hex()]
    try:
        keywrap.aes_key_unwrap(kek, wrapped[0][:-1] + b"x")
    except keywrap.InvalidUnwrap:
        out["keywrap"].append("InvalidUnwrap")
    out["poly1305"] = poly1305.Poly1305.generate_tag(bytes(range(32)), msg).hex()
    out["hkdf_expand"] = HKDFExpand(hashes.SHA384(), 100, b"info").derive(bytes(48)).hex()
    out["x963"] = X963KDF(hashes.SHA256(), 40, b"shared").derive(b"z").hex()
    out["concat"] = ConcatKDFHash(hashes.SHA512(), 70, b"other").derive(b"z").hex()
    p = padding.ANSIX923(64).padder(); padded = p.update(b"abcde") + p.finalize()
    u = padding.ANSIX923(64).unpadder(); out["ansix923"] = [padded.hex(), (u.update(padded) + u.finalize()).hex()]
    f = Fernet(b"cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
    token = f._encrypt_from_parts(b"hello" * 50, 1000, bytes(16))
    out["fernet"] = [token.decode(), f.decrypt(token).decode()]
    print(json.dumps(out))
"""


def test_symmetric_answers_match_the_native_module():
    native, stand_in = run_both(SYMMETRIC)
    assert len(native) > 40 and stand_in == native
    assert all(v[1] for k, v in native.items() if k.startswith(("aes", "gcm")))  # each decrypted back


PUBLIC_KEYS = """
import json, os, sys
from cryptography.hazmat.primitives import hashes, serialization as S
from cryptography.hazmat.primitives.asymmetric import rsa, ec, ed25519, x25519, padding as P
from cryptography.exceptions import InvalidSignature
inp = json.load(open(os.environ["KEYS"])); out = {}; msg = b"message to sign"
def load(p, pw=None): return S.load_pem_private_key(p.encode(), pw)
def label(*members):  # "Encoding.PEM-..." over either module's enums, any version
    return "-".join(repr(m).strip("<>").split(":")[0] for m in members)
def pubs(k):
    p = k.public_key(); r = {}
    for e, f in ((S.Encoding.DER, S.PublicFormat.SubjectPublicKeyInfo), (S.Encoding.PEM, S.PublicFormat.SubjectPublicKeyInfo),
                 (S.Encoding.OpenSSH, S.PublicFormat.OpenSSH), (S.Encoding.DER, S.PublicFormat.PKCS1),
                 (S.Encoding.X962, S.PublicFormat.CompressedPoint), (S.Encoding.Raw, S.PublicFormat.Raw)):
        try: r[label(e, f)] = p.public_bytes(e, f).hex()
        except ValueError as x: r[label(e, f)] = "ValueError"
    return r
def privs(k):
    r = {}
    for e, f in ((S.Encoding.DER, S.PrivateFormat.PKCS8), (S.Encoding.PEM, S.PrivateFormat.TraditionalOpenSSL), (S.Encoding.Raw, S.PrivateFormat.Raw)):
        try: r[label(e, f)] = k.private_bytes(e, f, S.NoEncryption()).hex()
        except ValueError: r[label(e, f)] = "ValueError"
    return r
def check(f):
    try: f(); return "ok"
    except InvalidSignature: return "InvalidSignature"
r = load(inp["rsa"]); n = r.private_numbers()
out["rsa_numbers"] = [n.p, n.q, n.d, n.iqmp, n.public_numbers.e, r.key_size]
out["rsa_pub"] = pubs(r); out["rsa_priv"] = privs(r)
for h in (hashes.SHA1(), hashes.SHA256(), hashes.SHA384(), hashes.SHA512()):
    out["rsa_pkcs1_" + h.name] = r.sign(msg, P.PKCS1v15(), h).hex()
out["rsa_trad_same"] = load(inp["rsa_trad"]).private_numbers() == n
out["rsa_enc_same"] = load(inp["rsa_enc"], b"pw").private_numbers() == n
out["pss_native_ok"] = check(lambda: r.public_key().verify(bytes.fromhex(inp["pss"]), msg, P.PSS(P.MGF1(hashes.SHA256()), P.PSS.AUTO), hashes.SHA256()))
out["pss_tampered"] = check(lambda: r.public_key().verify(bytes.fromhex(inp["pss"]), msg + b"x", P.PSS(P.MGF1(hashes.SHA256()), P.PSS.AUTO), hashes.SHA256()))
out["oaep"] = r.decrypt(bytes.fromhex(inp["oaep"]), P.OAEP(P.MGF1(hashes.SHA256()), hashes.SHA256(), None)).decode()
out["pkcs1enc"] = r.decrypt(bytes.fromhex(inp["pkcs1enc"]), P.PKCS1v15()).decode()
pss = r.sign(msg, P.PSS(P.MGF1(hashes.SHA256()), P.PSS.DIGEST_LENGTH), hashes.SHA256())
out["pss_self"] = check(lambda: r.public_key().verify(pss, msg, P.PSS(P.MGF1(hashes.SHA256()), 32), hashes.SHA256()))
out["own_oaep"] = r.decrypt(r.public_key().encrypt(b"x" * 100, P.OAEP(P.MGF1(hashes.SHA1()), hashes.SHA1(), b"label")), P.OAEP(P.MGF1(hashes.SHA1()), hashes.SHA1(), b"label")).decode()
out["recover"] = r.public_key().recover_data_from_signature(bytes.fromhex(out["rsa_pkcs1_sha256"]), P.PKCS1v15(), hashes.SHA256()).hex()
for name, p in inp["ec"].items():
    k = load(p); out["ec_" + name] = [k.private_numbers().private_value, k.public_key().public_numbers().x, pubs(k), privs(k)]
    try:
        out["ecdsa_det_" + name] = k.sign(msg, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)).hex()
    except TypeError:  # before 43
        pass
    out["ecdsa_native_" + name] = check(lambda: k.public_key().verify(bytes.fromhex(inp["ecdsa"][name]), msg, ec.ECDSA(hashes.SHA256())))
    out["ecdsa_bad_" + name] = check(lambda: k.public_key().verify(bytes.fromhex(inp["ecdsa"][name]), msg + b"!", ec.ECDSA(hashes.SHA256())))
    sig = k.sign(msg, ec.ECDSA(hashes.SHA384()))
    out["ecdsa_self_" + name] = check(lambda: k.public_key().verify(sig, msg, ec.ECDSA(hashes.SHA384())))
    other = ec.derive_private_key(12345, k.curve)
    out["ecdh_" + name] = k.exchange(ec.ECDH(), other.public_key()).hex()
    out["point_" + name] = ec.EllipticCurvePublicKey.from_encoded_point(k.curve, bytes.fromhex(pubs(k)["Encoding.X962-PublicFormat.CompressedPoint"])).public_numbers().y
out["ec_trad_same"] = load(inp["ec_trad"]).private_numbers() == load(inp["ec"]["secp256r1"]).private_numbers()
out["ec_enc_trad"] = load(inp["ec_enc_trad"], b"pw").private_numbers() == load(inp["ec"]["secp256r1"]).private_numbers()
e = load(inp["ed"]); out["ed"] = [pubs(e), privs(e), e.sign(msg).hex()]
out["ed_verify"] = [check(lambda: e.public_key().verify(e.sign(msg), msg)), check(lambda: e.public_key().verify(e.sign(msg), msg + b"!"))]
x = load(inp["x"]); out["x"] = [pubs(x), privs(x), x.exchange(x25519.X25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()).hex()]
pub = S.load_pem_public_key(r.public_key().public_bytes(S.Encoding.PEM, S.PublicFormat.SubjectPublicKeyInfo))
out["load_pub"] = [pub == r.public_key(), S.load_ssh_public_key(r.public_key().public_bytes(S.Encoding.OpenSSH, S.PublicFormat.OpenSSH)).public_numbers().n == n.public_numbers.n,
                   S.load_der_public_key(r.public_key().public_bytes(S.Encoding.DER, S.PublicFormat.PKCS1)) == r.public_key()]
# made here, checked by the test with the native module (random: not compared)
gen = rsa.generate_private_key(65537, 1024)
made = {"pss": r.sign(msg, P.PSS(P.MGF1(hashes.SHA256()), P.PSS.MAX_LENGTH), hashes.SHA256()).hex(),
        "oaep": r.public_key().encrypt(b"to the host", P.OAEP(P.MGF1(hashes.SHA256()), hashes.SHA256(), None)).hex(),
        "ecdsa": load(inp["ec"]["secp256r1"]).sign(msg, ec.ECDSA(hashes.SHA256())).hex(),
        "encrypted": r.private_bytes(S.Encoding.PEM, S.PrivateFormat.PKCS8, S.BestAvailableEncryption(b"pw")).decode(),
        "generated": gen.private_bytes(S.Encoding.PEM, S.PrivateFormat.PKCS8, S.NoEncryption()).decode(),
        "generated_sig": gen.sign(msg, P.PKCS1v15(), hashes.SHA256()).hex(),
        "openssh": [k.private_bytes(S.Encoding.PEM, S.PrivateFormat.OpenSSH, S.NoEncryption()).decode()
                    for k in (r, load(inp["ec"]["secp256r1"]), e)]}
print(json.dumps({"same": out, "made": made}))
"""


def test_public_key_answers_match_the_native_module(tmp_path, monkeypatch):
    """Keys made by the native module, loaded both ways; what is deterministic (PKCS#1 v1.5
    and RFC 6979 signatures, Ed25519, key agreement, every serialization) is byte for byte
    equal, what the native module signed or encrypted the stand-in checks, and the reverse."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization as S
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
    from cryptography.hazmat.primitives.asymmetric import padding as P
    rsa_key = rsa.generate_private_key(65537, 2048)
    ec_keys = {c.name: ec.generate_private_key(c) for c in (ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1(),
                                                             ec.SECP256K1())}
    secp256r1 = ec_keys["secp256r1"]

    def pkcs8(k, encryption=None, fmt=S.PrivateFormat.PKCS8):
        return k.private_bytes(S.Encoding.PEM, fmt, encryption or S.NoEncryption()).decode()
    msg = b"message to sign"
    keys = {"rsa": pkcs8(rsa_key), "ec": {n: pkcs8(k) for n, k in ec_keys.items()},
            "ed": pkcs8(ed25519.Ed25519PrivateKey.generate()), "x": pkcs8(x25519.X25519PrivateKey.generate()),
            "rsa_trad": pkcs8(rsa_key, fmt=S.PrivateFormat.TraditionalOpenSSL),
            "ec_trad": pkcs8(secp256r1, fmt=S.PrivateFormat.TraditionalOpenSSL),
            "rsa_enc": pkcs8(rsa_key, S.BestAvailableEncryption(b"pw")),
            "ec_enc_trad": pkcs8(secp256r1, S.BestAvailableEncryption(b"pw"), S.PrivateFormat.TraditionalOpenSSL),
            "pss": rsa_key.sign(msg, P.PSS(P.MGF1(hashes.SHA256()), P.PSS.MAX_LENGTH), hashes.SHA256()).hex(),
            "oaep": rsa_key.public_key().encrypt(b"secret", P.OAEP(P.MGF1(hashes.SHA256()), hashes.SHA256(),
                                                                   None)).hex(),
            "pkcs1enc": rsa_key.public_key().encrypt(b"secret", P.PKCS1v15()).hex(),
            "ecdsa": {n: k.sign(msg, ec.ECDSA(hashes.SHA256())).hex() for n, k in ec_keys.items()}}
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    monkeypatch.setenv("KEYS", str(tmp_path / "keys.json"))
    native, stand_in = run_both(PUBLIC_KEYS)
    assert stand_in["same"] == native["same"]
    got = stand_in["same"]
    assert got["pss_native_ok"] == "ok" and got["pss_tampered"] == "InvalidSignature"
    assert got["oaep"] == got["pkcs1enc"] == "secret" and got["rsa_enc_same"] and got["ec_enc_trad"]
    assert all(got[f"ecdsa_native_{n}"] == "ok" and got[f"ecdsa_bad_{n}"] == "InvalidSignature" for n in ec_keys)
    made = stand_in["made"]
    rsa_key.public_key().verify(bytes.fromhex(made["pss"]), msg, P.PSS(P.MGF1(hashes.SHA256()), P.PSS.AUTO),
                                hashes.SHA256())
    assert rsa_key.decrypt(bytes.fromhex(made["oaep"]), P.OAEP(P.MGF1(hashes.SHA256()), hashes.SHA256(), None)) == \
        b"to the host"
    secp256r1.public_key().verify(bytes.fromhex(made["ecdsa"]), msg, ec.ECDSA(hashes.SHA256()))
    loaded = S.load_pem_private_key(made["encrypted"].encode(), b"pw")
    assert loaded.private_numbers() == rsa_key.private_numbers()
    generated = S.load_pem_private_key(made["generated"].encode(), None)  # checked as OpenSSL checks a key
    assert generated.key_size == 1024
    generated.public_key().verify(bytes.fromhex(made["generated_sig"]), msg, P.PKCS1v15(), hashes.SHA256())
    openssh = [S.load_ssh_private_key(k.encode(), None) for k in made["openssh"]]
    assert openssh[0].private_numbers() == rsa_key.private_numbers()
    assert openssh[1].private_numbers() == secp256r1.private_numbers()
    assert openssh[2].private_bytes_raw() == S.load_pem_private_key(keys["ed"].encode(), None).private_bytes_raw()


CERTIFICATES = """
    import json, os
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization as S
    pem = b"".join(open(p, "rb").read() for p in os.environ["CERTS"].split(os.pathsep))
    certs = x509.load_pem_x509_certificates(pem)
    out = []
    for c in certs:
        r = {"subject": c.subject.rfc4514_string(), "issuer": c.issuer.rfc4514_string(), "serial": c.serial_number,
             "version": str(c.version), "nvb": c.not_valid_before.isoformat(),
             "nva": c.not_valid_after.isoformat(), "fp": c.fingerprint(hashes.SHA256()).hex(),
             "sigoid": c.signature_algorithm_oid.dotted_string, "hash": getattr(c.signature_hash_algorithm, "name", None),
             "params": repr(c.signature_algorithm_parameters)[:40], "pkoid": getattr(c, "public_key_algorithm_oid", c.signature_algorithm_oid).dotted_string,
             "spki": c.public_key().public_bytes(S.Encoding.DER, S.PublicFormat.SubjectPublicKeyInfo).hex(),
             "extensions": [repr(e) for e in c.extensions], "name_bytes": c.subject.public_bytes().hex(),
             "reloaded": c == x509.load_der_x509_certificate(c.public_bytes(S.Encoding.DER))}
        try:
            c.verify_directly_issued_by(c)
            r["self_signed"] = "ok"
        except Exception as e:
            r["self_signed"] = type(e).__name__
        out.append(r)
    chain = []
    for c in certs[-6:]:  # the made ones: a root, three leaves it signed, two other roots
        try:
            c.verify_directly_issued_by(certs[-6])
            chain.append("ok")
        except Exception as e:
            chain.append(type(e).__name__)
    print(json.dumps({"certs": out, "chain": chain}))
"""


def make_certificates(path: Path) -> None:
    """A root, leaves it signed (RSA PKCS#1 v1.5 SHA-384, RSA-PSS, SHA-512) for RSA, EC and
    Ed25519 keys, carrying every common extension, and EC and Ed25519 roots; made natively."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization as S
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID
    ca_key = rsa.generate_private_key(65537, 2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test CA, Inc."),
                         x509.NameAttribute(NameOID.COMMON_NAME, "Test Root ÄÖ")])
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf"),
                           x509.NameAttribute(NameOID.EMAIL_ADDRESS, "x@y.z")])
    now = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    uri = x509.UniformResourceIdentifier
    leaf_extensions = [
        x509.SubjectAlternativeName([
            x509.DNSName("example.com"), x509.DNSName("*.example.com"), x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")), x509.RFC822Name("a@example.com"), uri("https://example.com/x"),
            x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dir")])),
            x509.RegisteredID(x509.ObjectIdentifier("1.2.3.4")),
            x509.OtherName(x509.ObjectIdentifier("1.2.3.5"), b"\x0c\x03abc")]),
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
        x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, uri("http://ocsp.example.com")),
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, uri("http://ca.example.com/ca.crt"))]),
        x509.CRLDistributionPoints([x509.DistributionPoint([uri("http://crl.example.com/a.crl")], None, None, None)]),
        x509.CertificatePolicies([
            x509.PolicyInformation(x509.ObjectIdentifier("2.23.140.1.2.1"), None),
            x509.PolicyInformation(x509.ObjectIdentifier("1.3.6.1.4.1.44947.1.1.1"), ["http://cps.example.com"])]),
        x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.99"), b"\x04\x02hi")]

    def build(key, name, issuer_name, signer, ca=False, **sign_options):
        b = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name).public_key(key.public_key())
             .serial_number(x509.random_serial_number()).not_valid_before(now)
             .not_valid_after(now + datetime.timedelta(days=4000))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=1 if ca else None), critical=True)
             .add_extension(x509.KeyUsage(True, False, True, False, False, ca, ca, False, False), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
        for extension in [] if ca else leaf_extensions:
            b = b.add_extension(extension, critical=False)
        return b.sign(*signer, **sign_options)
    certs = [build(ca_key, ca_name, ca_name, (ca_key, hashes.SHA256()), ca=True),
             build(rsa.generate_private_key(65537, 2048), leaf_name, ca_name, (ca_key, hashes.SHA384())),
             build(ec.generate_private_key(ec.SECP256R1()), leaf_name, ca_name, (ca_key, hashes.SHA256()),
                   rsa_padding=padding.PSS(padding.MGF1(hashes.SHA256()), 32)),
             build(ed25519.Ed25519PrivateKey.generate(), leaf_name, ca_name, (ca_key, hashes.SHA512()))]
    for key, algorithm in ((ec.generate_private_key(ec.SECP384R1()), hashes.SHA384()),
                           (ed25519.Ed25519PrivateKey.generate(), None)):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{type(key).__name__} root")])
        certs.append(build(key, name, name, (key, algorithm), ca=True))
    path.write_bytes(b"".join(c.public_bytes(S.Encoding.PEM) for c in certs))


def test_certificates_answer_as_the_native_module(tmp_path, monkeypatch):
    """The system's CA bundle (real certificates from many issuers) and certificates made here
    with every common extension: each field the same, read over either module."""
    import ssl
    make_certificates(tmp_path / "made.pem")
    bundle = ssl.get_default_verify_paths().cafile
    files = ([bundle] if bundle and Path(bundle).exists() else []) + [str(tmp_path / "made.pem")]
    monkeypatch.setenv("CERTS", os.pathsep.join(files))
    native, stand_in = run_both(CERTIFICATES)
    assert stand_in == native
    assert native["chain"] == ["ok", "ok", "ok", "ok", "ValueError", "ValueError"]
    assert len(native["certs"]) >= 6 and all(c["reloaded"] for c in native["certs"])


ERRORS = r"""
import json, os
from cryptography.hazmat.primitives import hashes, serialization as S, hmac
from cryptography.hazmat.primitives.asymmetric import rsa, ec, padding as P, ed25519, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography import x509
from cryptography.fernet import Fernet
inp = json.load(open(os.environ["KEYS"]))
enc = inp["rsa_enc"].encode(); plain = inp["rsa"].encode()
k = S.load_pem_private_key(plain, None); pub = k.public_key()
eck = S.load_pem_private_key(inp["ec"].encode(), None)
cases = {
 "wrong_pw": lambda: S.load_pem_private_key(enc, b"nope"),
 "no_pw": lambda: S.load_pem_private_key(enc, None),
 "pw_unneeded": lambda: S.load_pem_private_key(plain, b"pw"),
 "garbage_pem": lambda: S.load_pem_private_key(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", None),
 "no_pem": lambda: S.load_pem_private_key(b"hello", None),
 "garbage_der": lambda: S.load_der_private_key(b"\x30\x03\x02\x01\x00", None),
 "pub_garbage": lambda: S.load_pem_public_key(b"hello"),
 "pub_der_garbage": lambda: S.load_der_public_key(b"\x01\x02"),
 "str_pw": lambda: S.load_pem_private_key(enc, "pw"),
 "cert_garbage": lambda: x509.load_pem_x509_certificate(b"nope"),
 "cert_der_garbage": lambda: x509.load_der_x509_certificate(b"\x30\x00"),
 "rsa_encrypt_too_long": lambda: pub.encrypt(b"x" * 300, P.PKCS1v15()),
 "rsa_decrypt_bad": lambda: k.decrypt(b"\x01" * 256, P.OAEP(P.MGF1(hashes.SHA256()), hashes.SHA256(), None)),
 "rsa_sign_bad_padding": lambda: k.sign(b"x", "nope", hashes.SHA256()),
 "rsa_gen_small": lambda: rsa.generate_private_key(65537, 512),
 "rsa_gen_bad_e": lambda: rsa.generate_private_key(4, 2048),
 "ec_wrong_alg": lambda: eck.sign(b"x", "nope"),
 "ec_point_bad": lambda: ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + b"\x01" * 64),
 "ec_exchange_wrong": lambda: eck.exchange(ec.ECDH(), pub),
 "ed_bad_len": lambda: ed25519.Ed25519PrivateKey.from_private_bytes(b"x"),
 "x_bad_len": lambda: x25519.X25519PublicKey.from_public_bytes(b"x" * 31),
 "aes_bad_key": lambda: algorithms.AES(b"x" * 15),
 "cbc_not_block": lambda: (lambda e: e.update(b"x" * 17) + e.finalize())(Cipher(algorithms.AES(bytes(16)), modes.CBC(bytes(16))).encryptor()),
 "gcm_bad_tag": lambda: AESGCM(bytes(16)).decrypt(bytes(12), b"x" * 20, None),
 "gcm_bad_nonce": lambda: AESGCM(bytes(16)).encrypt(b"", b"x", None),
 "chacha_bad_key": lambda: ChaCha20Poly1305(b"x"),
 "fernet_bad_key": lambda: Fernet(b"short"),
 "hmac_str": lambda: hmac.HMAC(b"k", hashes.SHA256()).update("str"),
 "hash_finalized": lambda: (lambda h: (h.finalize(), h.finalize()))(hashes.Hash(hashes.SHA256())),
 "private_bytes_bad": lambda: k.private_bytes(S.Encoding.Raw, S.PrivateFormat.PKCS8, S.NoEncryption()),
 "public_bytes_bad": lambda: pub.public_bytes(S.Encoding.X962, S.PublicFormat.UncompressedPoint),
 "ed_pkcs1": lambda: ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(S.Encoding.PEM, S.PublicFormat.PKCS1),
 "encoding_str": lambda: pub.public_bytes("PEM", S.PublicFormat.SubjectPublicKeyInfo),
}
out = {}
for name, f in cases.items():
    try:
        f(); out[name] = "no error"
    except Exception as e:
        out[name] = type(e).__name__
print(json.dumps(out))
"""


def test_bad_input_fails_as_in_the_native_module(tmp_path, monkeypatch):
    """Wrong or missing passwords, garbage keys and certificates, oversized plaintexts,
    forged tags, wrong key sizes, bad formats: each raises the native module's exception
    type (the messages are the stand-in's own)."""
    from cryptography.hazmat.primitives import serialization as S
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    key = rsa.generate_private_key(65537, 2048)
    keys = {"rsa": key.private_bytes(S.Encoding.PEM, S.PrivateFormat.PKCS8, S.NoEncryption()).decode(),
            "rsa_enc": key.private_bytes(S.Encoding.PEM, S.PrivateFormat.PKCS8,
                                         S.BestAvailableEncryption(b"pw")).decode(),
            "ec": ec.generate_private_key(ec.SECP256R1()).private_bytes(S.Encoding.PEM, S.PrivateFormat.PKCS8,
                                                                       S.NoEncryption()).decode()}
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    monkeypatch.setenv("KEYS", str(tmp_path / "keys.json"))
    native, stand_in = run_both(ERRORS)
    assert stand_in == native
    assert "no error" not in native.values() and len(native) > 30


BUILD_CERTIFICATES = r"""
    import datetime, ipaddress, json, os
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization as S
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID
    keys = {k: S.load_pem_private_key(v.encode(), None) for k, v in json.load(open(os.environ["KEYS"])).items()}
    uri = x509.UniformResourceIdentifier
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"), x509.NameAttribute(NameOID.COMMON_NAME, "Ünïcode"),
                      x509.NameAttribute(NameOID.EMAIL_ADDRESS, "a@example.com")])
    extensions = [
        (x509.BasicConstraints(ca=True, path_length=0), True),
        (x509.KeyUsage(True, False, False, False, True, True, True, False, True), True),
        (x509.KeyUsage(True, False, False, False, False, False, False, False, False), False),
        (x509.SubjectKeyIdentifier(b"" * 20), False),
        (x509.AuthorityKeyIdentifier(b"" * 20, [x509.DNSName("ca.example")], 12345), False),
        (x509.SubjectAlternativeName([x509.DNSName("example.com"), x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
                                      x509.IPAddress(ipaddress.ip_address("::1")), x509.RFC822Name("a@b.c"),
                                      uri("https://example.com"), x509.RegisteredID(x509.ObjectIdentifier("1.2.3")),
                                      x509.DirectoryName(name),
                                      x509.OtherName(x509.ObjectIdentifier("1.2.3.5"), b"abc")]), False),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CODE_SIGNING]), False),
        (x509.AuthorityInformationAccess([x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                                                 uri("http://ocsp.example"))]), False),
        (x509.CRLDistributionPoints([x509.DistributionPoint([uri("http://crl.example/a.crl")], None, None, None)]),
         False),
        (x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier("2.23.140.1.2.1"), None),
                                   x509.PolicyInformation(x509.ObjectIdentifier("1.2.3.4"),
                                                          ["http://cps.example", x509.UserNotice(None, "note")])]),
         False),
        (x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.99"), b"hi"), False)]
    def build(key, start, extensions):
        b = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
             .serial_number(0x1234567890ABCDEF).not_valid_before(start).not_valid_after(datetime.datetime(2051, 1, 1)))
        for ext, critical in extensions:
            b = b.add_extension(ext, critical=critical)
        return b
    start = datetime.datetime(2024, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)
    out = {"rsa": build(keys["rsa"], start, extensions[:2] + extensions[3:]).sign(keys["rsa"], hashes.SHA256()),
           "ec": build(keys["ec"], start, extensions[2:3]).sign(keys["ec"], hashes.SHA384(), ecdsa_deterministic=True),
           "ed": build(keys["ed"], start.replace(year=1999), []).sign(keys["ed"], None),
           "pss": build(keys["rsa"], start, []).sign(keys["rsa"], hashes.SHA256(),
                                                      rsa_padding=padding.PSS(padding.MGF1(hashes.SHA256()), 32))}
    pss = out.pop("pss")
    print(json.dumps({**{k: c.public_bytes(S.Encoding.DER).hex() for k, c in out.items()},
                      "pss_tbs": pss.tbs_certificate_bytes.hex(), "pss": pss.public_bytes(S.Encoding.PEM).decode(),
                      "extension_bytes": [e.public_bytes().hex() for e, _ in extensions]}))
"""


def test_built_certificates_are_the_native_modules_byte_for_byte(tmp_path, monkeypatch):
    """CertificateBuilder.sign over the stand-in: with a deterministic signature (RSA PKCS#1
    v1.5, RFC 6979 ECDSA, Ed25519) the very certificate the native module makes, every common
    extension encoded as it encodes them; an RSA-PSS one (random salt) checked natively."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization as S
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    def pem(key):
        return key.private_bytes(S.Encoding.PEM, S.PrivateFormat.PKCS8, S.NoEncryption()).decode()
    keys = {"rsa": pem(rsa.generate_private_key(65537, 2048)), "ec": pem(ec.generate_private_key(ec.SECP384R1())),
            "ed": pem(ed25519.Ed25519PrivateKey.generate())}
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    monkeypatch.setenv("KEYS", str(tmp_path / "keys.json"))
    native, stand_in = run_both(BUILD_CERTIFICATES)
    pss = x509.load_pem_x509_certificate(stand_in.pop("pss").encode())
    native.pop("pss")
    assert stand_in == native
    pss.verify_directly_issued_by(pss)  # the native module checks the sandbox's PSS signature


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


JWT_APP = """
    import jwt

    def handler(event, context):
        out = {}
        for alg in ("RS256", "PS256", "ES256", "EdDSA"):
            keys = event[alg]
            out[alg] = {"token": jwt.encode({"sub": "sandbox", "alg": alg}, keys["private"], algorithm=alg),
                        "claims": jwt.decode(keys["token"], keys["public"], algorithms=[alg])}
            try:
                jwt.decode(keys["token"][:-4] + ("AAAA" if not keys["token"].endswith("AAAA") else "BBBB"),
                           keys["public"], algorithms=[alg])
                out[alg]["tampered"] = "accepted"
            except jwt.InvalidSignatureError as e:
                out[alg]["tampered"] = str(e)
        return out
"""


def test_pyjwt_signs_and_verifies_with_the_host(python_host, tmp_path):
    """PyJWT's RS256/PS256/ES256/EdDSA (API Gateway authorizers, Cognito): tokens the host's
    native cryptography signed are checked in the sandbox, and the sandbox's on the host."""
    import jwt
    from cryptography.hazmat.primitives import serialization as S
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    deploy(python_host, "jwt", JWT_APP, tmp_path)
    event, publics = {}, {}
    for alg, key in (("RS256", rsa.generate_private_key(65537, 2048)), ("PS256", rsa.generate_private_key(65537, 2048)),
                     ("ES256", ec.generate_private_key(ec.SECP256R1())),
                     ("EdDSA", ed25519.Ed25519PrivateKey.generate())):
        private = key.private_bytes(S.Encoding.PEM, S.PrivateFormat.PKCS8, S.NoEncryption()).decode()
        publics[alg] = key.public_key().public_bytes(S.Encoding.PEM, S.PublicFormat.SubjectPublicKeyInfo).decode()
        event[alg] = {"private": private, "public": publics[alg],
                      "token": jwt.encode({"sub": "host", "alg": alg}, key, algorithm=alg)}
    got = python_host.invoke("jwt", event).value
    for alg, result in got.items():
        assert result["claims"] == {"sub": "host", "alg": alg}
        assert result["tampered"] == "Signature verification failed"
        assert jwt.decode(result["token"], publics[alg], algorithms=[alg]) == {"sub": "sandbox", "alg": alg}


SIGNED_URLS_APP = """
    import datetime
    from botocore.signers import CloudFrontSigner
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, padding

    def handler(event, context):
        key = serialization.load_pem_private_key(event["key"].encode(), password=None)
        signer = CloudFrontSigner("K2JCJMDEHXQW5F", lambda message: key.sign(message, padding.PKCS1v15(), hashes.SHA1()))
        url = signer.generate_presigned_url("https://d111111abcdef8.cloudfront.net/private/a.mp4",
                                            date_less_than=datetime.datetime(2030, 1, 1))
        cert = x509.load_pem_x509_certificate(event["cert"].encode())
        try:
            dsa.generate_private_key(2048)
            unsupported = "generated"
        except UnsupportedAlgorithm as e:
            unsupported = str(e)
        return {"url": url, "subject": cert.subject.rfc4514_string(), "serial": cert.serial_number,
                "not_after": cert.not_valid_after_utc.isoformat(),
                "fingerprint": cert.fingerprint(hashes.SHA256()).hex(),
                "san": [str(n) for n in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value],
                "unsupported": unsupported}
"""


def test_cloudfront_signed_urls_and_certificates(python_host, tmp_path):
    """botocore's CloudFrontSigner with an RSA signer (the documented recipe), checked with
    the public key here; a certificate's fields as the native module reads them; and what
    the stand-in lacks (DSA) failing with cryptography's own error, naming the sandbox."""
    import base64
    from urllib.parse import parse_qs, urlsplit

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization as S
    from cryptography.hazmat.primitives.asymmetric import padding
    make_certificates(tmp_path / "certs.pem")
    cert = x509.load_pem_x509_certificates((tmp_path / "certs.pem").read_bytes())[1]
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(65537, 2048)
    deploy(python_host, "signed", SIGNED_URLS_APP, tmp_path)
    got = python_host.invoke("signed", {
        "key": key.private_bytes(S.Encoding.PEM, S.PrivateFormat.TraditionalOpenSSL, S.NoEncryption()).decode(),
        "cert": cert.public_bytes(S.Encoding.PEM).decode()}).value
    query = parse_qs(urlsplit(got["url"]).query)
    assert query["Expires"] == ["1893456000"] and query["Key-Pair-Id"] == ["K2JCJMDEHXQW5F"]
    policy = ('{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/private/a.mp4",'
              '"Condition":{"DateLessThan":{"AWS:EpochTime":1893456000}}}]}').encode()
    signature = base64.b64decode(query["Signature"][0].translate(str.maketrans("-_~", "+=/")))
    key.public_key().verify(signature, policy, padding.PKCS1v15(), hashes.SHA1())
    assert got["subject"] == cert.subject.rfc4514_string() and got["serial"] == cert.serial_number
    assert got["not_after"] == cert.not_valid_after_utc.isoformat()
    assert got["fingerprint"] == cert.fingerprint(hashes.SHA256()).hex()
    assert got["san"][:2] == ["<DNSName(value='example.com')>", "<DNSName(value='*.example.com')>"]
    assert got["unsupported"].startswith("DSA") and "wasmhost's WebAssembly sandbox" in got["unsupported"]


PINNED_APP = """
    import cryptography
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    def handler(event, context):
        key = serialization.load_pem_private_key(event["key"].encode(), None)
        return {"version": cryptography.__version__,
                "plain": Fernet(event["fernet_key"].encode()).decrypt(event["token"].encode()).decode(),
                "signature": key.sign(b"pinned", padding.PKCS1v15(), hashes.SHA256()).hex()}
"""


@pytest.mark.parametrize("version", ["43.0.3", "42.0.8", "3.4.8"])
def test_older_pins_run_or_fail_naming_the_versions_that_do(python_host, tmp_path, version):
    """A requirements file pinning an older cryptography: 43 (the first whose native
    interface the stand-in answers) runs; 42 (which still calls OpenSSL through cffi) and
    3.x (whose other native modules fail first) fail at deploy, saying which versions run."""
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization as S
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    from wasmhost.errors import DeployError
    code = tmp_path / "pinned"
    code.mkdir()
    (code / "app.py").write_text(textwrap.dedent(PINNED_APP))
    (code / "requirements.txt").write_text(f"cryptography=={version}\n")
    config = FunctionConfig(handler="app.handler", runtime="python3.12", timeout_ms=60000)
    if version.startswith("42"):
        with pytest.raises(DeployError, match=r"cryptography 42\.0\.8 cannot run in wasmhost's WebAssembly sandbox.*"
                                              r"cryptography 43\.0 or later"):
            python_host.deploy("pinned42", code, config)
        return
    if version.startswith("3."):
        with pytest.raises(DeployError, match=r"native extension of the package 'cryptography'.*"
                                              r"cryptography 43\.0 or later runs"):
            python_host.deploy("pinned3", code, config)
        return
    python_host.deploy("pinned43", code, config)
    key, fernet_key = rsa.generate_private_key(65537, 2048), Fernet.generate_key()
    got = python_host.invoke("pinned43", {
        "key": key.private_bytes(S.Encoding.PEM, S.PrivateFormat.PKCS8, S.NoEncryption()).decode(),
        "fernet_key": fernet_key.decode(), "token": Fernet(fernet_key).encrypt(b"pinned").decode()}).value
    assert got["version"] == version and got["plain"] == "pinned"
    key.public_key().verify(bytes.fromhex(got["signature"]), b"pinned", padding.PKCS1v15(), hashes.SHA256())


PSS_TOP_BYTE = """
    import json, os
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization as S
    from cryptography.hazmat.primitives.asymmetric import padding as P
    key = S.load_pem_private_key(open(os.environ["KEY"], "rb").read(), None)
    pss, n, d = P.PSS(P.MGF1(hashes.SHA256()), 32), key.public_key().public_numbers().n, key.private_numbers().d
    out = {}
    for i in range(64):  # a signature whose encoded message, a byte longer than emLen, starts with 1
        em = pow(int.from_bytes(key.sign(b"msg", pss, hashes.SHA256()), "big"), 65537, n)
        if em + (1 << 2048) < n:
            forged = pow(em + (1 << 2048), d, n).to_bytes(257, "big")
            break
    try:
        key.public_key().verify(forged, b"msg", pss, hashes.SHA256())
        out["forged"] = "ok"
    except InvalidSignature:
        out["forged"] = "InvalidSignature"
    print(json.dumps(out))
"""


def test_pss_rejects_a_nonzero_byte_above_the_encoded_message(tmp_path, monkeypatch):
    """With a modulus of 8k+1 bits PSS's encoded message is a byte shorter than the
    signature (RFC 8017 §8.1.2: emLen = k - 1), and that first byte must be zero: a
    signature decrypting to anything above the encoded message is invalid, as OpenSSL has it."""
    from cryptography.hazmat.primitives import serialization as S
    from cryptography.hazmat.primitives.asymmetric import rsa
    def prime(bits):
        return rsa.generate_private_key(65537, 2 * bits).private_numbers().p

    while True:  # OpenSSL makes no key of 2049 bits (asked for one, it gives 2048): made of a 1025- and a 1024-bit prime
        p, q = prime(1025), prime(1024)
        if p * q > 3 << 2047:  # with room above 2**2048 for the forgery
            break
    d = pow(65537, -1, (p - 1) * (q - 1))
    key = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
                                rsa.RSAPublicNumbers(65537, p * q)).private_key()
    (tmp_path / "key.pem").write_bytes(key.private_bytes(S.Encoding.PEM, S.PrivateFormat.PKCS8, S.NoEncryption()))
    monkeypatch.setenv("KEY", str(tmp_path / "key.pem"))
    native, stand_in = run_both(PSS_TOP_BYTE)
    assert native == {"forged": "InvalidSignature"}
    assert stand_in == native


RESET_AFTER_FINALIZE = """
    import json
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    out = {}
    for name, cipher in (("ctr", Cipher(algorithms.AES(bytes(16)), modes.CTR(bytes(16)))),
                         ("chacha", Cipher(algorithms.ChaCha20(bytes(32), bytes(16)), None))):
        e = cipher.encryptor()
        first = e.update(b"abc")
        e.reset_nonce(bytes(16))  # before finalize: the stream starts again
        out[name + "_again"] = e.update(b"abc") == first
        e.finalize()
        try:
            e.reset_nonce(bytes(16))
            out[name] = "reset"
        except Exception as ex:
            out[name] = type(ex).__name__
    print(json.dumps(out))
"""


def test_a_finalized_context_stays_finalized():
    """``reset_nonce`` restarts a CTR or ChaCha20 stream, but on a finalized encryptor it is
    AlreadyFinalized, as in the native module: it must not bring the context back to life."""
    native, stand_in = run_both(RESET_AFTER_FINALIZE)
    assert native == {"ctr_again": True, "ctr": "AlreadyFinalized", "chacha_again": True, "chacha": "AlreadyFinalized"}
    assert stand_in == native
