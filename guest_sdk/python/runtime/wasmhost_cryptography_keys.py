"""Key formats for the cryptography stand-in (see ``wasmhost_cryptography``): loading and
writing private and public keys as PEM or DER — PKCS#8 (plain, and encrypted with PBES2:
PBKDF2 or scrypt, AES-CBC), SubjectPublicKeyInfo, PKCS#1 and SEC1 ("traditional", with
OpenSSL's PEM encryption), raw bytes — and OpenSSH through cryptography's own ``ssh``
module, as the native module does.

The key classes (``wasmhost_cryptography_rsa``, ``_ec``) give this module their parts
(``_algorithm``, ``_pkcs8_key``, ``_traditional``, ``_spki_key``); the loaders here hand
the decoded numbers back to those modules' constructors (``from_pkcs8``, ``from_spki``).
"""

from __future__ import annotations

import os

from wasmhost_cryptography_core import (BIT_STRING, INTEGER, OCTET_STRING, OID, SEQUENCE, Encoding, PKCS7PaddingContext,
                                        PKCS7UnpaddingContext, PrivateFormat, PublicFormat, _Reasons, as_ours, bits,
                                        bits_of, buf, der, der_int, der_items, der_oid, der_one, int_of, module, oid_of,
                                        openssl, pem, pem_blocks, seq, unsupported)

RSA, RSA_PSS, EC, ED25519, X25519 = ("1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10", "1.2.840.10045.2.1",
                                     "1.3.101.112", "1.3.101.110")
PBES2, PBKDF2, SCRYPT = "1.2.840.113549.1.5.13", "1.2.840.113549.1.5.12", "1.3.6.1.4.1.11591.4.11"
AES_CBC = {"2.16.840.1.101.3.4.1.2": 16, "2.16.840.1.101.3.4.1.22": 24, "2.16.840.1.101.3.4.1.42": 32}
HMAC_PRF = {"1.2.840.113549.2.7": "sha1", "1.2.840.113549.2.8": "sha224", "1.2.840.113549.2.9": "sha256",
            "1.2.840.113549.2.10": "sha384", "1.2.840.113549.2.11": "sha512"}
WRONG_PASSWORD = "Incorrect password, could not decrypt key"
NO_PEM = ("Unable to load PEM file. See https://cryptography.io/en/latest/faq/#why-can-t-i-import-my-pem-file "
          "for more details.")
BAD_KEY = ("Could not deserialize key data. The data may be in an incorrect format, the provided password may be "
           "incorrect, it may be encrypted with an unsupported algorithm, or it may be an unsupported key type "
           "(e.g. EC curves with explicit parameters).")


def _algorithms():
    """The key modules by the OID of their algorithm."""
    import wasmhost_cryptography_ec as ec  # noqa: PLC0415 - loaded after this part
    import wasmhost_cryptography_rsa as rsa  # noqa: PLC0415
    return {RSA: rsa, RSA_PSS: rsa, EC: ec, ED25519: ec, X25519: ec}


def _module_for(oid: str):
    found = _algorithms().get(oid)
    if found is None:
        unsupported(f"a key of algorithm {oid}", _Reasons.UNSUPPORTED_PUBLIC_KEY_ALGORITHM)
    return found


# -- AES-CBC, for encrypted keys --------------------------------------------------------
def _cbc(key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
    """AES-CBC with PKCS#7 padding, as PBES2 and OpenSSL's PEM encryption use it."""
    from cryptography.hazmat.primitives.ciphers import algorithms, modes  # noqa: PLC0415
    from wasmhost_cryptography_sym import CipherContext  # noqa: PLC0415
    ctx = CipherContext(algorithms.AES(key), modes.CBC(iv), encrypt)
    if encrypt:
        padder = PKCS7PaddingContext(128)
        return ctx.update(padder.update(data) + padder.finalize()) + ctx.finalize()
    try:
        unpadder = PKCS7UnpaddingContext(128)
        return unpadder.update(ctx.update(data) + ctx.finalize()) + unpadder.finalize()
    except ValueError:
        raise ValueError(WRONG_PASSWORD) from None


# -- PKCS#8 ------------------------------------------------------------------------------
def _pbes2_decrypt(params: bytes, data: bytes, password: bytes) -> bytes:
    import hashlib  # noqa: PLC0415
    kdf, scheme = der_items(params)
    kdf_oid, kdf_params = der_items(kdf[1])
    scheme_oid, iv = der_items(scheme[1])
    key_len = AES_CBC.get(oid_of(scheme_oid[1]))
    if key_len is None:
        unsupported("a key encrypted with that cipher", _Reasons.UNSUPPORTED_SERIALIZATION)
    fields = der_items(kdf_params[1])
    if oid_of(kdf_oid[1]) == PBKDF2:
        prf = "sha1"
        for tag, body in fields[2:]:
            if tag == SEQUENCE:
                prf = HMAC_PRF.get(oid_of(der_items(body)[0][1]), "")
        if not prf:
            unsupported("a key encrypted with that PBKDF2 hash", _Reasons.UNSUPPORTED_SERIALIZATION)
        key = hashlib.pbkdf2_hmac(prf, password, fields[0][1], int_of(fields[1][1]), key_len)
    elif oid_of(kdf_oid[1]) == SCRYPT:
        salt, n, r, p = fields[0][1], *(int_of(f[1]) for f in fields[1:4])
        key = hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=key_len, maxmem=2 ** 31 - 1)
    else:
        unsupported("a key encrypted with that key derivation", _Reasons.UNSUPPORTED_SERIALIZATION)
    return _cbc(key, iv[1], data, False)


