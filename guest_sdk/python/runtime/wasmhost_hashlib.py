"""``hashlib.pbkdf2_hmac`` and ``hashlib.scrypt`` in the sandbox, where CPython has no OpenSSL.

Why: since 3.12 CPython's ``pbkdf2_hmac`` comes only from OpenSSL (``_hashlib``), which
the sandbox's CPython is built without, so it is missing there — and it is what
Django's default password hasher, Werkzeug's ``pbkdf2`` method, passlib and many
key-derivation helpers call. PBKDF2 (RFC 8018) is a loop of HMACs, so it is written
here over the sandbox's own hash objects: the key's inner and outer hash states are
made once and copied for each round, which keeps a round to a few calls into C.
About 10 µs a round in the sandbox (Django's 870,000 rounds: seconds, where
OpenSSL on a host takes a quarter of one).

``hashlib.scrypt`` (RFC 7914; also cryptography's ``Scrypt`` in the sandbox) is written
here too, PBKDF2 around ROMix over Salsa20/8 on Python ints. Its memory-hard loop is
2·N·2r Salsa20/8 cores of pure Python: in the sandbox N=1024, r=8 takes several seconds
(6.7 s measured, on a busy machine) and the N=16384 many libraries default to 100 s —
past most Lambda timeouts, so such callers must lower N (where the stored hashes allow)
or use PBKDF2. (Salsa20/8 on four 64-bit lanes of one big int, tried, was no faster.)
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


def _salsa20_8(b: list[int]) -> list[int]:
    """The Salsa20/8 core on 16 words, as scrypt's BlockMix uses it: written out on local
    variables (four double rounds: columns, then rows), three times faster than a loop
    over index tuples, and this is the whole of scrypt's time."""
    x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15 = b
    m = 0xFFFFFFFF
    for _ in range(4):
        t = (x0 + x12) & m
        x4 ^= ((t << 7) | (t >> 25)) & m
        t = (x4 + x0) & m
        x8 ^= ((t << 9) | (t >> 23)) & m
        t = (x8 + x4) & m
        x12 ^= ((t << 13) | (t >> 19)) & m
        t = (x12 + x8) & m
        x0 ^= ((t << 18) | (t >> 14)) & m
        t = (x5 + x1) & m
        x9 ^= ((t << 7) | (t >> 25)) & m
        t = (x9 + x5) & m
        x13 ^= ((t << 9) | (t >> 23)) & m
        t = (x13 + x9) & m
        x1 ^= ((t << 13) | (t >> 19)) & m
        t = (x1 + x13) & m
        x5 ^= ((t << 18) | (t >> 14)) & m
        t = (x10 + x6) & m
        x14 ^= ((t << 7) | (t >> 25)) & m
        t = (x14 + x10) & m
        x2 ^= ((t << 9) | (t >> 23)) & m
        t = (x2 + x14) & m
        x6 ^= ((t << 13) | (t >> 19)) & m
        t = (x6 + x2) & m
        x10 ^= ((t << 18) | (t >> 14)) & m
        t = (x15 + x11) & m
        x3 ^= ((t << 7) | (t >> 25)) & m
        t = (x3 + x15) & m
        x7 ^= ((t << 9) | (t >> 23)) & m
        t = (x7 + x3) & m
        x11 ^= ((t << 13) | (t >> 19)) & m
        t = (x11 + x7) & m
        x15 ^= ((t << 18) | (t >> 14)) & m
        t = (x0 + x3) & m
        x1 ^= ((t << 7) | (t >> 25)) & m
        t = (x1 + x0) & m
        x2 ^= ((t << 9) | (t >> 23)) & m
        t = (x2 + x1) & m
        x3 ^= ((t << 13) | (t >> 19)) & m
        t = (x3 + x2) & m
        x0 ^= ((t << 18) | (t >> 14)) & m
        t = (x5 + x4) & m
        x6 ^= ((t << 7) | (t >> 25)) & m
        t = (x6 + x5) & m
        x7 ^= ((t << 9) | (t >> 23)) & m
        t = (x7 + x6) & m
        x4 ^= ((t << 13) | (t >> 19)) & m
        t = (x4 + x7) & m
        x5 ^= ((t << 18) | (t >> 14)) & m
        t = (x10 + x9) & m
        x11 ^= ((t << 7) | (t >> 25)) & m
        t = (x11 + x10) & m
        x8 ^= ((t << 9) | (t >> 23)) & m
        t = (x8 + x11) & m
        x9 ^= ((t << 13) | (t >> 19)) & m
        t = (x9 + x8) & m
        x10 ^= ((t << 18) | (t >> 14)) & m
        t = (x15 + x14) & m
        x12 ^= ((t << 7) | (t >> 25)) & m
        t = (x12 + x15) & m
        x13 ^= ((t << 9) | (t >> 23)) & m
        t = (x13 + x12) & m
        x14 ^= ((t << 13) | (t >> 19)) & m
        t = (x14 + x13) & m
        x15 ^= ((t << 18) | (t >> 14)) & m
    return [(x + y) & m for x, y in zip((x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15), b)]


