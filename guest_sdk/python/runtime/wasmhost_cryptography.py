"""Stand-in for ``cryptography.hazmat.bindings._rust``, the native module of pyca/cryptography.

Why: cryptography is the most common native dependency of real Lambda Python code
(PyJWT's RS256/ES256, Fernet, CloudFront signed URLs, google-auth, msal, paramiko), and its
Rust/OpenSSL extension cannot load in the sandbox. Everything above that module — the
abstract key classes, exceptions, argument checks, Fernet, the serialization enums, the
x509 extension classes — is plain Python in the wheel and runs unchanged; this module
answers to the extension's interface (the wheel's ``_rust/**/*.pyi`` stubs) in pure
Python over the sandbox's own hashlib/hmac and Python's C ``int``/``pow``.

Lazy: this file is in the runtime's snapshot, but the implementation (the
``wasmhost_cryptography_*`` files) is kept there only as compiled code, compressed (110 KB,
not 270), run the first time a function touches the module (``__getattr__``, PEP 562), so
a function that never imports cryptography runs none of it.

Versions: the interface followed is that of cryptography 43 to 50 (checked: the same
answers as each one's native module); 42 and older still call OpenSSL through cffi from
Python, so they fail on import, naming the versions that run.

Parts, each a module of its own: ``_core`` (the top of ``_rust``, DER/PEM, the fake OpenSSL
binding, the error for anything missing), ``_sym`` (hashes, HMAC, ciphers, AEAD, KDFs),
``_keys`` (key formats), ``_rsa``, ``_ec`` (ECDSA/ECDH, Ed25519, X25519), ``_x509`` (reading
certificates), ``_x509_build`` (signing them).
"""

from __future__ import annotations

import marshal
import os
import sys
import types
import zlib

PARTS = ("wasmhost_cryptography_core", "wasmhost_cryptography_sym", "wasmhost_cryptography_keys",
         "wasmhost_cryptography_rsa", "wasmhost_cryptography_ec", "wasmhost_cryptography_x509",
         "wasmhost_cryptography_x509_build")
MIN_VERSION = (43, 0)
SUPPORTED = "cryptography 43.0 or later"


def _compiled() -> dict[str, bytes]:
    """The implementation's bytecode, compiled when the runtime is built (this runtime's
    files are on no path at run time: only its snapshot has them)."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = {}
    for name in PARTS:
        path = os.path.join(here, name + ".py")
        with open(path, encoding="utf-8") as f:
            code[name] = zlib.compress(marshal.dumps(compile(f.read(), name + ".py", "exec")), 9)
    return code


_CODE = _compiled()
_loaded = False


def _version() -> tuple[int, int, str]:
    about = sys.modules.get("cryptography.__about__")
    text = getattr(about, "__version__", "") or getattr(sys.modules.get("cryptography"), "__version__", "")
    parts = (text.split(".") + ["0", "0"])[:2]
    try:
        return int(parts[0]), int(parts[1]), text
    except ValueError:
        return 0, 0, text


def _load() -> None:
    """Run the implementation and set this module's attributes (the submodules of ``_rust``)."""
    global _loaded
    major, minor, text = _version()
    if (major, minor) < MIN_VERSION:
        raise ImportError(f"cryptography {text or '(unknown version)'} cannot run in wasmhost's WebAssembly sandbox: "
                          f"its native module is stood in for by pure Python for {SUPPORTED} only "
                          f"(pin 'cryptography>={MIN_VERSION[0]}' in requirements.txt)",
                          name="cryptography.hazmat.bindings._rust")
    for name in PARTS:
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__file__ = name + ".py"
            sys.modules[name] = module
            try:
                exec(marshal.loads(zlib.decompress(_CODE[name])), module.__dict__)
            except BaseException:
                del sys.modules[name]
                raise
    for name in PARTS:
        globals().update(sys.modules[name].EXPORTS)
    _loaded = True


def __getattr__(name: str):
    if name.startswith("__") or _loaded:
        raise AttributeError(name)
    _load()
    try:
        return globals()[name]
    except KeyError:
        raise AttributeError(name) from None