def _pbes2_encrypt(data: bytes, password: bytes, rounds: int | None) -> bytes:
    import hashlib  # noqa: PLC0415
    salt, iv, rounds = os.urandom(16), os.urandom(16), rounds or 2048
    key = hashlib.pbkdf2_hmac("sha256", password, salt, rounds, 32)
    kdf = seq(der_oid(PBKDF2), seq(der(OCTET_STRING, salt), der_int(rounds), seq(der_oid("1.2.840.113549.2.9"),
                                                                                   der(0x05, b""))))
    scheme = seq(der_oid("2.16.840.1.101.3.4.1.42"), der(OCTET_STRING, iv))
    return seq(seq(der_oid(PBES2), seq(kdf, scheme)), der(OCTET_STRING, _cbc(key, iv, data, True)))


def _from_pkcs8(data: bytes, skip_validation: bool = False):
    items = der_items(der_one(data, SEQUENCE))
    if len(items) < 3 or items[0][0] != INTEGER or items[1][0] != SEQUENCE or items[2][0] != OCTET_STRING:
        raise ValueError(BAD_KEY)
    alg = der_items(items[1][1])
    oid = oid_of(alg[0][1])
    params = alg[1] if len(alg) > 1 else None
    return _module_for(oid).from_pkcs8(oid, params, items[2][1], skip_validation)


def _from_encrypted_pkcs8(data: bytes, password: bytes | None):
    items = der_items(der_one(data, SEQUENCE))
    if len(items) != 2 or items[0][0] != SEQUENCE or items[1][0] != OCTET_STRING:
        raise ValueError(BAD_KEY)
    if password is None:
        raise TypeError("Password was not given but private key is encrypted")
    alg = der_items(items[0][1])
    if oid_of(alg[0][1]) != PBES2:
        unsupported("a PKCS#8 key encrypted with PBES1 (use PBES2, OpenSSL's default)",
                    _Reasons.UNSUPPORTED_SERIALIZATION)
    try:
        return _pbes2_decrypt(alg[1][1], items[1][1], password)
    except (ValueError, IndexError):
        raise ValueError(WRONG_PASSWORD) from None


# -- loading -----------------------------------------------------------------------------
def _password(password) -> bytes | None:
    if password is None:
        return None
    if not isinstance(password, (bytes, bytearray, memoryview)):
        raise TypeError("password data must be bytes")
    return bytes(password)


def _evp_bytes_to_key(password: bytes, salt: bytes, n: int) -> bytes:
    """OpenSSL's legacy PEM key derivation (one MD5 round), for "Proc-Type: 4,ENCRYPTED"."""
    import hashlib  # noqa: PLC0415
    out, block = b"", b""
    while len(out) < n:
        block = hashlib.md5(block + password + salt).digest()
        out += block
    return out[:n]


def _pem_decrypt(body: bytes, headers: dict, password: bytes | None) -> bytes:
    cipher, _, iv_hex = headers.get("DEK-Info", "").partition(",")
    if password is None:
        raise TypeError("Password was not given but private key is encrypted")
    sizes = {"AES-128-CBC": 16, "AES-192-CBC": 24, "AES-256-CBC": 32}
    if cipher.upper() not in sizes:
        unsupported(f"a PEM key encrypted with {cipher or 'an unnamed cipher'}", _Reasons.UNSUPPORTED_SERIALIZATION)
    iv = bytes.fromhex(iv_hex.strip())
    try:
        return _cbc(_evp_bytes_to_key(password, iv[:8], sizes[cipher.upper()]), iv, body, False)
    except ValueError:
        raise ValueError(WRONG_PASSWORD) from None