def _block_mix(block: list[int], r: int) -> list[int]:
    x = block[-16:]
    evens, odds = [], []
    for i in range(2 * r):
        x = _salsa20_8([a ^ b for a, b in zip(x, block[16 * i:16 * i + 16])])
        (odds if i & 1 else evens).extend(x)
    return evens + odds


def scrypt(password, *, salt=None, n=None, r=None, p=None, maxmem=0, dklen=64) -> bytes:
    """OpenSSL's ``scrypt``: the same answers, and its errors for bad arguments."""
    import struct  # noqa: PLC0415 - only when called
    password = _bytes(password)
    if salt is None:
        raise TypeError("salt is required")
    salt = _bytes(salt)
    for name, value in (("n", n), ("r", r), ("p", p)):
        if not isinstance(value, int):
            raise TypeError(f"{name} is required and must be an unsigned int")
    if n < 2 or n & (n - 1):
        raise ValueError("n must be a power of 2.")
    if r < 1 or p < 1:
        raise ValueError("Invalid parameter combination for n, r, p, maxmem.")
    if not 0 <= maxmem <= 2 ** 31 - 1:
        raise ValueError("maxmem must be positive and smaller than 2147483647")
    if 128 * r * (n + p + 2) > (maxmem or 32 * 1024 * 1024):
        raise ValueError("Invalid parameter combination for n, r, p, maxmem.")
    if not 1 <= dklen <= 2 ** 31 - 1:
        raise ValueError("dklen must be greater than 0 and smaller than 2147483647")
    words = 32 * r
    b = pbkdf2_hmac("sha256", password, salt, 1, 128 * r * p)
    out = []
    for i in range(p):
        x = list(struct.unpack(f"<{words}I", b[128 * r * i:128 * r * (i + 1)]))
        v = []
        for _ in range(n):
            v.append(x)
            x = _block_mix(x, r)
        for _ in range(n):
            j = x[-16] & (n - 1)
            x = _block_mix([a ^ c for a, c in zip(x, v[j])], r)
        out.append(struct.pack(f"<{words}I", *x))
    return pbkdf2_hmac("sha256", password, b"".join(out), 1, dklen)


if not hasattr(hashlib, "scrypt"):  # as pbkdf2_hmac below
    hashlib.scrypt = scrypt  # type: ignore[attr-defined]
    hashlib.__all__ = (*hashlib.__all__, "scrypt")
if not hasattr(hashlib, "pbkdf2_hmac"):  # on import, at the runtime's build: in its snapshot
    hashlib.pbkdf2_hmac = pbkdf2_hmac  # type: ignore[attr-defined]
    hashlib.__all__ = (*hashlib.__all__, "pbkdf2_hmac")
