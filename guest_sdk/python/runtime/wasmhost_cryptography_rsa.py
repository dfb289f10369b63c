"""RSA for the cryptography stand-in (see ``wasmhost_cryptography``): keys, their numbers,
generation, signatures (PKCS#1 v1.5, PSS) and encryption (OAEP, PKCS#1 v1.5), after
RFC 8017.

Written here over Python's own ``pow`` (C, with modular inverse): the arithmetic is all RSA
needs — a 2048-bit private operation (by the Chinese remainder theorem, blinded) is two
1024-bit ``pow`` calls, about 20 ms in the sandbox — and the pure-Python library there is
(python-rsa) has neither PSS nor OAEP, so bundling it would not spare the encodings,
which are most of this file.
"""

from __future__ import annotations

import hmac as _hmac
import math
import os

from wasmhost_cryptography_core import (INTEGER, NULL, OCTET_STRING, SEQUENCE, Encoding, PublicFormat, _Reasons, buf,
                                        der, der_int, der_items, der_one, der_oid, exceptions_module, int_of, module,
                                        openssl, pem, seq, unsupported)
from wasmhost_cryptography_keys import RSA, PrivateKey, PublicKey
from wasmhost_cryptography_sym import hash_factory, xor

# DigestInfo's AlgorithmIdentifier OIDs (RFC 8017 §9.2)
DIGEST_OIDS = {"md5": "1.2.840.113549.2.5", "sha1": "1.3.14.3.2.26", "sha224": "2.16.840.1.101.3.4.2.4",
               "sha256": "2.16.840.1.101.3.4.2.1", "sha384": "2.16.840.1.101.3.4.2.2",
               "sha512": "2.16.840.1.101.3.4.2.3", "sha512-224": "2.16.840.1.101.3.4.2.5",
               "sha512-256": "2.16.840.1.101.3.4.2.6", "sha3-224": "2.16.840.1.101.3.4.2.7",
               "sha3-256": "2.16.840.1.101.3.4.2.8", "sha3-384": "2.16.840.1.101.3.4.2.9",
               "sha3-512": "2.16.840.1.101.3.4.2.10"}


def _padding():
    from cryptography.hazmat.primitives.asymmetric import padding, utils  # noqa: PLC0415
    return padding, utils


def digest_of(data, algorithm) -> tuple[bytes, object]:
    """(digest, hash algorithm) of ``data`` to sign or verify, or ``data`` itself when the
    algorithm is ``Prehashed``."""
    _, utils = _padding()
    if isinstance(algorithm, utils.Prehashed):
        data = buf(data)
        if len(data) != algorithm.digest_size:
            raise ValueError("The provided data must be the same length as the hash algorithm's digest size.")
        return data, algorithm._algorithm
    return hash_factory(algorithm)(buf(data)).digest(), algorithm