def _private_from_der(data: bytes, password: bytes | None, skip: bool, label: str | None = None):
    """A private key from DER: PKCS#8 (plain or encrypted) or a traditional form."""
    encrypted = label == "ENCRYPTED PRIVATE KEY"
    if label is None:  # DER: which form, from its structure
        try:
            items = der_items(der_one(data, SEQUENCE))
        except ValueError:
            raise ValueError(BAD_KEY) from None
        encrypted = len(items) == 2 and items[0][0] == SEQUENCE
    if encrypted:
        data = _from_encrypted_pkcs8(data, password)
    elif password is not None:
        raise TypeError("Password was given but private key is not encrypted.")
    try:
        if label in (None, "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"):
            try:
                return _from_pkcs8(data, skip)
            except ValueError:
                if label is not None:
                    raise
        for name, oid in (("RSA PRIVATE KEY", RSA), ("EC PRIVATE KEY", EC)):
            if label in (None, name):
                try:
                    return _module_for(oid).from_traditional(data, skip)
                except ValueError:
                    if label is not None:
                        raise
    except (ValueError, IndexError):
        raise ValueError(BAD_KEY) from None
    if label == "DSA PRIVATE KEY":
        unsupported("DSA", _Reasons.UNSUPPORTED_PUBLIC_KEY_ALGORITHM)
    raise ValueError(BAD_KEY)


def load_der_private_key(data, password, backend=None, *, unsafe_skip_rsa_key_validation=False):
    return _private_from_der(buf(data), _password(password), unsafe_skip_rsa_key_validation)


def _pem(data, kinds) -> tuple[str, bytes, dict]:
    for label, body, headers in pem_blocks(buf(data)):
        if label in kinds:
            return label, body, headers
    raise ValueError(f"{NO_PEM} (no {' or '.join(sorted(kinds))} block)")


def load_pem_private_key(data, password, backend=None, *, unsafe_skip_rsa_key_validation=False):
    password = _password(password)
    label, body, headers = _pem(data, {"PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY",
                                       "DSA PRIVATE KEY"})
    if "ENCRYPTED" in headers.get("Proc-Type", ""):
        body = _pem_decrypt(body, headers, password)
        password = None
    return _private_from_der(body, password, unsafe_skip_rsa_key_validation, label)


def public_from_spki(data: bytes):
    try:
        items = der_items(der_one(data, SEQUENCE))
        if len(items) != 2 or items[0][0] != SEQUENCE or items[1][0] != BIT_STRING:
            raise ValueError
        alg = der_items(items[0][1])
        oid = oid_of(alg[0][1]) if alg and alg[0][0] == OID else ""
    except (ValueError, IndexError):
        raise ValueError("Could not deserialize key data. The data may be in an incorrect format or it may be "
                         "an unsupported key type.") from None
    return _module_for(oid).from_spki(oid, alg[1] if len(alg) > 1 else None, bits_of(items[1][1]))


def load_der_public_key(data, backend=None):
    data = buf(data)
    try:
        return public_from_spki(data)
    except ValueError:
        import wasmhost_cryptography_rsa as rsa  # noqa: PLC0415
        try:
            return rsa.from_pkcs1_public(data)
        except (ValueError, IndexError):
            raise ValueError("Could not deserialize key data. The data may be in an incorrect format or it may be "
                             "an unsupported key type.") from None


def load_pem_public_key(data, backend=None):
    label, body, _ = _pem(data, {"PUBLIC KEY", "RSA PUBLIC KEY"})
    if label == "RSA PUBLIC KEY":
        import wasmhost_cryptography_rsa as rsa  # noqa: PLC0415
        return rsa.from_pkcs1_public(body)
    return public_from_spki(body)


# -- writing -----------------------------------------------------------------------------
def _serialization():
    from cryptography.hazmat.primitives import _serialization as s  # noqa: PLC0415
    return s


