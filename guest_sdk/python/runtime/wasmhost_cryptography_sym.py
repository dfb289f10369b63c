"""Symmetric cryptography for the cryptography stand-in (see ``wasmhost_cryptography``):
hashes and HMAC over the sandbox's hashlib/hmac (C code: HACL*), and AES, ChaCha20,
Poly1305, GHASH and the KDFs in Python.

AES is written here because no pure-Python AES library is bundled with the runtime and the
sandbox's CPython has no OpenSSL: it is the textbook table form (four 256-entry round
tables, so a round is 16 lookups and XORs on Python ints); GHASH uses per-byte
multiplication tables made once per key (16 lookups a block). In the sandbox that is
about 2.5 ms for a Fernet token of a kilobyte and 3.3 s for a megabyte of AES-GCM
(a thousand times OpenSSL's time): right for what Lambda code does with it (Fernet
tokens, JWE, cookies, a few kilobytes), not for bulk encryption.
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
import os
import struct

from wasmhost_cryptography_core import _Reasons, buf, exceptions_module, module, openssl, unsupported

# -- hashes ------------------------------------------------------------------------------
_HASHLIB = {"sha1": "sha1", "sha224": "sha224", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512",
            "md5": "md5", "sha3-224": "sha3_224", "sha3-256": "sha3_256", "sha3-384": "sha3_384",
            "sha3-512": "sha3_512", "blake2b": "blake2b", "blake2s": "blake2s", "shake128": "shake_128",
            "shake256": "shake_256", "sha512-224": "sha512_224", "sha512-256": "sha512_256"}


def _hashes():
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
    return hashes


def hash_factory(algorithm):
    """A hashlib constructor for a cryptography hash algorithm, or UnsupportedAlgorithm."""
    name = _HASHLIB.get(getattr(algorithm, "name", None))
    if name is not None:
        if name in ("blake2b", "blake2s"):
            size = algorithm.digest_size
            return lambda data=b"": hashlib.new(name, data, digest_size=size)
        try:
            hashlib.new(name)
            return lambda data=b"": hashlib.new(name, data)
        except ValueError:
            pass
    unsupported(f"{getattr(algorithm, 'name', algorithm)!s} hash", _Reasons.UNSUPPORTED_HASH)


def hash_supported(algorithm) -> bool:
    try:
        hash_factory(algorithm)
        return True
    except Exception:  # noqa: BLE001
        return False


def _check_hash(algorithm):
    if not isinstance(algorithm, _hashes().HashAlgorithm):
        raise TypeError("Expected instance of hashes.HashAlgorithm.")


def _finalized():
    return exceptions_module().AlreadyFinalized("Context was already finalized.")


class Hash:
    def __init__(self, algorithm, backend=None, _ctx=None) -> None:
        _check_hash(algorithm)
        if isinstance(algorithm, _hashes().ExtendableOutputFunction) and _ctx is None:
            hash_factory(algorithm)
        self._algorithm = algorithm
        self._ctx = _ctx if _ctx is not None else hash_factory(algorithm)()

    @property
    def algorithm(self):
        return self._algorithm

    def update(self, data) -> None:
        if self._ctx is None:
            raise _finalized()
        self._ctx.update(buf(data))

    def copy(self):
        if self._ctx is None:
            raise _finalized()
        return Hash(self._algorithm, _ctx=self._ctx.copy())

    def finalize(self) -> bytes:
        if self._ctx is None:
            raise _finalized()
        ctx, self._ctx = self._ctx, None
        if self._algorithm.name.startswith("shake"):
            return ctx.digest(self._algorithm.digest_size)
        return ctx.digest()

    @staticmethod
    def hash(algorithm, data) -> bytes:
        h = Hash(algorithm)
        h.update(data)
        return h.finalize()


class XOFHash:
    def __init__(self, algorithm, _ctx=None, _squeezed=0) -> None:
        if not isinstance(algorithm, _hashes().ExtendableOutputFunction):
            raise TypeError("Expected instance of an ExtendableOutputFunction.")
        self._algorithm = algorithm
        self._ctx = _ctx if _ctx is not None else hash_factory(algorithm)()
        self._squeezed = _squeezed

    @property
    def algorithm(self):
        return self._algorithm

    def update(self, data) -> None:
        if self._squeezed:
            raise exceptions_module().AlreadyFinalized("Context was already squeezed.")
        self._ctx.update(buf(data))

    def squeeze(self, length: int) -> bytes:
        out = self._ctx.digest(self._squeezed + length)[self._squeezed:]
        self._squeezed += length
        return out

    def copy(self):
        return XOFHash(self._algorithm, self._ctx.copy(), self._squeezed)


class HMAC:
    def __init__(self, key, algorithm, backend=None, _ctx=None) -> None:
        _check_hash(algorithm)
        self._algorithm = algorithm
        if _ctx is None:
            factory = hash_factory(algorithm)
            _ctx = _hmac.new(buf(key, "key"), digestmod=factory)
        self._ctx = _ctx

    @property
    def algorithm(self):
        return self._algorithm

    def update(self, data) -> None:
        if self._ctx is None:
            raise _finalized()
        self._ctx.update(buf(data))

    def copy(self):
        if self._ctx is None:
            raise _finalized()
        return HMAC(None, self._algorithm, _ctx=self._ctx.copy())

    def finalize(self) -> bytes:
        if self._ctx is None:
            raise _finalized()
        ctx, self._ctx = self._ctx, None
        return ctx.digest()

    def verify(self, signature) -> None:
        signature = buf(signature, "signature")
        if not _hmac.compare_digest(self.finalize(), signature):
            raise exceptions_module().InvalidSignature("Signature did not match digest.")


# -- AES ---------------------------------------------------------------------------------
def _xtime(a):
    a <<= 1
    return a ^ 0x11B if a & 0x100 else a


def _tables():
    """The AES S-box and the encryption/decryption round tables, computed (not pasted)."""
    exp, log = [0] * 512, [0] * 256
    x = 1
    for i in range(255):
        exp[i] = x
        log[x] = i
        x ^= _xtime(x)  # times 3, a generator
    for i in range(255, 512):
        exp[i] = exp[i - 255]

    def mul(a, b):
        return exp[log[a] + log[b]] if a and b else 0
    sbox = [0] * 256
    for a in range(256):
        inv = exp[255 - log[a]] if a else 0
        s = inv
        for k in range(1, 5):
            s ^= ((inv << k) | (inv >> (8 - k))) & 0xFF
        sbox[a] = s ^ 0x63
    inv_sbox = [0] * 256
    for a, s in enumerate(sbox):
        inv_sbox[s] = a
    te = [[0] * 256 for _ in range(4)]
    td = [[0] * 256 for _ in range(4)]
    for a in range(256):
        s = sbox[a]
        word = (mul(s, 2) << 24) | (s << 16) | (s << 8) | mul(s, 3)
        i = inv_sbox[a]
        dword = (mul(i, 14) << 24) | (mul(i, 9) << 16) | (mul(i, 13) << 8) | mul(i, 11)
        for r in range(4):
            te[r][a] = ((word >> (8 * r)) | (word << (32 - 8 * r))) & 0xFFFFFFFF
            td[r][a] = ((dword >> (8 * r)) | (dword << (32 - 8 * r))) & 0xFFFFFFFF
    return sbox, inv_sbox, te, td, mul


_SBOX, _INV_SBOX, _TE, _TD, _GMUL = _tables()


class AESKey:
    """One AES key's expanded schedules; ``encrypt``/``decrypt`` work on 16-byte blocks."""

    def __init__(self, key: bytes) -> None:
        nk = len(key) // 4
        self.rounds = nk + 6
        w = list(struct.unpack(f">{nk}I", key))
        rcon = 1
        s = _SBOX
        for i in range(nk, 4 * (self.rounds + 1)):
            t = w[i - 1]
            if i % nk == 0:
                t = ((s[(t >> 16) & 0xFF] << 24) | (s[(t >> 8) & 0xFF] << 16) | (s[t & 0xFF] << 8) | s[t >> 24]) ^ \
                    (rcon << 24)
                rcon = _xtime(rcon)
            elif nk > 6 and i % nk == 4:
                t = (s[t >> 24] << 24) | (s[(t >> 16) & 0xFF] << 16) | (s[(t >> 8) & 0xFF] << 8) | s[t & 0xFF]
            w.append(w[i - nk] ^ t)
        self.ek = w
        # decryption: the equivalent inverse cipher's schedule (InvMixColumns on the middle rounds)
        dk = []
        for r in range(self.rounds, -1, -1):
            words = w[4 * r:4 * r + 4]
            if 0 < r < self.rounds:
                words = [_TD[0][s[x >> 24]] ^ _TD[1][s[(x >> 16) & 0xFF]] ^ _TD[2][s[(x >> 8) & 0xFF]] ^
                         _TD[3][s[x & 0xFF]] for x in words]
            dk.extend(words)
        self.dk = dk

    def encrypt(self, block: bytes) -> bytes:
        t0, t1, t2, t3 = _TE
        k = self.ek
        a, b, c, d = struct.unpack(">4I", block)
        a ^= k[0]
        b ^= k[1]
        c ^= k[2]
        d ^= k[3]
        i = 4
        for _ in range(self.rounds - 1):
            a, b, c, d = (t0[a >> 24] ^ t1[(b >> 16) & 255] ^ t2[(c >> 8) & 255] ^ t3[d & 255] ^ k[i],
                          t0[b >> 24] ^ t1[(c >> 16) & 255] ^ t2[(d >> 8) & 255] ^ t3[a & 255] ^ k[i + 1],
                          t0[c >> 24] ^ t1[(d >> 16) & 255] ^ t2[(a >> 8) & 255] ^ t3[b & 255] ^ k[i + 2],
                          t0[d >> 24] ^ t1[(a >> 16) & 255] ^ t2[(b >> 8) & 255] ^ t3[c & 255] ^ k[i + 3])
            i += 4
        return _last_round(_SBOX, k, i, (a, b, c, d), (b, c, d, a), (c, d, a, b), (d, a, b, c))

    def decrypt(self, block: bytes) -> bytes:
        t0, t1, t2, t3 = _TD
        k = self.dk
        a, b, c, d = struct.unpack(">4I", block)
        a ^= k[0]
        b ^= k[1]
        c ^= k[2]
        d ^= k[3]
        i = 4
        for _ in range(self.rounds - 1):
            a, b, c, d = (t0[a >> 24] ^ t1[(d >> 16) & 255] ^ t2[(c >> 8) & 255] ^ t3[b & 255] ^ k[i],
                          t0[b >> 24] ^ t1[(a >> 16) & 255] ^ t2[(d >> 8) & 255] ^ t3[c & 255] ^ k[i + 1],
                          t0[c >> 24] ^ t1[(b >> 16) & 255] ^ t2[(a >> 8) & 255] ^ t3[d & 255] ^ k[i + 2],
                          t0[d >> 24] ^ t1[(c >> 16) & 255] ^ t2[(b >> 8) & 255] ^ t3[a & 255] ^ k[i + 3])
            i += 4
        return _last_round(_INV_SBOX, k, i, (a, d, c, b), (b, a, d, c), (c, b, a, d), (d, c, b, a))


