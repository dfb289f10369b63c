"""The base of the cryptography stand-in (see ``wasmhost_cryptography``): the top of ``_rust``
(serialization enums, ``ObjectIdentifier``, block padding, ``exceptions``), the fake
``_openssl`` binding cryptography checks its version against, the ``openssl`` module's own
functions, DER and PEM codecs shared by the key and certificate parts, and the one way
something not stood in for fails: cryptography's own ``UnsupportedAlgorithm``, naming the
sandbox (never an AttributeError from deep inside).

DER is written by hand (a few dozen lines of tag-length-value) because the parts need only
its subset used by keys and certificates, and no pure-Python ASN.1 library is in the runtime.
"""

from __future__ import annotations

import enum
import types

RUST = "cryptography.hazmat.bindings._rust"
SANDBOX = "in wasmhost's WebAssembly sandbox (a pure-Python stand-in for cryptography's native code)"


def exceptions_module():
    import cryptography.exceptions as e  # noqa: PLC0415 - imports this module's _Reasons: not at load
    return e


def unsupported(what: str, reason=None):
    """Raise cryptography's UnsupportedAlgorithm for ``what``, naming the sandbox."""
    e = exceptions_module()
    raise e.UnsupportedAlgorithm(f"{what} is not supported {SANDBOX}",
                                 reason if reason is not None else _Reasons.BACKEND_MISSING_INTERFACE)


def buf(data, name: str = "data") -> bytes:
    """A bytes-like argument as bytes, or the TypeError the native module raises."""
    if isinstance(data, bytes):
        return data
    try:
        return bytes(memoryview(data))
    except TypeError:
        raise TypeError(f"{name} must be bytes-like, not {type(data).__name__}") from None


# what the submodules left to placeholders are, for their errors
ALGORITHMS = {"dsa": "DSA", "dh": "Diffie-Hellman", "ed448": "Ed448", "x448": "X448", "cmac": "CMAC", "hpke": "HPKE",
              "mlkem": "ML-KEM", "mldsa": "ML-DSA", "pkcs7": "PKCS#7 (S/MIME)", "pkcs12": "PKCS#12", "ocsp": "OCSP",
              "x509": "this X.509 operation", "declarative_asn1": "declarative ASN.1"}


def _placeholder(module: str, name: str):
    """What a name ``_rust`` has and this stand-in lacks turns into: a class (the Python
    layer registers them as virtual subclasses at import) or a function, failing on use."""
    where = module.removeprefix(RUST + ".")
    label = ALGORITHMS.get(where.rpartition(".")[2])
    what = f"{label} ({where}.{name})" if label else f"{where}.{name}"
    if name[:1].isupper():
        def new(cls, *args, **kwargs):
            unsupported(what)
        return type(name, (), {"__new__": new, "__module__": module})

    def fn(*args, **kwargs):
        unsupported(what)
    fn.__name__ = name
    return fn