def _mgf1(seed: bytes, n: int, algorithm) -> bytes:
    factory = hash_factory(algorithm)
    out = b"".join(factory(seed + i.to_bytes(4, "big")).digest()
                   for i in range(-(-n // algorithm.digest_size)))
    return out[:n]


def _mgf_hash(pad):
    padding, _ = _padding()
    if not isinstance(pad._mgf, padding.MGF1):
        unsupported("that MGF", _Reasons.UNSUPPORTED_MGF)
    return pad._mgf._algorithm


def _invalid_signature():
    return exceptions_module().InvalidSignature()


# -- numbers -----------------------------------------------------------------------------
class RSAPublicNumbers:
    def __init__(self, e: int, n: int) -> None:
        if not isinstance(e, int) or not isinstance(n, int):
            raise TypeError("RSAPublicNumbers arguments must be integers.")
        self._e, self._n = e, n

    e = property(lambda self: self._e)
    n = property(lambda self: self._n)

    def public_key(self, backend=None):
        if self._n < 3 or not 3 <= self._e < self._n or self._e % 2 == 0:
            raise ValueError("Invalid RSA public numbers")
        return RSAPublicKey(self._n, self._e)

    def __eq__(self, other):
        if not isinstance(other, RSAPublicNumbers):
            return NotImplemented
        return (self._e, self._n) == (other._e, other._n)

    def __hash__(self):
        return hash((self._e, self._n))

    def __repr__(self):
        return f"<RSAPublicNumbers(e={self._e}, n={self._n})>"


class RSAPrivateNumbers:
    def __init__(self, p, q, d, dmp1, dmq1, iqmp, public_numbers) -> None:
        if not all(isinstance(v, int) for v in (p, q, d, dmp1, dmq1, iqmp)):
            raise TypeError("RSAPrivateNumbers p, q, d, dmp1, dmq1, iqmp arguments must all be an integers.")
        if not isinstance(public_numbers, RSAPublicNumbers):
            raise TypeError("RSAPrivateNumbers public_numbers must be an RSAPublicNumbers instance.")
        self._p, self._q, self._d, self._dmp1, self._dmq1, self._iqmp = p, q, d, dmp1, dmq1, iqmp
        self._public_numbers = public_numbers

    p = property(lambda self: self._p)
    q = property(lambda self: self._q)
    d = property(lambda self: self._d)
    dmp1 = property(lambda self: self._dmp1)
    dmq1 = property(lambda self: self._dmq1)
    iqmp = property(lambda self: self._iqmp)
    public_numbers = property(lambda self: self._public_numbers)

    def private_key(self, backend=None, *, unsafe_skip_rsa_key_validation=False):
        pub = self._public_numbers
        n, e, p, q = pub.n, pub.e, self._p, self._q
        if not unsafe_skip_rsa_key_validation:
            if n < 3 or p * q != n or not 3 <= e < n or e % 2 == 0 or self._d >= n or \
                    self._dmp1 != self._d % (p - 1) or self._dmq1 != self._d % (q - 1) or \
                    (self._iqmp * q) % p != 1 or pow(pow(2, e, n), self._d, n) != 2:
                raise ValueError("Invalid private key")
        return RSAPrivateKey(self)

    def __eq__(self, other):
        if not isinstance(other, RSAPrivateNumbers):
            return NotImplemented
        return (self._p, self._q, self._d, self._dmp1, self._dmq1, self._iqmp, self._public_numbers) == \
            (other._p, other._q, other._d, other._dmp1, other._dmq1, other._iqmp, other._public_numbers)

    def __hash__(self):
        return hash((self._p, self._q, self._d, self._dmp1, self._dmq1, self._iqmp, self._public_numbers))


# -- keys --------------------------------------------------------------------------------
def _algorithm() -> bytes:
    return seq(der_oid(RSA), der(NULL, b""))


class RSAPublicKey(PublicKey):
    def __init__(self, n: int, e: int) -> None:
        self._n, self._e = n, e
        self._size = (n.bit_length() + 7) // 8

    @property
    def key_size(self) -> int:
        return self._n.bit_length()

    def public_numbers(self) -> RSAPublicNumbers:
        return RSAPublicNumbers(self._e, self._n)

    def _pkcs1(self) -> bytes:
        return seq(der_int(self._n), der_int(self._e))

    _algorithm = staticmethod(_algorithm)
    _spki_key = _pkcs1

    def _public_format(self, encoding, format):
        if format is PublicFormat.PKCS1 and encoding in (Encoding.PEM, Encoding.DER):
            body = self._pkcs1()
            return pem("RSA PUBLIC KEY", body) if encoding is Encoding.PEM else body
        raise ValueError("format is invalid with this key")

    def _raw_verify(self, signature: bytes) -> bytes:
        s = int.from_bytes(signature, "big")
        if len(signature) != self._size or s >= self._n:
            raise _invalid_signature()
        return pow(s, self._e, self._n).to_bytes(self._size, "big")

    def verify(self, signature, data, padding, algorithm) -> None:
        signature = buf(signature, "signature")
        digest, algorithm = digest_of(data, algorithm)
        pad, _ = _padding()
        em = self._raw_verify(signature)
        if isinstance(padding, pad.PKCS1v15):
            if not _hmac.compare_digest(em, _pkcs1_sign_block(digest, algorithm, self._size)):
                raise _invalid_signature()
        elif isinstance(padding, pad.PSS):
            if not _pss_verify(em, digest, algorithm, padding, self._n.bit_length() - 1):
                raise _invalid_signature()
        else:
            unsupported(f"padding {getattr(padding, 'name', padding)}", _Reasons.UNSUPPORTED_PADDING)

    def recover_data_from_signature(self, signature, padding, algorithm) -> bytes:
        pad, utils = _padding()
        if isinstance(algorithm, utils.Prehashed):
            raise TypeError("Prehashed is only supported in the sign and verify methods. It cannot be used with "
                            "recover_data_from_signature.")
        if not isinstance(padding, pad.PKCS1v15):
            unsupported("recovering data from a signature other than PKCS#1 v1.5", _Reasons.UNSUPPORTED_PADDING)
        em = self._raw_verify(buf(signature, "signature"))
        if em[:2] != b"\0\1" or b"\0" not in em[2:]:
            raise _invalid_signature()
        cut = em.index(b"\0", 2)
        if cut < 10 or em[2:cut] != b"\xff" * (cut - 2):
            raise _invalid_signature()
        body = em[cut + 1:]
        if algorithm is None:
            return body
        try:
            info = der_items(der_one(body, SEQUENCE))
            digest = info[1][1]
        except (ValueError, IndexError):
            raise _invalid_signature() from None
        if body != _digest_info(digest, algorithm):
            raise _invalid_signature()
        return digest

    def encrypt(self, plaintext, padding) -> bytes:
        plaintext = buf(plaintext, "plaintext")
        pad, _ = _padding()
        k = self._size
        if isinstance(padding, pad.OAEP):
            algorithm = padding._algorithm
            h_len = algorithm.digest_size
            if len(plaintext) > k - 2 * h_len - 2:
                raise ValueError("Encryption failed")
            label_hash = hash_factory(algorithm)(padding._label or b"").digest()
            db = label_hash + bytes(k - len(plaintext) - 2 * h_len - 2) + b"\1" + plaintext
            seed = os.urandom(h_len)
            masked_db = xor(db, _mgf1(seed, k - h_len - 1, _mgf_hash(padding)))
            em = b"\0" + xor(seed, _mgf1(masked_db, h_len, _mgf_hash(padding))) + masked_db
        elif isinstance(padding, pad.PKCS1v15):
            if len(plaintext) > k - 11:
                raise ValueError("Encryption failed")
            filler = bytearray()
            while len(filler) < k - len(plaintext) - 3:
                filler += os.urandom(k).replace(b"\0", b"")
            em = b"\0\2" + bytes(filler[:k - len(plaintext) - 3]) + b"\0" + plaintext
        else:
            unsupported(f"padding {getattr(padding, 'name', padding)}", _Reasons.UNSUPPORTED_PADDING)
        return pow(int.from_bytes(em, "big"), self._e, self._n).to_bytes(k, "big")

    def __eq__(self, other):
        if not isinstance(other, RSAPublicKey):
            return NotImplemented
        return (self._n, self._e) == (other._n, other._e)

    def __hash__(self):
        return hash((self._n, self._e))


class RSAPrivateKey(PrivateKey):
    def __init__(self, numbers: RSAPrivateNumbers) -> None:
        self._numbers = numbers
        self._public = RSAPublicKey(numbers.public_numbers.n, numbers.public_numbers.e)

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def public_key(self) -> RSAPublicKey:
        return self._public

    def private_numbers(self) -> RSAPrivateNumbers:
        return self._numbers

    def _raw_sign(self, m: int) -> bytes:
        """m^d mod n by the CRT, blinded (a random r: (m·r^e)^d = m^d·r)."""
        x, pub = self._numbers, self._public
        n = pub._n
        while True:
            r = int.from_bytes(os.urandom(pub._size), "big") % n
            if r > 1 and math.gcd(r, n) == 1:
                break
        c = m * pow(r, pub._e, n) % n
        m1, m2 = pow(c, x.dmp1, x.p), pow(c, x.dmq1, x.q)
        s = (m2 + (x.iqmp * (m1 - m2) % x.p) * x.q) * pow(r, -1, n) % n
        return s.to_bytes(pub._size, "big")

    def sign(self, data, padding, algorithm) -> bytes:
        pad, _ = _padding()
        if not isinstance(padding, pad.AsymmetricPadding):
            raise TypeError("Padding must be an instance of AsymmetricPadding.")
        digest, algorithm = digest_of(data, algorithm)
        if isinstance(padding, pad.PKCS1v15):
            em = _pkcs1_sign_block(digest, algorithm, self._public._size)
        elif isinstance(padding, pad.PSS):
            em = _pss_encode(digest, algorithm, padding, self._public._n.bit_length() - 1)
        else:
            unsupported(padding.name, _Reasons.UNSUPPORTED_PADDING)
        return self._raw_sign(int.from_bytes(em, "big"))

    def decrypt(self, ciphertext, padding) -> bytes:
        ciphertext = buf(ciphertext, "ciphertext")
        pad, _ = _padding()
        k = self._public._size
        c = int.from_bytes(ciphertext, "big")
        if len(ciphertext) != k or c >= self._public._n:
            raise ValueError("Decryption failed")
        em = self._raw_sign(c)
        if isinstance(padding, pad.OAEP):
            algorithm = padding._algorithm
            h_len = algorithm.digest_size
            seed = xor(em[1:1 + h_len], _mgf1(em[1 + h_len:], h_len, _mgf_hash(padding)))
            db = xor(em[1 + h_len:], _mgf1(seed, k - h_len - 1, _mgf_hash(padding)))
            label_hash = hash_factory(algorithm)(padding._label or b"").digest()
            rest = db[h_len:].lstrip(b"\0")
            if em[0] != 0 or not _hmac.compare_digest(db[:h_len], label_hash) or rest[:1] != b"\1":
                raise ValueError("Decryption failed")
            return rest[1:]
        if isinstance(padding, pad.PKCS1v15):
            cut = em.find(b"\0", 2)
            if em[:2] != b"\0\2" or cut < 10:
                raise ValueError("Decryption failed")
            return em[cut + 1:]
        unsupported(f"padding {getattr(padding, 'name', padding)}", _Reasons.UNSUPPORTED_PADDING)
        return b""

    # -- serialization --------------------------------------------------------------
    _algorithm = staticmethod(_algorithm)

    def _pkcs1(self) -> bytes:
        x = self._numbers
        return seq(der_int(0), der_int(x.public_numbers.n), der_int(x.public_numbers.e), der_int(x.d),
                   der_int(x.p), der_int(x.q), der_int(x.dmp1), der_int(x.dmq1), der_int(x.iqmp))

    _pkcs8_key = _pkcs1

    def _traditional(self) -> tuple[str, bytes]:
        return "RSA PRIVATE KEY", self._pkcs1()


# -- encodings (RFC 8017 §9) --------------------------------------------------------------
def _digest_info(digest: bytes, algorithm) -> bytes:
    oid = DIGEST_OIDS.get(algorithm.name)
    if oid is None:
        unsupported(f"{algorithm.name} with PKCS#1 v1.5", _Reasons.UNSUPPORTED_HASH)
    return seq(seq(der_oid(oid), der(NULL, b"")), der(OCTET_STRING, digest))


def _pkcs1_sign_block(digest: bytes, algorithm, k: int) -> bytes:
    _, utils = _padding()
    t = digest if isinstance(algorithm, getattr(utils, "NoDigestInfo", ())) else _digest_info(digest, algorithm)
    if len(t) > k - 11:
        raise ValueError("Digest too big for RSA key")
    return b"\0\1" + b"\xff" * (k - len(t) - 3) + b"\0" + t


def _salt_length(padding, h_len: int, em_len: int, signing: bool) -> int | None:
    pad, _ = _padding()
    salt = padding._salt_length
    if isinstance(salt, int):
        return salt
    if isinstance(salt, type(pad.PSS.DIGEST_LENGTH)):
        return h_len
    if isinstance(salt, type(pad.PSS.AUTO)) and not signing:
        return None  # found from the signature
    return em_len - h_len - 2  # MAX_LENGTH (and AUTO, when signing: as OpenSSL)


def _pss_encode(digest: bytes, algorithm, padding, em_bits: int) -> bytes:
    h_len, em_len = len(digest), (em_bits + 7) // 8
    s_len = _salt_length(padding, h_len, em_len, True)
    if em_len < h_len + s_len + 2:
        raise ValueError("Digest or salt length too long for key size. Use a larger key or shorter salt length "
                         "if you are specifying a PSS salt")
    salt = os.urandom(s_len)
    h = hash_factory(algorithm)(bytes(8) + digest + salt).digest()
    db = bytes(em_len - s_len - h_len - 2) + b"\1" + salt
    masked = bytearray(xor(db, _mgf1(h, len(db), _mgf_hash(padding))))
    masked[0] &= 0xFF >> (8 * em_len - em_bits)
    return bytes(masked) + h + b"\xbc"


def _pss_verify(em: bytes, digest: bytes, algorithm, padding, em_bits: int) -> bool:
    """EMSA-PSS-VERIFY (RFC 8017 §9.1.2) of ``em``, the whole k-byte result of the public
    operation: where emLen is k - 1 (a modulus of 8m+1 bits) the byte above must be zero."""
    em_len, h_len = (em_bits + 7) // 8, len(digest)
    em, above, top = em[len(em) - em_len:], em[:len(em) - em_len], 8 * em_len - em_bits
    if any(above) or em_len < h_len + 2 or em[-1:] != b"\xbc" or (top and em[0] >> (8 - top)):
        return False
    masked, h = em[:em_len - h_len - 1], em[em_len - h_len - 1:-1]
    db = bytearray(xor(masked, _mgf1(h, len(masked), _mgf_hash(padding))))
    db[0] &= 0xFF >> (8 * em_len - em_bits)
    rest = bytes(db).lstrip(b"\0")
    if rest[:1] != b"\1":
        return False
    salt = rest[1:]
    s_len = _salt_length(padding, h_len, em_len, False)
    if s_len is not None and len(salt) != s_len:
        return False
    return _hmac.compare_digest(h, hash_factory(algorithm)(bytes(8) + digest + salt).digest())


# -- generation --------------------------------------------------------------------------
_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p ** 0.5) + 1))]