def _last_round(s, k, i, *columns) -> bytes:
    """The last AES round (substitution and shift, no mixing) from the state's four words,
    each column given in the order its bytes are taken."""
    return struct.pack(">4I", *(((s[w >> 24] << 24) | (s[(x >> 16) & 255] << 16) | (s[(y >> 8) & 255] << 8) |
                                 s[z & 255]) ^ k[i + j] for j, (w, x, y, z) in enumerate(columns)))


def xor(a: bytes, b: bytes) -> bytes:
    """``a`` XOR ``b``, as long as the shorter."""
    n = min(len(a), len(b))
    return (int.from_bytes(a[:n], "big") ^ int.from_bytes(b[:n], "big")).to_bytes(n, "big")


def ctr_stream(key: AESKey, counter: int, n: int, width: int = 128) -> bytes:
    """``n`` bytes of AES-CTR keystream from the 16-byte counter block ``counter``
    (incremented modulo 2**width in its low bits: 128 for CTR mode, 32 for GCM)."""
    enc = key.encrypt
    mask = (1 << width) - 1
    high = counter & ~mask
    low = counter & mask
    out = []
    for _ in range((n + 15) // 16):
        out.append(enc((high | low).to_bytes(16, "big")))
        low = (low + 1) & mask
    return b"".join(out)[:n]


class GHash:
    """GCM's GHASH for one hash key H, by per-byte tables (16 lookups a block)."""

    R = 0xE1 << 120

    def __init__(self, h: int) -> None:
        powers = []
        v = h
        for _ in range(128):  # powers[j] = H * x^j in GCM's bit order
            powers.append(v)
            v = (v >> 1) ^ self.R if v & 1 else v >> 1
        tables = []
        for i in range(16):
            t = [0] * 256
            for bit in range(8):
                t[1 << bit] = powers[127 - (8 * (15 - i) + bit)]
            for b in range(1, 256):
                low = b & -b
                if b != low:
                    t[b] = t[low] ^ t[b ^ low]
            tables.append(t)
        self.tables = tables
        self.y = 0

    def mul(self, x: int) -> int:
        r = 0
        for t in self.tables[::-1]:
            r ^= t[x & 255]
            x >>= 8
        return r

    def fresh(self) -> GHash:
        """A GHASH of the same key from the start (the tables shared)."""
        g = GHash.__new__(GHash)
        g.tables, g.y = self.tables, 0
        return g

    def j0(self, iv: bytes) -> int:
        """GCM's first counter block for ``iv`` (a fresh GHASH: it absorbs a long one)."""
        if len(iv) == 12:
            return int.from_bytes(iv + b"\0\0\0\1", "big")
        self.update(iv)
        self.update(bytes(8) + (len(iv) * 8).to_bytes(8, "big"))
        j0, self.y = self.y, 0
        return j0

    def update(self, data: bytes) -> None:
        """Absorb ``data`` (zero-padded to whole blocks)."""
        y = self.y
        for pos in range(0, len(data), 16):
            y = self.mul(y ^ int.from_bytes(data[pos:pos + 16].ljust(16, b"\0"), "big"))
        self.y = y


def _modes():
    from cryptography.hazmat.primitives.ciphers import algorithms, modes  # noqa: PLC0415
    return algorithms, modes


# -- ChaCha20 and Poly1305 (RFC 8439) ----------------------------------------------------
def _chacha_block(key_words, counter: int, nonce_words) -> bytes:
    state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *key_words, counter & 0xFFFFFFFF, *nonce_words]
    x = list(state)
    for _ in range(10):
        for a, b, c, d in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                           (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)):
            xa, xb, xc, xd = x[a], x[b], x[c], x[d]
            xa = (xa + xb) & 0xFFFFFFFF
            xd ^= xa
            xd = ((xd << 16) | (xd >> 16)) & 0xFFFFFFFF
            xc = (xc + xd) & 0xFFFFFFFF
            xb ^= xc
            xb = ((xb << 12) | (xb >> 20)) & 0xFFFFFFFF
            xa = (xa + xb) & 0xFFFFFFFF
            xd ^= xa
            xd = ((xd << 8) | (xd >> 24)) & 0xFFFFFFFF
            xc = (xc + xd) & 0xFFFFFFFF
            xb ^= xc
            xb = ((xb << 7) | (xb >> 25)) & 0xFFFFFFFF
            x[a], x[b], x[c], x[d] = xa, xb, xc, xd
    return struct.pack("<16I", *[(x[i] + state[i]) & 0xFFFFFFFF for i in range(16)])


