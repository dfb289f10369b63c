"""``hashlib.pbkdf2_hmac`` in the sandbox, where CPython has no OpenSSL.

Why: since 3.12 CPython's ``pbkdf2_hmac`` comes only from OpenSSL (``_hashlib``), which
the sandbox's CPython is built without, so it is missing there — and it is what
Django's default password hasher, Werkzeug's ``pbkdf2`` method, passlib and many
key-derivation helpers call. PBKDF2 (RFC 8018) is a loop of HMACs, so it is written
here over the sandbox's own hash objects: the key's inner and outer hash states are
made once and copied for each round, which keeps a round to a few calls into C.
About 10 µs a round in the sandbox (Django's 870,000 rounds: seconds, where
OpenSSL on a host takes a quarter of one).

``hashlib.scrypt`` stays missing, as on any CPython built without OpenSSL: its
memory-hard loop, millions of Salsa20 rounds at the parameters libraries use, cannot
run in pure Python within a Lambda timeout (libraries check for it and say so).
"""

from __future__ import annotations

import hashlib


def _bytes(value) -> bytes:
    try:
        return bytes(memoryview(value))
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{type(value).__name__}'") from None


def pbkdf2_hmac(hash_name: str, password, salt, iterations: int, dklen: int | None = None) -> bytes:
    """OpenSSL's ``pbkdf2_hmac``: the same answers, and its errors for bad arguments."""
    if not isinstance(hash_name, str):
        raise TypeError(f"pbkdf2_hmac() argument 'hash_name' must be str, not {type(hash_name).__name__}")
    password, salt = _bytes(password), _bytes(salt)
    try:
        inner, outer = hashlib.new(hash_name), hashlib.new(hash_name)
    except ValueError:
        raise ValueError(f"unsupported hash type {hash_name}") from None
    if iterations < 1:
        raise ValueError("iteration value must be greater than 0.")
    if dklen is None:
        dklen = inner.digest_size
    if dklen < 1:
        raise ValueError("key length must be greater than 0.")
    block = inner.block_size
    if len(password) > block:
        password = hashlib.new(hash_name, password).digest()
    password = password.ljust(block, b"\0")
    inner.update(bytes(b ^ 0x36 for b in password))
    outer.update(bytes(b ^ 0x5C for b in password))

    def prf(data: bytes) -> bytes:
        i, o = inner.copy(), outer.copy()
        i.update(data)
        o.update(i.digest())
        return o.digest()

    out = b""
    index = 1
    while len(out) < dklen:
        u = prf(salt + index.to_bytes(4, "big"))
        acc = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            u = prf(u)
            acc ^= int.from_bytes(u, "big")
        out += acc.to_bytes(len(u), "big")
        index += 1
    return out[:dklen]


if not hasattr(hashlib, "pbkdf2_hmac"):  # on import, at the runtime's build: in its snapshot
    hashlib.pbkdf2_hmac = pbkdf2_hmac  # type: ignore[attr-defined]
    hashlib.__all__ = (*hashlib.__all__, "pbkdf2_hmac")
