"""Elliptic curves for the cryptography stand-in (see ``wasmhost_cryptography``): ECDSA and
ECDH on P-256, P-384, P-521 and secp256k1 (SEC 1, FIPS 186; RFC 6979 for deterministic
signatures), Ed25519 (RFC 8032) and X25519 (RFC 7748).

Written here rather than bundling python-ecdsa (which has the curves) because that would
put its dozen modules in every function's snapshot and still need this file's adapter to
cryptography's key classes; the math itself is short: the field arithmetic is Python's C
``int`` (``pow(x, -1, p)`` for inverses), points in Jacobian (the Weierstrass curves) or
extended (Ed25519) coordinates, scalars by 4-bit windows (the base point's table made once
per curve). It is not constant-time, as no pure-Python code can be; what a Lambda function
does with it — sign or check a token, derive a shared key — is 3 to 7 ms a signature or a
check on P-256 or Ed25519 in the sandbox.
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
import os

from wasmhost_cryptography_core import (INTEGER, OCTET_STRING, OID, SEQUENCE, Encoding, PublicFormat,
                                        _Reasons, bits, buf, decode_dss_signature, der, der_int, der_items,
                                        der_oid, der_one, encode_dss_signature, exceptions_module, module,
                                        oid_of, openssl, seq, unsupported)
from wasmhost_cryptography_keys import EC, ED25519, X25519, PrivateKey, PublicKey
from wasmhost_cryptography_rsa import digest_of


# -- short Weierstrass curves y² = x³ + ax + b ------------------------------------------
class Curve:
    def __init__(self, name, oid, p, a, b, gx, gy, n) -> None:
        self.name, self.oid, self.p, self.a, self.b, self.n = name, oid, p, a, b, n
        self.size = (p.bit_length() + 7) // 8
        self.g = (gx, gy, 1)
        self._g_table = None

    def on_curve(self, x: int, y: int) -> bool:
        p = self.p
        return 0 <= x < p and 0 <= y < p and (y * y - x * x * x - self.a * x - self.b) % p == 0

    def double(self, pt):
        if pt is None:
            return None
        x, y, z = pt
        p = self.p
        if y == 0:
            return None
        yy = y * y % p
        s = 4 * x * yy % p
        zz = z * z % p
        m = (3 * x * x + self.a * zz * zz) % p
        x3 = (m * m - 2 * s) % p
        return x3, (m * (s - x3) - 8 * yy * yy) % p, 2 * y * z % p

    def add(self, p1, p2):
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        p = self.p
        x1, y1, z1 = p1
        x2, y2, z2 = p2
        z1z1, z2z2 = z1 * z1 % p, z2 * z2 % p
        u1, u2 = x1 * z2z2 % p, x2 * z1z1 % p
        s1, s2 = y1 * z2 * z2z2 % p, y2 * z1 * z1z1 % p
        if u1 == u2:
            return self.double(p1) if s1 == s2 else None
        h, r = (u2 - u1) % p, (s2 - s1) % p
        hh = h * h % p
        hhh, v = h * hh % p, u1 * hh % p
        x3 = (r * r - hhh - 2 * v) % p
        return x3, (r * (v - x3) - s1 * hhh) % p, z1 * z2 * h % p

    def affine(self, pt) -> tuple[int, int] | None:
        if pt is None:
            return None
        x, y, z = pt
        zi = pow(z, -1, self.p)
        zi2 = zi * zi % self.p
        return x * zi2 % self.p, y * zi2 * zi % self.p

    def _table(self, pt) -> list:
        table = [None, pt]
        for _ in range(14):
            table.append(self.add(table[-1], pt))
        return table

    def mul(self, k: int, pt=None, k2: int = 0, pt2=None):
        """k·pt (the base point when None), plus k2·pt2 in the same pass (Shamir's trick)."""
        if pt is None:
            if self._g_table is None:
                self._g_table = self._table(self.g)
            t1 = self._g_table
        else:
            t1 = self._table(pt)
        t2 = self._table(pt2) if k2 else None
        acc = None
        for shift in range(((max(k, k2).bit_length() + 3) // 4 - 1) * 4, -1, -4):
            for _ in range(4):
                acc = self.double(acc)
            acc = self.add(acc, t1[(k >> shift) & 15])
            if t2 is not None:
                acc = self.add(acc, t2[(k2 >> shift) & 15])
        return acc

    def decode_point(self, data: bytes) -> tuple[int, int]:
        size, p = self.size, self.p
        if data[:1] == b"\x04" and len(data) == 1 + 2 * size:
            x, y = int.from_bytes(data[1:1 + size], "big"), int.from_bytes(data[1 + size:], "big")
        elif data[:1] in (b"\x02", b"\x03") and len(data) == 1 + size:
            x = int.from_bytes(data[1:], "big")
            y = pow((x * x * x + self.a * x + self.b) % p, (p + 1) // 4, p)  # p ≡ 3 (mod 4) for these curves
            if y % 2 != data[0] % 2:
                y = p - y
        else:
            raise ValueError("Invalid EC key.")
        if not self.on_curve(x, y):
            raise ValueError("Invalid EC key.")
        return x, y

    def encode_point(self, x: int, y: int, compressed: bool = False) -> bytes:
        if compressed:
            return bytes([2 + y % 2]) + x.to_bytes(self.size, "big")
        return b"\x04" + x.to_bytes(self.size, "big") + y.to_bytes(self.size, "big")


_P256 = 2 ** 256 - 2 ** 224 + 2 ** 192 + 2 ** 96 - 1
_P384 = 2 ** 384 - 2 ** 128 - 2 ** 96 + 2 ** 32 - 1
_P521 = 2 ** 521 - 1
CURVES = {c.name: c for c in (
    Curve("secp256r1", "1.2.840.10045.3.1.7", _P256, _P256 - 3,
          0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
          0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
          0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
          0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551),
    Curve("secp384r1", "1.3.132.0.34", _P384, _P384 - 3,
          0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
          0xAA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7,
          0x3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F,
          0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973),
    Curve("secp521r1", "1.3.132.0.35", _P521, _P521 - 3,
          int("0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF0735"
              "73DF883D2C34F1EF451FD46B503F00", 16),
          int("00C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE33"
              "48B3C1856A429BF97E7E31C2E5BD66", 16),
          int("011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD076135"
              "3C7086A272C24088BE94769FD16650", 16),
          int("01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5"
              "C9B8899C47AEBB6FB71E91386409", 16)),
    Curve("secp256k1", "1.3.132.0.10", 2 ** 256 - 2 ** 32 - 977, 0, 7,
          0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
          0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
          0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141))}
BY_OID = {c.oid: c for c in CURVES.values()}


def _ec():
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    return ec


def _curve(curve) -> Curve:
    ours = CURVES.get(getattr(curve, "name", None))
    if ours is None:
        unsupported(f"Curve {getattr(curve, 'name', curve)}", _Reasons.UNSUPPORTED_ELLIPTIC_CURVE)
    return ours


def _curve_object(c: Curve):
    """cryptography's curve instance for one of ours (its table holds classes before 44)."""
    value = _ec()._CURVE_TYPES[c.name]
    return value() if isinstance(value, type) else value


def curve_supported(curve) -> bool:
    return getattr(curve, "name", None) in CURVES


# -- numbers -----------------------------------------------------------------------------
class EllipticCurvePublicNumbers:
    def __init__(self, x: int, y: int, curve) -> None:
        if not isinstance(x, int) or not isinstance(y, int):
            raise TypeError("x and y must be integers.")
        if not isinstance(curve, _ec().EllipticCurve):
            raise TypeError("curve must provide the EllipticCurve interface.")
        self._x, self._y, self._curve = x, y, curve

    x = property(lambda self: self._x)
    y = property(lambda self: self._y)
    curve = property(lambda self: self._curve)

    def public_key(self, backend=None):
        c = _curve(self._curve)
        if not c.on_curve(self._x, self._y):
            raise ValueError("Invalid EC key.")
        return ECPublicKey(self._curve, (self._x, self._y))

    def __eq__(self, other):
        if not isinstance(other, EllipticCurvePublicNumbers):
            return NotImplemented
        return (self._x, self._y, self._curve.name, self._curve.key_size) == \
            (other._x, other._y, other._curve.name, other._curve.key_size)

    def __hash__(self):
        return hash((self._x, self._y, self._curve.name, self._curve.key_size))

    def __repr__(self):
        return f"<EllipticCurvePublicNumbers(curve={self._curve.name}, x={self._x}, y={self._y})>"


class EllipticCurvePrivateNumbers:
    def __init__(self, private_value: int, public_numbers: EllipticCurvePublicNumbers) -> None:
        if not isinstance(private_value, int):
            raise TypeError("private_value must be an integer.")
        if not isinstance(public_numbers, EllipticCurvePublicNumbers):
            raise TypeError("public_numbers must be an EllipticCurvePublicNumbers instance.")
        self._private_value, self._public_numbers = private_value, public_numbers

    private_value = property(lambda self: self._private_value)
    public_numbers = property(lambda self: self._public_numbers)

    def private_key(self, backend=None):
        pub = self._public_numbers
        key = derive_private_key(self._private_value, pub.curve)
        if key._public._point != (pub.x, pub.y):
            raise ValueError("Invalid EC key.")
        return key

    def __eq__(self, other):
        if not isinstance(other, EllipticCurvePrivateNumbers):
            return NotImplemented
        return (self._private_value, self._public_numbers) == (other._private_value, other._public_numbers)

    def __hash__(self):
        return hash((self._private_value, self._public_numbers))


# -- ECDSA and ECDH ----------------------------------------------------------------------
def _bits2int(data: bytes, n: int) -> int:
    v, excess = int.from_bytes(data, "big"), len(data) * 8 - n.bit_length()
    return v >> excess if excess > 0 else v


def _rfc6979_k(d: int, digest: bytes, n: int, algorithm):
    """RFC 6979's deterministic nonces (HMAC-DRBG over the signature's hash), in turn."""
    name = algorithm.name.replace("-", "_")
    rlen = (n.bit_length() + 7) // 8
    v, k = b"\1" * len(digest), b"\0" * len(digest)
    seed = d.to_bytes(rlen, "big") + (_bits2int(digest, n) % n).to_bytes(rlen, "big")
    k = _hmac.new(k, v + b"\0" + seed, name).digest()
    v = _hmac.new(k, v, name).digest()
    k = _hmac.new(k, v + b"\1" + seed, name).digest()
    v = _hmac.new(k, v, name).digest()
    while True:
        t = b""
        while len(t) < rlen:
            v = _hmac.new(k, v, name).digest()
            t += v
        yield _bits2int(t[:rlen], n)
        k = _hmac.new(k, v + b"\0", name).digest()
        v = _hmac.new(k, v, name).digest()


def _random_k(n: int):
    while True:
        yield int.from_bytes(os.urandom((n.bit_length() + 7) // 8 + 8), "big") % n


def _check_ecdsa(signature_algorithm):
    if not isinstance(signature_algorithm, _ec().ECDSA):
        unsupported("That elliptic curve signature algorithm", _Reasons.UNSUPPORTED_PUBLIC_KEY_ALGORITHM)


class ECPublicKey(PublicKey):
    def __init__(self, curve, point: tuple[int, int]) -> None:
        self._curve_obj, self._c, self._point = curve, _curve(curve), point

    curve = property(lambda self: self._curve_obj)
    key_size = property(lambda self: self._curve_obj.key_size)

    def public_numbers(self) -> EllipticCurvePublicNumbers:
        return EllipticCurvePublicNumbers(*self._point, self._curve_obj)

    def verify(self, signature, data, signature_algorithm) -> None:
        _check_ecdsa(signature_algorithm)
        digest, _ = digest_of(data, signature_algorithm.algorithm)
        c, n = self._c, self._c.n
        try:
            r, s = decode_dss_signature(buf(signature, "signature"))
        except ValueError:
            raise exceptions_module().InvalidSignature() from None
        if not (0 < r < n and 0 < s < n):
            raise exceptions_module().InvalidSignature()
        w = pow(s, -1, n)
        e = _bits2int(digest, n)
        pt = c.affine(c.mul(e * w % n, None, r * w % n, (*self._point, 1)))
        if pt is None or pt[0] % n != r:
            raise exceptions_module().InvalidSignature()

    _algorithm = lambda self: seq(der_oid(EC), der_oid(self._c.oid))  # noqa: E731

    def _spki_key(self) -> bytes:
        return self._c.encode_point(*self._point)

    def _public_format(self, encoding, format):
        if encoding is Encoding.X962 and format in (PublicFormat.CompressedPoint, PublicFormat.UncompressedPoint):
            return self._c.encode_point(*self._point, format is PublicFormat.CompressedPoint)
        if encoding is Encoding.X962 or format in (PublicFormat.CompressedPoint, PublicFormat.UncompressedPoint):
            raise ValueError("X962 encoding must be used with CompressedPoint or UncompressedPoint format")
        raise ValueError("format is invalid with this key")

    def __eq__(self, other):
        if not isinstance(other, ECPublicKey):
            return NotImplemented
        return self._c is other._c and self._point == other._point

    def __hash__(self):
        return hash((self._c.name, self._point))


class ECPrivateKey(PrivateKey):
    def __init__(self, curve, d: int) -> None:
        self._curve_obj, self._c, self._d = curve, _curve(curve), d
        self._public = ECPublicKey(curve, self._c.affine(self._c.mul(d)))

    curve = property(lambda self: self._curve_obj)
    key_size = property(lambda self: self._curve_obj.key_size)

    def public_key(self) -> ECPublicKey:
        return self._public

    def private_numbers(self) -> EllipticCurvePrivateNumbers:
        return EllipticCurvePrivateNumbers(self._d, self._public.public_numbers())

    def sign(self, data, signature_algorithm) -> bytes:
        _check_ecdsa(signature_algorithm)
        digest, algorithm = digest_of(data, signature_algorithm.algorithm)
        c, n = self._c, self._c.n
        e = _bits2int(digest, n)
        nonces = _rfc6979_k(self._d, digest, n, algorithm) if getattr(
            signature_algorithm, "deterministic_signing", False) else _random_k(n)
        for k in nonces:
            if not 0 < k < n:
                continue
            r = c.affine(c.mul(k))[0] % n
            s = pow(k, -1, n) * (e + r * self._d) % n
            if r and s:
                return encode_dss_signature(r, s)
        return b""

    def exchange(self, algorithm, peer_public_key) -> bytes:
        if not isinstance(algorithm, _ec().ECDH):
            unsupported("That key exchange algorithm", _Reasons.UNSUPPORTED_EXCHANGE_ALGORITHM)
        if not isinstance(peer_public_key, ECPublicKey):
            raise TypeError("peer_public_key must be an EllipticCurvePublicKey")
        if peer_public_key._c is not self._c:
            raise ValueError("peer_public_key and self are not on the same curve")
        shared = self._c.affine(self._c.mul(self._d, (*peer_public_key._point, 1)))
        if shared is None:
            raise ValueError("Error computing shared key.")
        return shared[0].to_bytes(self._c.size, "big")

    _algorithm = ECPublicKey._algorithm

    def _sec1(self, with_curve: bool) -> bytes:
        c = self._c
        parts = [der_int(1), der(OCTET_STRING, self._d.to_bytes(c.size, "big"))]
        if with_curve:
            parts.append(der(0xA0, der_oid(c.oid)))
        parts.append(der(0xA1, bits(self._public._spki_key())))
        return seq(*parts)

    def _pkcs8_key(self) -> bytes:
        return self._sec1(False)

    def _traditional(self) -> tuple[str, bytes]:
        return "EC PRIVATE KEY", self._sec1(True)


def derive_private_key(private_value: int, curve, backend=None) -> ECPrivateKey:
    c = _curve(curve)
    if not 0 < private_value < c.n:
        raise ValueError("Invalid EC key.")
    return ECPrivateKey(curve, private_value)


def generate_private_key(curve, backend=None) -> ECPrivateKey:
    if not isinstance(curve, _ec().EllipticCurve):
        raise TypeError("curve must be an EllipticCurve instance")
    n = _curve(curve).n
    return ECPrivateKey(curve, 1 + int.from_bytes(os.urandom((n.bit_length() + 7) // 8 + 8), "big") % (n - 1))


def from_private_numbers(numbers) -> ECPrivateKey:
    return numbers.private_key()


def from_public_numbers(numbers) -> ECPublicKey:
    return numbers.public_key()


def from_public_bytes(curve, data) -> ECPublicKey:
    return ECPublicKey(curve, _curve(curve).decode_point(buf(data)))


# -- Ed25519 and X25519 ------------------------------------------------------------------
_P = 2 ** 255 - 19
_L = 2 ** 252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, -1, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _ed_add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    p = _P
    aa, bb = (y1 - x1) * (y2 - x2) % p, (y1 + x1) * (y2 + x2) % p
    c, d = 2 * _D * t1 * t2 % p, 2 * z1 * z2 % p
    e, f, g, h = bb - aa, d - c, d + c, bb + aa
    return e * f % p, g * h % p, f * g % p, e * h % p


_ED_ZERO = (0, 1, 1, 0)
_BY = 4 * pow(5, -1, _P) % _P


def _ed_decode(data: bytes):
    """A point from its 32-byte encoding, or None when it is not one."""
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, -1, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P or (x == 0 and sign):
        return None
    if x % 2 != sign:
        x = _P - x
    return x, y, 1, x * y % _P


def _ed_encode(pt) -> bytes:
    x, y, z, _ = pt
    zi = pow(z, -1, _P)
    x, y = x * zi % _P, y * zi % _P
    return (y | (x & 1) << 255).to_bytes(32, "little")


_ED_B = _ed_decode(_BY.to_bytes(32, "little"))
_ED_TABLE: list = []


def _ed_mul(k: int, pt=None):
    if pt is None:
        if not _ED_TABLE:
            _ED_TABLE.extend(_ed_window(_ED_B))
        table = _ED_TABLE
    else:
        table = _ed_window(pt)
    acc = _ED_ZERO
    for shift in range(252, -1, -4):
        for _ in range(4):
            acc = _ed_add(acc, acc)
        acc = _ed_add(acc, table[(k >> shift) & 15])
    return acc


def _ed_window(pt) -> list:
    table = [_ED_ZERO, pt]
    for _ in range(14):
        table.append(_ed_add(table[-1], pt))
    return table


def _ed_secret(seed: bytes) -> tuple[int, bytes]:
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little") & ((1 << 254) - 8) | (1 << 254)
    return a, h[32:]


class _Raw:
    """What Ed25519's and X25519's keys are: 32 bytes, under an algorithm identifier that is
    an OID alone (RFC 8410)."""

    _oid = ""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw

    def _algorithm(self) -> bytes:
        return seq(der_oid(self._oid))


class _RawPublic(_Raw, PublicKey):
    def public_bytes_raw(self) -> bytes:
        return self._raw

    def _spki_key(self) -> bytes:
        return self._raw

    def _public_format(self, encoding, format):
        if encoding is Encoding.Raw and format is PublicFormat.Raw:
            return self._raw
        if encoding is Encoding.Raw or format is PublicFormat.Raw:
            raise ValueError("When using Raw both encoding and format must be Raw")
        raise ValueError("format is invalid with this key")

    def __eq__(self, other):
        if not isinstance(other, type(self)):
            return NotImplemented
        return self._raw == other._raw

    def __hash__(self):
        return hash(self._raw)


class _RawPrivate(_Raw, PrivateKey):
    def private_bytes_raw(self) -> bytes:
        return self._raw

    _raw_private = private_bytes_raw  # what private_bytes asks a key with a raw form for

    def _pkcs8_key(self) -> bytes:
        return der(OCTET_STRING, self._raw)


class Ed25519PublicKey(_RawPublic):
    _oid = ED25519

    def verify(self, signature, data) -> None:
        signature, data = buf(signature, "signature"), buf(data)
        a = _ed_decode(self._raw)
        r = _ed_decode(signature[:32]) if len(signature) == 64 else None
        s = int.from_bytes(signature[32:], "little")
        if a is None or r is None or s >= _L:
            raise exceptions_module().InvalidSignature()
        k = int.from_bytes(hashlib.sha512(signature[:32] + self._raw + data).digest(), "little") % _L
        neg_a = ((_P - a[0]) % _P, a[1], a[2], (_P - a[3]) % _P)
        if _ed_encode(_ed_add(_ed_mul(s), _ed_mul(k, neg_a))) != signature[:32]:
            raise exceptions_module().InvalidSignature()


class Ed25519PrivateKey(_RawPrivate):
    _oid = ED25519

    def __init__(self, raw: bytes) -> None:
        super().__init__(raw)
        self._a, self._prefix = _ed_secret(raw)
        self._public = Ed25519PublicKey(_ed_encode(_ed_mul(self._a)))

    def public_key(self) -> Ed25519PublicKey:
        return self._public

    def sign(self, data) -> bytes:
        data = buf(data)
        r = int.from_bytes(hashlib.sha512(self._prefix + data).digest(), "little") % _L
        big_r = _ed_encode(_ed_mul(r))
        k = int.from_bytes(hashlib.sha512(big_r + self._public._raw + data).digest(), "little") % _L
        return big_r + ((r + k * self._a) % _L).to_bytes(32, "little")


def x25519(k: bytes, u: bytes) -> bytes:
    """RFC 7748's X25519 function: the Montgomery ladder."""
    n = int.from_bytes(k, "little") & ((1 << 254) - 8) | (1 << 254)
    x1 = int.from_bytes(u, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap, p = 1, 0, x1, 1, 0, _P
    for t in range(254, -1, -1):
        bit = (n >> t) & 1
        if swap ^ bit:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b, c, d = x2 + z2, x2 - z2, x3 + z3, x3 - z3
        aa, bb = a * a % p, b * b % p
        e, da, cb = aa - bb, d * a % p, c * b % p
        x3, z3 = (da + cb) ** 2 % p, x1 * (da - cb) ** 2 % p
        x2, z2 = aa * bb % p, e * (aa + 121665 * e) % p
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, p - 2, p) % p).to_bytes(32, "little")


class X25519PublicKey(_RawPublic):
    _oid = X25519


class X25519PrivateKey(_RawPrivate):
    _oid = X25519

    def __init__(self, raw: bytes) -> None:
        super().__init__(raw)
        self._public = X25519PublicKey(x25519(raw, (9).to_bytes(32, "little")))

    def public_key(self) -> X25519PublicKey:
        return self._public

    def exchange(self, peer_public_key) -> bytes:
        if not isinstance(peer_public_key, X25519PublicKey):
            raise TypeError("peer_public_key must be X25519PublicKey.")
        shared = x25519(self._raw, peer_public_key._raw)
        if shared == bytes(32):
            raise ValueError("Error computing shared key.")
        return shared


def _raw_functions(private_class, public_class, name: str) -> dict:
    def from_private_bytes(data):
        data = buf(data)
        if len(data) != 32:
            raise ValueError(f"An {name} private key is 32 bytes long")
        return private_class(data)

    def from_public_bytes(data):
        data = buf(data)
        if len(data) != 32:
            raise ValueError(f"An {name} public key is 32 bytes long")
        return public_class(data)
    return {f"{name}PrivateKey": private_class, f"{name}PublicKey": public_class,
            "generate_key": lambda: private_class(os.urandom(32)),
            "from_private_bytes": from_private_bytes, "from_public_bytes": from_public_bytes}


# -- loading (wasmhost_cryptography_keys) ---------------------------------------------------
def _ec_from_sec1(data: bytes, curve_oid: str | None) -> ECPrivateKey:
    items = der_items(der_one(data, SEQUENCE))
    if len(items) < 2 or items[0][0] != INTEGER or items[1][0] != OCTET_STRING:
        raise ValueError("not an EC private key")
    for tag, body in items[2:]:
        if tag == 0xA0:
            curve_oid = oid_of(der_one(body, OID))
    c = BY_OID.get(curve_oid or "")
    if c is None:
        unsupported(f"Curve {curve_oid}", _Reasons.UNSUPPORTED_ELLIPTIC_CURVE)
    return derive_private_key(int.from_bytes(items[1][1], "big"), _curve_object(c))


def from_traditional(data: bytes, skip: bool) -> ECPrivateKey:
    return _ec_from_sec1(data, None)


def from_pkcs8(oid: str, params, key: bytes, skip: bool):
    if oid == EC:
        if params is None or params[0] != OID:
            raise ValueError("explicit curve parameters")
        return _ec_from_sec1(key, oid_of(params[1]))
    raw = der_one(key, OCTET_STRING)
    return (Ed25519PrivateKey if oid == ED25519 else X25519PrivateKey)(raw) if len(raw) == 32 else _bad()


def from_spki(oid: str, params, key: bytes):
    if oid == EC:
        if params is None or params[0] != OID or oid_of(params[1]) not in BY_OID:
            unsupported(f"Curve {oid_of(params[1]) if params else '(explicit)'}", _Reasons.UNSUPPORTED_ELLIPTIC_CURVE)
        return from_public_bytes(_curve_object(BY_OID[oid_of(params[1])]), key)
    return (Ed25519PublicKey if oid == ED25519 else X25519PublicKey)(key) if len(key) == 32 else _bad()


def _bad():
    raise ValueError("invalid key length")


openssl.ec = module("openssl.ec", ECPrivateKey=ECPrivateKey, ECPublicKey=ECPublicKey,
                    EllipticCurvePrivateNumbers=EllipticCurvePrivateNumbers,
                    EllipticCurvePublicNumbers=EllipticCurvePublicNumbers, curve_supported=curve_supported,
                    generate_private_key=generate_private_key, from_private_numbers=from_private_numbers,
                    from_public_numbers=from_public_numbers, from_public_bytes=from_public_bytes,
                    derive_private_key=derive_private_key)
openssl.ed25519 = module("openssl.ed25519", **_raw_functions(Ed25519PrivateKey, Ed25519PublicKey, "Ed25519"))
openssl.x25519 = module("openssl.x25519", **_raw_functions(X25519PrivateKey, X25519PublicKey, "X25519"))
EXPORTS: dict = {}