def chacha_stream(key: bytes, counter: int, nonce: bytes, n: int) -> bytes:
    """ChaCha20 keystream: ``nonce`` is 12 bytes (RFC 8439, 32-bit counter) or, as
    cryptography's ChaCha20 takes it, 16 bytes whose first 4 are the counter."""
    kw = struct.unpack("<8I", key)
    if len(nonce) == 16:
        counter = struct.unpack("<I", nonce[:4])[0]
        nonce = nonce[4:]
    nw = struct.unpack("<3I", nonce)
    return b"".join(_chacha_block(kw, counter + i, nw) for i in range((n + 63) // 64))[:n]


def poly1305(key: bytes, msg: bytes) -> bytes:
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    p = (1 << 130) - 5
    acc = 0
    for pos in range(0, len(msg), 16):
        chunk = msg[pos:pos + 16]
        acc = ((acc + int.from_bytes(chunk + b"\x01", "little")) * r) % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, "little")


class Poly1305:
    def __init__(self, key) -> None:
        key = buf(key, "key")
        if len(key) != 32:
            raise ValueError("A poly1305 key is 32 bytes long")
        self._key, self._data = key, bytearray()

    @staticmethod
    def generate_tag(key, data) -> bytes:
        p = Poly1305(key)
        p.update(data)
        return p.finalize()

    @staticmethod
    def verify_tag(key, data, tag) -> None:
        p = Poly1305(key)
        p.update(data)
        p.verify(tag)

    def update(self, data) -> None:
        if self._data is None:
            raise _finalized()
        self._data += buf(data)

    def finalize(self) -> bytes:
        if self._data is None:
            raise _finalized()
        data, self._data = bytes(self._data), None
        return poly1305(self._key, data)

    def verify(self, tag) -> None:
        if not _hmac.compare_digest(self.finalize(), buf(tag, "tag")):
            raise exceptions_module().InvalidSignature("Value did not match computed tag.")


# -- cipher contexts ---------------------------------------------------------------------
class CipherContext:
    """One ``Cipher(...).encryptor()``/``decryptor()``: the mode's state over whole blocks,
    the tail kept for the next update (ECB/CBC) or used at once (the stream modes)."""

    def __init__(self, algorithm, mode, encrypt: bool) -> None:
        algorithms, modes = _modes()
        self._encrypt = encrypt
        self._mode = mode
        self._pending = b""
        self._done = False
        self._stream = None  # the stream modes: a function (n) -> keystream
        name = getattr(mode, "name", None)
        if isinstance(algorithm, algorithms.ChaCha20):
            if mode is not None:
                raise ValueError("ChaCha20 must be used without a mode")
            self._setup_chacha(algorithm.key, algorithm.nonce)
            return
        if not isinstance(algorithm, algorithms.AES) or name not in ("ECB", "CBC", "CTR", "GCM", "CFB", "CFB8",
                                                                        "OFB"):
            unsupported(f"cipher {getattr(algorithm, 'name', algorithm)} in "
                        f"{getattr(mode, 'name', mode)} mode", _Reasons.UNSUPPORTED_CIPHER)
        self._key = AESKey(algorithm.key)
        self._name = name
        if name == "CBC" or name in ("CFB", "CFB8", "OFB"):
            self._iv = mode.initialization_vector
        elif name == "CTR":
            self._counter = int.from_bytes(mode.nonce, "big")
            self._stream_buffer = b""
        elif name == "GCM":
            self._gcm_setup(mode)

    def _setup_chacha(self, key: bytes, nonce: bytes) -> None:
        self._name = "ChaCha20"
        self._chacha_key = key
        self._stream_pos = 0

        def stream(n):
            start = self._stream_pos
            first, skip = start // 64, start % 64
            counter0 = struct.unpack("<I", nonce[:4])[0]
            data = chacha_stream(key, 0, (counter0 + first).to_bytes(4, "little") + nonce[4:], skip + n)[skip:]
            self._stream_pos += n
            return data
        self._stream = stream

    def _gcm_setup(self, mode) -> None:
        self._ghash = GHash(int.from_bytes(self._key.encrypt(bytes(16)), "big"))
        self._j0 = j0 = self._ghash.fresh().j0(mode.initialization_vector)
        self._counter = (j0 & ~0xFFFFFFFF) | ((j0 + 1) & 0xFFFFFFFF)
        self._stream_buffer = b""
        self._aad_len = 0
        self._data_len = 0
        self._aad_open = True
        self._aad_buffer = b""
        self._ct_buffer = b""
        self._tag = None

    # -- the public interface ---------------------------------------------------------
    def update(self, data) -> bytes:
        if self._done:
            raise _finalized()
        data = buf(data)
        if not data:
            return b""
        if self._stream is not None:
            return xor(data, self._stream(len(data)))
        return getattr(self, "_update_" + self._name)(data)

    def update_into(self, data, buf_out) -> int:
        out = self.update(data)
        view = memoryview(buf_out)
        if len(view) < len(out):
            raise ValueError(f"buffer must be at least {len(out)} bytes for this payload")
        view[:len(out)] = out
        return len(out)

    def finalize(self) -> bytes:
        if self._done:
            raise _finalized()
        name = getattr(self, "_name", None)
        if name in ("ECB", "CBC") and self._pending:
            raise ValueError("The length of the provided data is not a multiple of the block length.")
        if name == "GCM":
            self._gcm_finish()
        self._done = True
        return b""

    def reset_nonce(self, nonce) -> None:
        if self._done:
            raise _finalized()
        if getattr(self, "_name", None) not in ("CTR", "ChaCha20"):
            raise exceptions_module().UnsupportedAlgorithm(
                "This context does not support resetting the nonce.", _Reasons.UNSUPPORTED_CIPHER)
        nonce = buf(nonce, "nonce")
        if self._name == "CTR":
            if len(nonce) != 16:
                raise ValueError("Nonce must be 16 bytes")
            self._counter = int.from_bytes(nonce, "big")
            self._stream_buffer = b""
        else:
            if len(nonce) != 16:
                raise ValueError("Nonce must be 128-bits (16 bytes)")
            self._setup_chacha(self._chacha_key, nonce)

    # -- the modes -------------------------------------------------------------------
    def _blocks(self, data: bytes) -> bytes:
        data = self._pending + data
        cut = len(data) - len(data) % 16
        self._pending = data[cut:]
        return data[:cut]

    def _update_ECB(self, data: bytes) -> bytes:
        data = self._blocks(data)
        f = self._key.encrypt if self._encrypt else self._key.decrypt
        return b"".join(f(data[i:i + 16]) for i in range(0, len(data), 16))

    def _update_CBC(self, data: bytes) -> bytes:
        data = self._blocks(data)
        out = []
        prev = int.from_bytes(self._iv, "big")
        if self._encrypt:
            enc = self._key.encrypt
            for i in range(0, len(data), 16):
                block = enc((int.from_bytes(data[i:i + 16], "big") ^ prev).to_bytes(16, "big"))
                out.append(block)
                prev = int.from_bytes(block, "big")
        else:
            dec = self._key.decrypt
            for i in range(0, len(data), 16):
                block = data[i:i + 16]
                out.append((int.from_bytes(dec(block), "big") ^ prev).to_bytes(16, "big"))
                prev = int.from_bytes(block, "big")
        if data:
            self._iv = (out[-1] if self._encrypt else data[-16:])
        return b"".join(out)

    def _keystream(self, n: int, width: int) -> bytes:
        have = self._stream_buffer
        if len(have) < n:
            need = n - len(have)
            blocks = (need + 15) // 16
            more = ctr_stream(self._key, self._counter, blocks * 16, width)
            mask = (1 << width) - 1
            self._counter = (self._counter & ~mask) | ((self._counter + blocks) & mask)
            have += more
        self._stream_buffer = have[n:]
        return have[:n]

    def _update_CTR(self, data: bytes) -> bytes:
        return xor(data, self._keystream(len(data), 128))

    def _update_OFB(self, data: bytes) -> bytes:
        out = []
        stream = getattr(self, "_ofb_buffer", b"")
        while len(stream) < len(data):
            self._iv = self._key.encrypt(self._iv)
            stream += self._iv
        self._ofb_buffer = stream[len(data):]
        out.append(xor(data, stream))
        return b"".join(out)

    def _update_CFB(self, data: bytes) -> bytes:
        # full-block feedback; a partial block keeps its keystream and position for the next call
        out = bytearray()
        reg = bytearray(self._iv)
        pos = getattr(self, "_cfb_pos", 0)
        stream = getattr(self, "_cfb_stream", b"")
        for byte in data:
            if pos == 0:
                stream = self._key.encrypt(bytes(reg))
            c = byte ^ stream[pos]
            out.append(c)
            reg[pos] = c if self._encrypt else byte
            pos = (pos + 1) % 16
        self._iv, self._cfb_pos, self._cfb_stream = bytes(reg), pos, stream
        return bytes(out)

    def _update_CFB8(self, data: bytes) -> bytes:
        out = bytearray()
        reg = self._iv
        enc = self._key.encrypt
        for byte in data:
            c = byte ^ enc(reg)[0]
            out.append(c)
            reg = reg[1:] + bytes([c if self._encrypt else byte])
        self._iv = reg
        return bytes(out)

    # -- GCM -------------------------------------------------------------------------
    def authenticate_additional_data(self, data) -> None:
        if self._done:
            raise _finalized()
        if getattr(self, "_name", None) != "GCM":
            raise TypeError("authenticate_additional_data is only for AEAD modes")
        if not self._aad_open:
            raise exceptions_module().AlreadyUpdated("Update has been called on this context.")
        data = buf(data)
        self._aad_len += len(data)
        self._aad_buffer += data
        whole = len(self._aad_buffer) // 16 * 16
        self._ghash.update(self._aad_buffer[:whole])
        self._aad_buffer = self._aad_buffer[whole:]

    def _update_GCM(self, data: bytes) -> bytes:
        if self._aad_open:
            self._ghash.update(self._aad_buffer)
            self._aad_buffer = b""
            self._aad_open = False
        self._data_len += len(data)
        if self._data_len > (2 ** 39 - 256) // 8:
            raise ValueError("Exceeded maximum encrypted byte limit")
        out = xor(data, self._keystream(len(data), 32))
        ct = self._ct_buffer + (out if self._encrypt else data)
        whole = len(ct) // 16 * 16
        self._ghash.update(ct[:whole])
        self._ct_buffer = ct[whole:]
        return out

    def _gcm_finish(self) -> None:
        if self._aad_open:
            self._ghash.update(self._aad_buffer)
        self._ghash.update(self._ct_buffer)
        self._ghash.update((self._aad_len * 8).to_bytes(8, "big") + (self._data_len * 8).to_bytes(8, "big"))
        s = ctr_stream(self._key, self._j0, 16, 32)
        tag = xor(self._ghash.y.to_bytes(16, "big"), s)
        if self._encrypt:
            self._tag = tag
            return
        expected = self._mode.tag
        if expected is None:
            raise ValueError("Authentication tag must be provided when decrypting.")
        if not _hmac.compare_digest(tag[:len(expected)], expected):
            raise exceptions_module().InvalidTag()

    @property
    def tag(self) -> bytes:
        if not self._encrypt:
            raise AttributeError("tag")
        if not self._done:
            raise exceptions_module().NotYetFinalized("You must finalize encryption before getting the tag.")
        return self._tag

    def finalize_with_tag(self, tag) -> bytes:
        tag = buf(tag, "tag")
        if len(tag) < self._mode._min_tag_length:
            raise ValueError(f"Authentication tag must be {self._mode._min_tag_length} bytes or longer.")
        self._mode = _Tag(tag)
        return self.finalize()


class _Tag:
    def __init__(self, tag):
        self.tag = tag


class AEADEncryptionContext(CipherContext):
    pass


class AEADDecryptionContext(CipherContext):
    pass


def _context(algorithm, mode, encrypt: bool):
    if mode is not None and getattr(mode, "name", None) == "GCM":
        return (AEADEncryptionContext if encrypt else AEADDecryptionContext)(algorithm, mode, encrypt)
    return CipherContext(algorithm, mode, encrypt)


def create_encryption_ctx(algorithm, mode):
    return _context(algorithm, mode, True)


def create_decryption_ctx(algorithm, mode):
    return _context(algorithm, mode, False)


def cipher_supported(algorithm, mode) -> bool:
    algorithms, _ = _modes()
    if isinstance(algorithm, algorithms.ChaCha20):
        return mode is None
    return isinstance(algorithm, algorithms.AES) and getattr(mode, "name", None) in (
        "ECB", "CBC", "CTR", "GCM", "CFB", "CFB8", "OFB")


def _advance(ctx, n):
    pass


def _advance_aad(ctx, n):
    pass


# -- AEAD --------------------------------------------------------------------------------
def _aead_args(nonce, data, associated_data):
    nonce, data = buf(nonce, "nonce"), buf(data)
    aad = b"" if associated_data is None else buf(associated_data, "associated_data")
    if len(data) > 2 ** 31 - 1 or len(aad) > 2 ** 31 - 1:
        raise OverflowError("Data or associated data too long. Max 2**31 - 1 bytes")
    return nonce, data, aad


def _into(out: bytes, buffer) -> int:
    view = memoryview(buffer)
    if len(view) != len(out):
        raise ValueError(f"buffer must be {len(out)} bytes")
    view[:] = out
    return len(out)


class _AEAD:
    def encrypt_into(self, nonce, data, associated_data, buffer) -> int:
        return _into(self.encrypt(nonce, data, associated_data), buffer)

    def decrypt_into(self, nonce, data, associated_data, buffer) -> int:
        return _into(self.decrypt(nonce, data, associated_data), buffer)


class AESGCM(_AEAD):
    def __init__(self, key) -> None:
        key = buf(key, "key")
        if len(key) not in (16, 24, 32):
            raise ValueError("AESGCM key must be 128, 192, or 256 bits.")
        self._key = AESKey(key)
        self._h = GHash(int.from_bytes(self._key.encrypt(bytes(16)), "big"))

    @staticmethod
    def generate_key(bit_length: int) -> bytes:
        if not isinstance(bit_length, int):
            raise TypeError("bit_length must be an integer")
        if bit_length not in (128, 192, 256):
            raise ValueError("bit_length must be 128, 192, or 256")
        return os.urandom(bit_length // 8)

    def _run(self, nonce, data, aad, encrypt):
        if len(nonce) < 8 or len(nonce) > 128:
            raise ValueError("Nonce must be between 8 and 128 bytes")
        g = self._h.fresh()
        j0 = g.j0(nonce)
        if encrypt:
            text = data
        else:
            if len(data) < 16:
                raise exceptions_module().InvalidTag()
            text, tag = data[:-16], data[-16:]
        first = (j0 & ~0xFFFFFFFF) | ((j0 + 1) & 0xFFFFFFFF)
        out = xor(text, ctr_stream(self._key, first, len(text), 32))
        g.update(aad)
        g.update(out if encrypt else text)
        g.update((len(aad) * 8).to_bytes(8, "big") + (len(text) * 8).to_bytes(8, "big"))
        mac = xor(g.y.to_bytes(16, "big"), ctr_stream(self._key, j0, 16, 32))
        if encrypt:
            return out + mac
        if not _hmac.compare_digest(mac, tag):
            raise exceptions_module().InvalidTag()
        return out

    def encrypt(self, nonce, data, associated_data) -> bytes:
        return self._run(*_aead_args(nonce, data, associated_data), True)

    def decrypt(self, nonce, data, associated_data) -> bytes:
        return self._run(*_aead_args(nonce, data, associated_data), False)


class ChaCha20Poly1305(_AEAD):
    def __init__(self, key) -> None:
        key = buf(key, "key")
        if len(key) != 32:
            raise ValueError("ChaCha20Poly1305 key must be 32 bytes.")
        self._key = key

    @staticmethod
    def generate_key() -> bytes:
        return os.urandom(32)

    def _mac(self, nonce, aad, ct):
        otk = chacha_stream(self._key, 0, nonce, 32)

        def pad(b):
            return b + bytes(-len(b) % 16)
        return poly1305(otk, pad(aad) + pad(ct) + struct.pack("<QQ", len(aad), len(ct)))

    def encrypt(self, nonce, data, associated_data) -> bytes:
        nonce, data, aad = _aead_args(nonce, data, associated_data)
        if len(nonce) != 12:
            raise ValueError("Nonce must be 12 bytes")
        ct = xor(data, chacha_stream(self._key, 1, nonce, len(data)))
        return ct + self._mac(nonce, aad, ct)

    def decrypt(self, nonce, data, associated_data) -> bytes:
        nonce, data, aad = _aead_args(nonce, data, associated_data)
        if len(nonce) != 12:
            raise ValueError("Nonce must be 12 bytes")
        if len(data) < 16:
            raise exceptions_module().InvalidTag()
        ct, tag = data[:-16], data[-16:]
        if not _hmac.compare_digest(self._mac(nonce, aad, ct), tag):
            raise exceptions_module().InvalidTag()
        return xor(ct, chacha_stream(self._key, 1, nonce, len(ct)))


# -- key derivation ----------------------------------------------------------------------
class _KDF:
    _used = False
    _name = "KDF"

    def derive(self, key_material) -> bytes:
        if self._used:
            raise exceptions_module().AlreadyFinalized(f"{self._name} instances can only be used once.")
        self._used = True
        return self._derive(buf(key_material, "key_material"))

    def derive_into(self, key_material, buffer) -> int:
        return _into(self.derive(key_material), buffer)

    def verify(self, key_material, expected_key) -> None:
        if not _hmac.compare_digest(self.derive(key_material), buf(expected_key, "expected_key")):
            raise exceptions_module().InvalidKey("Keys do not match.")


def _opt(value, name):
    return b"" if value is None else buf(value, name)


class PBKDF2HMAC(_KDF):
    _name = "PBKDF2"

    def __init__(self, algorithm, length, salt, iterations, backend=None) -> None:
        _check_hash(algorithm)
        hash_factory(algorithm)
        self._algorithm, self._length, self._salt, self._iterations = algorithm, length, buf(salt, "salt"), iterations

    def _derive(self, key):
        return hashlib.pbkdf2_hmac(_HASHLIB[self._algorithm.name], key, self._salt, self._iterations, self._length)


def _hmac_digest(algorithm, key, data):
    return _hmac.new(key, data, hash_factory(algorithm)).digest()


class HKDFExpand(_KDF):
    _name = "HKDF"

    def __init__(self, algorithm, length, info, backend=None) -> None:
        _check_hash(algorithm)
        hash_factory(algorithm)
        max_length = 255 * algorithm.digest_size
        if length > max_length:
            raise ValueError(f"Cannot derive keys larger than {max_length} octets.")
        if length < 1:
            raise ValueError("length must be greater than 0.")
        self._algorithm, self._length, self._info = algorithm, length, _opt(info, "info")

    def _derive(self, prk):
        out, block, i = b"", b"", 1
        while len(out) < self._length:
            block = _hmac_digest(self._algorithm, prk, block + self._info + bytes([i]))
            out += block
            i += 1
        return out[:self._length]


class HKDF(HKDFExpand):
    def __init__(self, algorithm, length, salt, info, backend=None) -> None:
        super().__init__(algorithm, length, info)
        self._salt = _opt(salt, "salt")

    @staticmethod
    def extract(algorithm, salt, key_material) -> bytes:
        _check_hash(algorithm)
        salt = _opt(salt, "salt") or bytes(algorithm.digest_size)
        return _hmac_digest(algorithm, salt, buf(key_material, "key_material"))

    def _derive(self, key):
        return super()._derive(HKDF.extract(self._algorithm, self._salt, key))


class X963KDF(_KDF):
    _name = "X963KDF"

    def __init__(self, algorithm, length, sharedinfo, backend=None) -> None:
        _check_hash(algorithm)
        self._factory = hash_factory(algorithm)
        self._length, self._info = length, _opt(sharedinfo, "sharedinfo")

    def _derive(self, key):
        out, i = b"", 1
        while len(out) < self._length:
            out += self._factory(key + i.to_bytes(4, "big") + self._info).digest()
            i += 1
        return out[:self._length]


class ConcatKDFHash(_KDF):
    _name = "ConcatKDF"

    def __init__(self, algorithm, length, otherinfo, backend=None) -> None:
        _check_hash(algorithm)
        self._factory = hash_factory(algorithm)
        self._length, self._info = length, _opt(otherinfo, "otherinfo")

    def _derive(self, key):
        out, i = b"", 1
        while len(out) < self._length:
            out += self._factory(i.to_bytes(4, "big") + key + self._info).digest()
            i += 1
        return out[:self._length]


class Scrypt(_KDF):
    _name = "Scrypt"

    def __init__(self, salt, length, n, r, p, backend=None) -> None:
        if n < 2 or n & (n - 1):
            raise ValueError("n must be greater than 1 and be a power of 2.")
        if r < 1:
            raise ValueError("r must be greater than or equal to 1.")
        if p < 1:
            raise ValueError("p must be greater than or equal to 1.")
        self._salt, self._length, self._n, self._r, self._p = buf(salt, "salt"), length, n, r, p

    def _derive(self, key):
        import wasmhost_hashlib  # noqa: PLC0415 - the runtime's scrypt (hashlib's, from OpenSSL, elsewhere)
        return wasmhost_hashlib.scrypt(key, salt=self._salt, n=self._n, r=self._r, p=self._p, dklen=self._length,
                                       maxmem=2 ** 31 - 1)


def derive_pbkdf2_hmac(key_material, algorithm, salt, iterations, length) -> bytes:
    """The functions cryptography 43 to 46 call instead of the classes above."""
    return PBKDF2HMAC(algorithm, length, salt, iterations).derive(key_material)


def derive_scrypt(key_material, salt, n, r, p, max_mem, length) -> bytes:
    return Scrypt(salt, length, n, r, p).derive(key_material)


# -- AES key wrap (RFC 3394, RFC 5649) ---------------------------------------------------
_KW_IV = 0xA6A6A6A6A6A6A6A6


def _wrap(key: AESKey, a: int, blocks: list[bytes]) -> bytes:
    n = len(blocks)
    for j in range(6):
        for i in range(n):
            b = key.encrypt(a.to_bytes(8, "big") + blocks[i])
            a = int.from_bytes(b[:8], "big") ^ (n * j + i + 1)
            blocks[i] = b[8:]
    return a.to_bytes(8, "big") + b"".join(blocks)


def _unwrap(key: AESKey, data: bytes) -> tuple[int, bytes]:
    a = int.from_bytes(data[:8], "big")
    blocks = [data[i:i + 8] for i in range(8, len(data), 8)]
    n = len(blocks)
    for j in range(5, -1, -1):
        for i in range(n - 1, -1, -1):
            b = key.decrypt((a ^ (n * j + i + 1)).to_bytes(8, "big") + blocks[i])
            a = int.from_bytes(b[:8], "big")
            blocks[i] = b[8:]
    return a, b"".join(blocks)


def _kw_key(wrapping_key):
    wrapping_key = buf(wrapping_key, "wrapping_key")
    if len(wrapping_key) not in (16, 24, 32):
        raise ValueError("The wrapping key must be a valid AES key length")
    return AESKey(wrapping_key)


def _invalid_unwrap():
    from cryptography.hazmat.primitives.keywrap import InvalidUnwrap  # noqa: PLC0415
    return InvalidUnwrap()


def aes_key_wrap(wrapping_key, key_to_wrap, backend=None) -> bytes:
    k = _kw_key(wrapping_key)
    key_to_wrap = buf(key_to_wrap, "key_to_wrap")
    if len(key_to_wrap) < 16:
        raise ValueError("The key to wrap must be at least 16 bytes")
    if len(key_to_wrap) % 8:
        raise ValueError("The key to wrap must be a multiple of 8 bytes")
    return _wrap(k, _KW_IV, [key_to_wrap[i:i + 8] for i in range(0, len(key_to_wrap), 8)])


def aes_key_unwrap(wrapping_key, wrapped_key, backend=None) -> bytes:
    k = _kw_key(wrapping_key)
    wrapped_key = buf(wrapped_key, "wrapped_key")
    if len(wrapped_key) < 24:
        raise _invalid_unwrap()
    if len(wrapped_key) % 8:
        raise _invalid_unwrap()
    a, out = _unwrap(k, wrapped_key)
    if a != _KW_IV:
        raise _invalid_unwrap()
    return out


def aes_key_wrap_with_padding(wrapping_key, key_to_wrap, backend=None) -> bytes:
    k = _kw_key(wrapping_key)
    key_to_wrap = buf(key_to_wrap, "key_to_wrap")
    a = (0xA65959A6 << 32) | len(key_to_wrap)
    padded = key_to_wrap + bytes(-len(key_to_wrap) % 8)
    if len(padded) == 8:
        return k.encrypt(a.to_bytes(8, "big") + padded)
    return _wrap(k, a, [padded[i:i + 8] for i in range(0, len(padded), 8)])


def aes_key_unwrap_with_padding(wrapping_key, wrapped_key, backend=None) -> bytes:
    k = _kw_key(wrapping_key)
    wrapped_key = buf(wrapped_key, "wrapped_key")
    if len(wrapped_key) < 16 or len(wrapped_key) % 8:
        raise _invalid_unwrap()
    if len(wrapped_key) == 16:
        b = k.decrypt(wrapped_key)
        a, out = int.from_bytes(b[:8], "big"), b[8:]
    else:
        a, out = _unwrap(k, wrapped_key)
    mli = a & 0xFFFFFFFF
    if a >> 32 != 0xA65959A6 or not len(out) - 8 < mli <= len(out) or any(out[mli:]):
        raise _invalid_unwrap()
    return out[:mli]


openssl.hashes = module("openssl.hashes", Hash=Hash, XOFHash=XOFHash, hash_supported=hash_supported)
openssl.hmac = module("openssl.hmac", HMAC=HMAC)
openssl.ciphers = module("openssl.ciphers", CipherContext=CipherContext, AEADEncryptionContext=AEADEncryptionContext,
                         AEADDecryptionContext=AEADDecryptionContext, create_encryption_ctx=create_encryption_ctx,
                         create_decryption_ctx=create_decryption_ctx, cipher_supported=cipher_supported,
                         _advance=_advance, _advance_aad=_advance_aad)
openssl.aead = module("openssl.aead", AESGCM=AESGCM, ChaCha20Poly1305=ChaCha20Poly1305)
openssl.kdf = module("openssl.kdf", PBKDF2HMAC=PBKDF2HMAC, HKDF=HKDF, HKDFExpand=HKDFExpand, X963KDF=X963KDF,
                     ConcatKDFHash=ConcatKDFHash, Scrypt=Scrypt, derive_pbkdf2_hmac=derive_pbkdf2_hmac,
                     derive_scrypt=derive_scrypt)
openssl.keywrap = module("openssl.keywrap", aes_key_wrap=aes_key_wrap, aes_key_unwrap=aes_key_unwrap,
                         aes_key_wrap_with_padding=aes_key_wrap_with_padding,
                         aes_key_unwrap_with_padding=aes_key_unwrap_with_padding)
openssl.poly1305 = module("openssl.poly1305", Poly1305=Poly1305)
openssl.cmac = module("openssl.cmac")
EXPORTS: dict = {}