def _probable_prime(n: int, rounds: int) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        a = 2 + int.from_bytes(os.urandom((n.bit_length() + 7) // 8), "big") % (n - 3)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, e: int) -> int:
    while True:
        p = int.from_bytes(os.urandom(bits // 8), "big") | (0b11 << (bits - 2)) | 1  # top two bits: n has all its bits
        if math.gcd(p - 1, e) == 1 and _probable_prime(p, 5 if bits >= 1024 else 10):
            return p


def generate_private_key(public_exponent: int, key_size: int) -> RSAPrivateKey:
    if key_size % 16:
        unsupported(f"RSA key size {key_size} (a multiple of 16 bits only)", _Reasons.UNSUPPORTED_PUBLIC_KEY_ALGORITHM)
    while True:
        p, q = _prime(key_size // 2, public_exponent), _prime(key_size // 2, public_exponent)
        if p != q:
            break
    return from_primes(p, q, public_exponent)


def from_primes(p: int, q: int, e: int) -> RSAPrivateKey:
    if p < q:
        p, q = q, p
    d = pow(e, -1, math.lcm(p - 1, q - 1))
    return RSAPrivateKey(RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p),
                                           RSAPublicNumbers(e, p * q)))


# -- loading (wasmhost_cryptography_keys) ---------------------------------------------------
def _private_from_pkcs1(data: bytes, skip: bool) -> RSAPrivateKey:
    items = der_items(der_one(data, SEQUENCE))
    if len(items) < 9 or any(t != INTEGER for t, _ in items[:9]):
        raise ValueError("not an RSA private key")
    _, n, e, d, p, q, dmp1, dmq1, iqmp = (int_of(v) for _, v in items[:9])
    return RSAPrivateNumbers(p, q, d, dmp1, dmq1, iqmp, RSAPublicNumbers(e, n)).private_key(
        unsafe_skip_rsa_key_validation=skip)


def from_pkcs8(oid, params, key: bytes, skip: bool) -> RSAPrivateKey:
    return _private_from_pkcs1(key, skip)


def from_traditional(data: bytes, skip: bool) -> RSAPrivateKey:
    return _private_from_pkcs1(data, skip)


def from_pkcs1_public(data: bytes) -> RSAPublicKey:
    items = der_items(der_one(data, SEQUENCE))
    if len(items) != 2 or any(t != INTEGER for t, _ in items):
        raise ValueError("not an RSA public key")
    return RSAPublicNumbers(int_of(items[1][1]), int_of(items[0][1])).public_key()


def from_spki(oid, params, key: bytes) -> RSAPublicKey:
    return from_pkcs1_public(key)


openssl.rsa = module("openssl.rsa", RSAPrivateKey=RSAPrivateKey, RSAPublicKey=RSAPublicKey,
                     RSAPrivateNumbers=RSAPrivateNumbers, RSAPublicNumbers=RSAPublicNumbers,
                     generate_private_key=generate_private_key)
EXPORTS: dict = {}