def private_bytes(key, encoding, format, encryption_algorithm) -> bytes:
    """``key.private_bytes(...)`` for every key class here, with the native module's checks."""
    s = _serialization()
    encoding, format = as_ours(encoding, Encoding), as_ours(format, PrivateFormat)
    if not isinstance(encoding, Encoding):
        raise TypeError("encoding must be an item from the Encoding enum")
    if not isinstance(format, PrivateFormat):
        raise TypeError("format must be an item from the PrivateFormat enum")
    if not isinstance(encryption_algorithm, s.KeySerializationEncryption):
        raise TypeError("Encryption algorithm must be a KeySerializationEncryption instance")
    password, rounds = b"", None
    if isinstance(encryption_algorithm, s.BestAvailableEncryption):
        password = encryption_algorithm.password
    elif isinstance(encryption_algorithm, s._KeySerializationEncryption):
        if encryption_algorithm._format is not format:
            raise ValueError("Unsupported encryption type")
        password, rounds = encryption_algorithm.password, encryption_algorithm._kdf_rounds
    elif not isinstance(encryption_algorithm, s.NoEncryption):
        raise ValueError("Unsupported encryption type")
    raw = getattr(key, "_raw_private", None)
    if raw is not None and (encoding is Encoding.Raw or format is PrivateFormat.Raw):
        if encoding is not Encoding.Raw or format is not PrivateFormat.Raw or password:
            raise ValueError("When using Raw both encoding and format must be Raw and encryption_algorithm must be "
                             "NoEncryption()")
        return raw()
    if format is PrivateFormat.Raw:
        raise ValueError("format is invalid with this key")
    if format is PrivateFormat.OpenSSH:
        if encoding is not Encoding.PEM:
            raise ValueError("OpenSSH private key format can only be used with PEM encoding")
        from cryptography.hazmat.primitives.serialization import ssh  # noqa: PLC0415
        blob = ssh._serialize_ssh_private_key(key, password, encryption_algorithm)
        return blob if blob.startswith(b"-----") else pem("OPENSSH PRIVATE KEY", blob)  # PEM already before 50
    if encoding not in (Encoding.PEM, Encoding.DER):
        raise TypeError("encoding must be Encoding.DER or Encoding.PEM")
    if format is PrivateFormat.PKCS8:
        body = seq(der_int(0), key._algorithm(), der(OCTET_STRING, key._pkcs8_key()))
        label = "PRIVATE KEY"
        if password:
            body, label = _pbes2_encrypt(body, password, rounds), "ENCRYPTED PRIVATE KEY"
        return pem(label, body) if encoding is Encoding.PEM else body
    if format is PrivateFormat.TraditionalOpenSSL:
        traditional = getattr(key, "_traditional", None)
        if traditional is None:
            raise ValueError("format is invalid with this key")
        label, body = traditional()
        if not password:
            return pem(label, body) if encoding is Encoding.PEM else body
        if encoding is Encoding.DER:
            raise ValueError("Encryption is not supported for DER encoded traditional OpenSSL keys")
        iv = os.urandom(16)
        text = pem(label, _cbc(_evp_bytes_to_key(password, iv[:8], 32), iv, body, True)).decode()
        head, _, rest = text.partition("\n")
        return f"{head}\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,{iv.hex().upper()}\n\n{rest}".encode()
    unsupported(f"private key format {format.name}", _Reasons.UNSUPPORTED_SERIALIZATION)
    return b""


def spki(key) -> bytes:
    return seq(key._algorithm(), bits(key._spki_key()))


def public_bytes(key, encoding, format) -> bytes:
    """``key.public_bytes(...)`` for every key class here, with the native module's checks."""
    encoding, format = as_ours(encoding, Encoding), as_ours(format, PublicFormat)
    if not isinstance(encoding, Encoding):
        raise TypeError("encoding must be an item from the Encoding enum")
    if not isinstance(format, PublicFormat):
        raise TypeError("format must be an item from the PublicFormat enum")
    if format is PublicFormat.OpenSSH or encoding is Encoding.OpenSSH:
        if format is not PublicFormat.OpenSSH or encoding is not Encoding.OpenSSH:
            raise ValueError("OpenSSH format must be used with OpenSSH encoding")
        from cryptography.hazmat.primitives.serialization import ssh  # noqa: PLC0415
        return ssh.serialize_ssh_public_key(key)
    special = getattr(key, "_public_format", None)  # Raw, PKCS1, X9.62 points
    if format not in (PublicFormat.SubjectPublicKeyInfo,) or encoding not in (Encoding.PEM, Encoding.DER):
        if special is None:
            raise ValueError("format is invalid with this key")
        return special(encoding, format)
    body = spki(key)
    return pem("PUBLIC KEY", body) if encoding is Encoding.PEM else body


class Key:
    """What every key class here shares: keys are immutable, so a copy is the key itself
    (as the native module's)."""

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


class PublicKey(Key):
    def public_bytes(self, encoding, format) -> bytes:
        return public_bytes(self, encoding, format)


class PrivateKey(Key):
    def private_bytes(self, encoding, format, encryption_algorithm) -> bytes:
        return private_bytes(self, encoding, format, encryption_algorithm)


openssl.keys = module("openssl.keys", load_der_private_key=load_der_private_key,
                      load_pem_private_key=load_pem_private_key, load_der_public_key=load_der_public_key,
                      load_pem_public_key=load_pem_public_key)
EXPORTS: dict = {}