def module(name: str, **attrs) -> types.ModuleType:
    """A submodule of ``_rust`` (``name`` relative to it) holding ``attrs``; any other name
    asked of it is a placeholder failing with UnsupportedAlgorithm on use."""
    full = f"{RUST}.{name}"
    m = types.ModuleType(full)
    m.__dict__.update(attrs)

    def missing(attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        value = _placeholder(full, attr)
        setattr(m, attr, value)
        return value
    m.__getattr__ = missing  # type: ignore[method-assign]
    return m


class _Reasons(enum.Enum):
    BACKEND_MISSING_INTERFACE = 0
    UNSUPPORTED_HASH = 1
    UNSUPPORTED_CIPHER = 2
    UNSUPPORTED_PADDING = 3
    UNSUPPORTED_MGF = 4
    UNSUPPORTED_PUBLIC_KEY_ALGORITHM = 5
    UNSUPPORTED_ELLIPTIC_CURVE = 6
    UNSUPPORTED_SERIALIZATION = 7
    UNSUPPORTED_X509 = 8
    UNSUPPORTED_EXCHANGE_ALGORITHM = 9
    UNSUPPORTED_DIFFIE_HELLMAN = 10
    UNSUPPORTED_MAC = 11


# -- serialization enums (the values cryptography's Python enums had before they moved to Rust) --
class _Enum(enum.Enum):
    def __repr__(self):  # as the native module's: Encoding.PEM
        return f"{type(self).__name__}.{self.name}"

    __str__ = __repr__


class Encoding(_Enum):
    PEM = "PEM"
    DER = "DER"
    OpenSSH = "OpenSSH"
    Raw = "Raw"
    X962 = "ANSI X9.62"
    SMIME = "S/MIME"


class PrivateFormat(_Enum):
    PKCS8 = "PKCS8"
    TraditionalOpenSSL = "TraditionalOpenSSL"
    Raw = "Raw"
    OpenSSH = "OpenSSH"
    PKCS12 = "PKCS12"

    def encryption_builder(self):
        from cryptography.hazmat.primitives._serialization import KeySerializationEncryptionBuilder  # noqa: PLC0415
        if self not in (PrivateFormat.OpenSSH, PrivateFormat.PKCS12):
            raise ValueError("encryption_builder only supported with PrivateFormat.OpenSSH and PrivateFormat.PKCS12")
        return KeySerializationEncryptionBuilder(self)


class PublicFormat(_Enum):
    SubjectPublicKeyInfo = "X.509 subjectPublicKeyInfo with PKCS#1"
    PKCS1 = "Raw PKCS#1"
    OpenSSH = "OpenSSH"
    Raw = "Raw"
    CompressedPoint = "X9.62 Compressed Point"
    UncompressedPoint = "X9.62 Uncompressed Point"


class ParameterFormat(_Enum):
    PKCS3 = "PKCS3"


def as_ours(value, cls):
    """``value`` as a member of this module's ``cls`` (Encoding, ...): before 47, cryptography's
    Python layer had enums of its own, with the same names."""
    if isinstance(value, cls):
        return value
    name = getattr(value, "name", None)
    if type(value).__name__ == cls.__name__ and name in cls.__members__:
        return cls[name]
    return value


class ObjectIdentifier:
    """An ASN.1 object identifier by its dotted string, checked as the native one checks it."""

    __slots__ = ("_dotted",)

    def __init__(self, value: str) -> None:
        parts = value.split(".")
        try:
            nums = [int(p) for p in parts]
        except ValueError:
            raise ValueError(f"Unable to parse OID: {value!r}") from None
        if len(nums) < 2 or nums[0] > 2 or (nums[0] < 2 and nums[1] >= 40) or any(n < 0 for n in nums) or \
                any(p != str(int(p)) for p in parts):
            raise ValueError(f"Unable to parse OID: {value!r}")
        self._dotted = value

    @property
    def dotted_string(self) -> str:
        return self._dotted

    @property
    def _name(self) -> str:
        from cryptography.hazmat._oid import _OID_NAMES  # noqa: PLC0415
        return _OID_NAMES.get(self, "Unknown OID")

    def __eq__(self, other):
        if not isinstance(other, ObjectIdentifier):
            return NotImplemented
        return self._dotted == other._dotted

    def __hash__(self):
        return hash(self._dotted)

    def __repr__(self):
        return f"<ObjectIdentifier(oid={self._dotted}, name={self._name})>"


# -- block padding -----------------------------------------------------------------------
class _Padding:
    def __init__(self, block_size: int) -> None:
        self._size = block_size // 8
        self._buffer: bytes | None = b""

    def _add(self, data) -> bytes:
        """The data held so far with ``data`` added."""
        if self._buffer is None:
            raise exceptions_module().AlreadyFinalized("Context was already finalized.")
        return self._buffer + buf(data)

    def _rest(self) -> bytes:
        rest = self._add(b"")
        self._buffer = None
        return rest


class _Padder(_Padding):
    def update(self, data) -> bytes:
        held = self._add(data)
        cut = len(held) - len(held) % self._size
        out, self._buffer = held[:cut], held[cut:]
        return out

    def finalize(self) -> bytes:
        rest = self._rest()
        return rest + self._pad(self._size - len(rest))


class _Unpadder(_Padding):
    def update(self, data) -> bytes:
        held = self._add(data)  # the last whole block is kept: it holds the padding
        cut = max(0, (len(held) - 1) // self._size * self._size)
        out, self._buffer = held[:cut], held[cut:]
        return out

    def finalize(self) -> bytes:
        block = self._rest()
        n = block[-1] if len(block) == self._size else 0
        if not 0 < n <= self._size or not self._valid(block, n):
            raise ValueError("Invalid padding bytes.")
        return block[:-n]


class PKCS7PaddingContext(_Padder):
    @staticmethod
    def _pad(n):
        return bytes([n]) * n


class ANSIX923PaddingContext(_Padder):
    @staticmethod
    def _pad(n):
        return bytes(n - 1) + bytes([n])


class PKCS7UnpaddingContext(_Unpadder):
    @staticmethod
    def _valid(block, n):
        return block[-n:] == bytes([n]) * n


class ANSIX923UnpaddingContext(_Unpadder):
    @staticmethod
    def _valid(block, n):
        return block[-n:-1] == bytes(n - 1)


def check_ansix923_padding(data) -> bool:
    """The last block's ANSI X9.23 padding is well formed (cryptography 43 to 46 unpad in Python)."""
    data = buf(data)
    n = data[-1] if data else 0
    return 0 < n <= len(data) and not any(data[len(data) - n:-1])


def check_pkcs7_padding(data) -> bool:
    data = buf(data)
    n = data[-1] if data else 0
    return 0 < n <= len(data) and data[len(data) - n:] == bytes([n]) * n


# -- DER ---------------------------------------------------------------------------------
SEQUENCE, SET, INTEGER, BIT_STRING, OCTET_STRING, NULL, OID, BOOLEAN = 0x30, 0x31, 0x02, 0x03, 0x04, 0x05, 0x06, 0x01


def der_read(data: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """(tag, content, end) of the element at ``pos``; ValueError when malformed."""
    try:
        tag = data[pos]
        if tag & 0x1F == 0x1F:
            raise ValueError("high tag numbers are not used here")
        n = data[pos + 1]
        pos += 2
        if n & 0x80:
            k = n & 0x7F
            if not 0 < k <= 4:
                raise ValueError("bad length")
            n = int.from_bytes(data[pos:pos + k], "big")
            pos += k
        end = pos + n
        if end > len(data):
            raise ValueError("truncated")
        return tag, data[pos:end], end
    except IndexError:
        raise ValueError("truncated") from None


def der_items(content: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) elements of a constructed value's content."""
    out, pos = [], 0
    while pos < len(content):
        tag, body, pos = der_read(content, pos)
        out.append((tag, body))
    return out


def der_one(data: bytes, tag: int) -> bytes:
    """The content of ``data``, a single element of ``tag`` with nothing after it."""
    got, body, end = der_read(data)
    if got != tag or end != len(data):
        raise ValueError("unexpected DER")
    return body


def der_element(data: bytes, pos: int = 0) -> tuple[bytes, int]:
    """The whole encoding (header included) of the element at ``pos``, and its end."""
    _, _, end = der_read(data, pos)
    return data[pos:end], end


def der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def seq(*parts: bytes) -> bytes:
    return der(SEQUENCE, b"".join(parts))


def der_int(n: int) -> bytes:
    return der(INTEGER, n.to_bytes(n.bit_length() // 8 + 1, "big", signed=True))


def int_of(content: bytes) -> int:
    return int.from_bytes(content, "big", signed=True)


def der_oid(dotted: str) -> bytes:
    nums = [int(p) for p in dotted.split(".")]
    out = bytearray()
    for n in [nums[0] * 40 + nums[1]] + nums[2:]:
        chunk = [n & 0x7F]
        n >>= 7
        while n:
            chunk.append(0x80 | (n & 0x7F))
            n >>= 7
        out += bytes(reversed(chunk))
    return der(OID, bytes(out))


def oid_of(content: bytes) -> str:
    nums, n = [], 0
    for b in content:
        n = (n << 7) | (b & 0x7F)
        if not b & 0x80:
            nums.append(n)
            n = 0
    if not nums:
        raise ValueError("empty OID")
    first = min(nums[0] // 40, 2)
    return ".".join(map(str, [first, nums[0] - 40 * first] + nums[1:]))


def bits(data: bytes) -> bytes:
    return der(BIT_STRING, b"\0" + data)


def bits_of(content: bytes) -> bytes:
    if not content or content[0] != 0:
        raise ValueError("unexpected unused bits")
    return content[1:]


# -- PEM ---------------------------------------------------------------------------------
def pem_blocks(data: bytes) -> list[tuple[str, bytes, dict]]:
    """The PEM blocks in ``data``: (label, DER, headers such as Proc-Type/DEK-Info)."""
    import binascii  # noqa: PLC0415
    out = []
    text = data.decode("ascii", "replace")
    pos = 0
    while True:
        start = text.find("-----BEGIN ", pos)
        if start < 0:
            return out
        head_end = text.find("-----", start + 11)
        if head_end < 0:
            return out
        label = text[start + 11:head_end]
        end_marker = f"-----END {label}-----"
        end = text.find(end_marker, head_end)
        if end < 0:
            return out
        body = text[head_end + 5:end]
        headers = {}
        if ":" in body:
            lines = body.strip().splitlines()
            while lines and ":" in lines[0]:
                k, v = lines.pop(0).split(":", 1)
                headers[k.strip()] = v.strip()
            body = "\n".join(lines)
        try:
            der_bytes = binascii.a2b_base64("".join(body.split()).encode())
        except binascii.Error:
            der_bytes = b""
        out.append((label, der_bytes, headers))
        pos = end + len(end_marker)


def pem(label: str, der_bytes: bytes) -> bytes:
    import base64  # noqa: PLC0415
    b64 = base64.b64encode(der_bytes).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return (f"-----BEGIN {label}-----\n" + "".join(line + "\n" for line in lines) + f"-----END {label}-----\n").encode()


# -- asn1 ---------------------------------------------------------------------------------
def decode_dss_signature(signature) -> tuple[int, int]:
    try:
        items = der_items(der_one(buf(signature, "signature"), SEQUENCE))
        if len(items) != 2 or any(t != INTEGER for t, _ in items):
            raise ValueError
        return int_of(items[0][1]), int_of(items[1][1])
    except ValueError:
        raise ValueError("Error parsing ASN.1") from None


def encode_dss_signature(r: int, s: int) -> bytes:
    return seq(der_int(r), der_int(s))


def parse_spki_for_data(data) -> bytes:
    try:
        items = der_items(der_one(buf(data), SEQUENCE))
        if len(items) != 2 or items[1][0] != BIT_STRING:
            raise ValueError
        return bits_of(items[1][1])
    except ValueError:
        raise ValueError("Invalid public key encoding") from None


# -- the OpenSSL binding cryptography's Python checks at import ---------------------------
OPENSSL_VERSION = 0x30500000
OPENSSL_VERSION_TEXT = "wasmhost pure-Python stand-in (no OpenSSL)"


def _no_openssl(name: str) -> AttributeError:
    return AttributeError(f"OpenSSL's {name} is not available {SANDBOX}: code that calls OpenSSL directly "
                          "(pyOpenSSL) cannot run there")


class _FFI:
    """``_openssl.ffi``: what cryptography's own Python asks of it; anything else (pyOpenSSL's
    allocators, casts) fails naming the sandbox."""

    NULL = None

    @staticmethod
    def string(value):
        return value

    def __getattr__(self, name):
        raise _no_openssl(f"cffi {name}")


class _Lib:
    """``_openssl.lib``: just enough for cryptography's own import-time checks; any OpenSSL
    function asked of it (pyOpenSSL's) fails naming the sandbox."""

    OpenSSL_version_num = staticmethod(lambda: OPENSSL_VERSION)

    @property
    def CRYPTOGRAPHY_PACKAGE_VERSION(self):
        import cryptography  # noqa: PLC0415
        return cryptography.__version__.encode("ascii")

    def __dir__(self):
        """As a cffi library's: its C names, which cryptography's ``Binding`` copies into a
        module of its own — and ``__getattr__``, so that module's missing names still fail
        with this class's message (pyOpenSSL asks it for OpenSSL's functions on import)."""
        return ["OpenSSL_version_num", "CRYPTOGRAPHY_PACKAGE_VERSION", "EVP_get_digestbyname", "__getattr__"]

    @staticmethod
    def EVP_get_digestbyname(name: bytes):
        """What cryptography 43's ``hash_supported`` asks: a digest by OpenSSL's name, or NULL."""
        import hashlib  # noqa: PLC0415
        text = name.decode("ascii").lower()
        text = {"blake2b512": "blake2b", "blake2s256": "blake2s"}.get(text, text.replace("-", "_"))
        return text if text in hashlib.algorithms_available else None

    def __getattr__(self, name):
        if name.startswith("Cryptography_HAS_") or name.startswith("CRYPTOGRAPHY_"):
            return False
        raise _no_openssl(name)


def _raise_openssl_error():
    raise exceptions_module().InternalError("no OpenSSL error (wasmhost's stand-in)", [])


def _enable_fips(providers):
    unsupported("FIPS mode")


openssl = module("openssl", openssl_version=lambda: OPENSSL_VERSION, openssl_version_text=lambda: OPENSSL_VERSION_TEXT,
                 raise_openssl_error=_raise_openssl_error, capture_error_stack=lambda: [],
                 is_fips_enabled=lambda: False, enable_fips=_enable_fips, _legacy_provider_loaded=False,
                 _providers=None, CRYPTOGRAPHY_IS_LIBRESSL=False, CRYPTOGRAPHY_IS_BORINGSSL=False,
                 CRYPTOGRAPHY_IS_AWSLC=False, CRYPTOGRAPHY_OPENSSL_309_OR_GREATER=True,
                 CRYPTOGRAPHY_OPENSSL_320_OR_GREATER=True, CRYPTOGRAPHY_OPENSSL_330_OR_GREATER=True,
                 CRYPTOGRAPHY_OPENSSL_350_OR_GREATER=False)

# the submodules of ``openssl``, each failing on use until a part defines it
for _name in ("aead", "ciphers", "cmac", "dh", "dsa", "ec", "ed25519", "ed448", "hashes", "hmac", "hpke", "kdf", "keys",
              "keywrap", "mldsa", "mlkem", "poly1305", "rsa", "x25519", "x448"):
    setattr(openssl, _name, module("openssl." + _name))

EXPORTS = {
    "Encoding": Encoding, "PrivateFormat": PrivateFormat, "PublicFormat": PublicFormat,
    "ParameterFormat": ParameterFormat, "ObjectIdentifier": ObjectIdentifier,
    "PKCS7PaddingContext": PKCS7PaddingContext, "PKCS7UnpaddingContext": PKCS7UnpaddingContext,
    "ANSIX923PaddingContext": ANSIX923PaddingContext, "ANSIX923UnpaddingContext": ANSIX923UnpaddingContext,
    "check_ansix923_padding": check_ansix923_padding, "check_pkcs7_padding": check_pkcs7_padding,
    "openssl": openssl,
    "exceptions": module("exceptions", _Reasons=_Reasons),
    "_openssl": module("_openssl", ffi=_FFI(), lib=_Lib()),
    "asn1": module("asn1", decode_dss_signature=decode_dss_signature, encode_dss_signature=encode_dss_signature,
                   parse_spki_for_data=parse_spki_for_data),
    **{name: module(name) for name in ("ocsp", "pkcs7", "pkcs12", "cobblestone", "test_support", "declarative_asn1")},
}
