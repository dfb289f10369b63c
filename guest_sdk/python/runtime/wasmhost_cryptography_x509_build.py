"""Building X.509 certificates for the cryptography stand-in (see ``wasmhost_cryptography``):
``CertificateBuilder.sign`` and ``ExtensionType.public_bytes`` — the certificate's DER
written as the native module writes it (byte for byte, so a deterministic signature gives
the same certificate), the common extensions encoded (those ``_x509`` decodes), signed with
an RSA (PKCS#1 v1.5 or PSS), EC or Ed25519 key. Any other extension fails naming itself and
the sandbox.
"""

from __future__ import annotations

import datetime
import ipaddress

from wasmhost_cryptography_core import (BIT_STRING, BOOLEAN, NULL, OCTET_STRING, _Reasons, bits, der,
                                        der_int, der_oid, seq, unsupported)
from wasmhost_cryptography_keys import spki
import wasmhost_cryptography_x509 as x509_part
from wasmhost_cryptography_x509 import HASH_OIDS, RSA_PSS, SIGNATURE_HASHES, Certificate, _x509, encode_name_bytes

SIGNATURE_OIDS = {(kind, name): oid for oid, name in SIGNATURE_HASHES.items() if name
                  for kind in (("rsa",) if oid.startswith("1.2.840.113549") else ("ec",))}
HASH_OID_BY_NAME = {name: oid for oid, name in HASH_OIDS.items()}


# -- general names and extensions -----------------------------------------------------------
def _general_name(name) -> bytes:
    x = _x509()
    if isinstance(name, x.DNSName):
        return der(0x82, name.value.encode("ascii"))
    if isinstance(name, x.RFC822Name):
        return der(0x81, name.value.encode("ascii"))
    if isinstance(name, x.UniformResourceIdentifier):
        return der(0x86, name.value.encode("ascii"))
    if isinstance(name, x.IPAddress):
        value = name.value
        if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            return der(0x87, value.network_address.packed + value.netmask.packed)
        return der(0x87, value.packed)
    if isinstance(name, x.DirectoryName):
        return der(0xA4, encode_name_bytes(name.value))
    if isinstance(name, x.RegisteredID):
        return der(0x88, der_oid(name.value.dotted_string)[2:])
    if isinstance(name, x.OtherName):
        return der(0xA0, der_oid(name.type_id.dotted_string) + der(0xA0, name.value))
    unsupported(f"the general name {type(name).__name__}", _Reasons.UNSUPPORTED_X509)
    return b""


def _general_names(names) -> bytes:
    return b"".join(_general_name(n) for n in names)


def _key_usage(ku) -> bytes:
    flags = [ku.digital_signature, ku.content_commitment, ku.key_encipherment, ku.data_encipherment,
             ku.key_agreement, ku.key_cert_sign, ku.crl_sign]
    flags += [ku.encipher_only, ku.decipher_only] if ku.key_agreement else [False, False]
    value = sum(1 << (15 - i) for i, on in enumerate(flags) if on)  # bit i of the string: 1 << (15 - i)
    if not value:
        return der(BIT_STRING, b"\0")
    used = 16 - ((value & -value).bit_length() - 1)  # DER: no trailing zero bits
    size = (used + 7) // 8
    return der(BIT_STRING, bytes([size * 8 - used]) + (value >> (16 - 8 * size)).to_bytes(size, "big"))


def _policies(policies) -> bytes:
    x = _x509()
    out = []
    for info in policies:
        parts = [der_oid(info.policy_identifier.dotted_string)]
        if info.policy_qualifiers:
            qualifiers = []
            for q in info.policy_qualifiers:
                if isinstance(q, str):
                    qualifiers.append(seq(der_oid("1.3.6.1.5.5.7.2.1"), der(0x16, q.encode("ascii"))))
                elif isinstance(q, x.UserNotice) and q.notice_reference is None:
                    text = [der(0x0C, q.explicit_text.encode())] if q.explicit_text is not None else []
                    qualifiers.append(seq(der_oid("1.3.6.1.5.5.7.2.2"), seq(*text)))
                else:
                    unsupported("a policy qualifier with a notice reference", _Reasons.UNSUPPORTED_X509)
            parts.append(seq(*qualifiers))
        out.append(seq(*parts))
    return seq(*out)


def encode_extension_value(value) -> bytes:
    """An extension's DER value (the content of its OCTET STRING)."""
    x = _x509()
    if isinstance(value, x.UnrecognizedExtension):
        return value.value
    if isinstance(value, x.BasicConstraints):
        parts = [der(BOOLEAN, b"\xff")] if value.ca else []
        if value.path_length is not None:
            parts.append(der_int(value.path_length))
        return seq(*parts)
    if isinstance(value, x.KeyUsage):
        return _key_usage(value)
    if isinstance(value, x.ExtendedKeyUsage):
        return seq(*(der_oid(oid.dotted_string) for oid in value))
    if isinstance(value, (x.SubjectAlternativeName, x.IssuerAlternativeName)):
        return seq(_general_names(value))
    if isinstance(value, x.SubjectKeyIdentifier):
        return der(OCTET_STRING, value.digest)
    if isinstance(value, x.AuthorityKeyIdentifier):
        parts = [] if value.key_identifier is None else [der(0x80, value.key_identifier)]
        if value.authority_cert_issuer is not None:
            parts.append(der(0xA1, _general_names(value.authority_cert_issuer)))
        if value.authority_cert_serial_number is not None:
            parts.append(der(0x82, der_int(value.authority_cert_serial_number)[2:]))
        return seq(*parts)
    if isinstance(value, x.AuthorityInformationAccess):
        return seq(*(seq(der_oid(d.access_method.dotted_string), _general_name(d.access_location)) for d in value))
    if isinstance(value, x.CRLDistributionPoints):
        points = []
        for p in value:
            if p.relative_name is not None or p.reasons is not None:
                unsupported("a CRL distribution point with a relative name or reasons", _Reasons.UNSUPPORTED_X509)
            parts = [der(0xA0, der(0xA0, _general_names(p.full_name)))] if p.full_name else []
            if p.crl_issuer:
                parts.append(der(0xA2, _general_names(p.crl_issuer)))
            points.append(seq(*parts))
        return seq(*points)
    if isinstance(value, x.CertificatePolicies):
        return _policies(value)
    unsupported(f"encoding the {type(value).__name__} extension", _Reasons.UNSUPPORTED_X509)
    return b""


def _extensions(extensions) -> bytes:
    out = []
    for ext in extensions:
        parts = [der_oid(ext.oid.dotted_string)]
        if ext.critical:
            parts.append(der(BOOLEAN, b"\xff"))
        parts.append(der(OCTET_STRING, encode_extension_value(ext.value)))
        out.append(seq(*parts))
    return seq(*out)


# -- certificates -------------------------------------------------------------------------
def _time(value: datetime.datetime) -> bytes:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    if 1950 <= value.year < 2050:
        return der(0x17, value.strftime("%y%m%d%H%M%SZ").encode())
    return der(0x18, value.strftime("%Y%m%d%H%M%SZ").encode())


def _signature_algorithm(private_key, hash_algorithm, rsa_padding) -> bytes:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa  # noqa: PLC0415
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        if hash_algorithm is not None:
            raise ValueError("algorithm must be None when signing via ed25519 or ed448")
        return seq(der_oid("1.3.101.112"))
    name = getattr(hash_algorithm, "name", "").upper().replace("-", "_")
    if isinstance(private_key, rsa.RSAPrivateKey) and isinstance(rsa_padding, padding.PSS):
        hash_oid = HASH_OID_BY_NAME.get(name)
        if hash_oid is None:
            unsupported(f"RSA-PSS with {name}", _Reasons.UNSUPPORTED_HASH)
        salt = rsa_padding._salt_length
        if not isinstance(salt, int):
            salt = hash_algorithm.digest_size if isinstance(salt, type(padding.PSS.DIGEST_LENGTH)) else \
                (private_key.key_size + 6) // 8 - hash_algorithm.digest_size - 2
        digest = seq(der_oid(hash_oid), der(NULL, b""))
        return seq(der_oid(RSA_PSS), seq(der(0xA0, digest), der(0xA1, seq(der_oid("1.2.840.113549.1.1.8"), digest)),
                                         der(0xA2, der_int(salt))))
    kind = "rsa" if isinstance(private_key, rsa.RSAPrivateKey) else \
        "ec" if isinstance(private_key, ec.EllipticCurvePrivateKey) else None
    oid = SIGNATURE_OIDS.get((kind, name)) if kind else None
    if oid is None:
        unsupported(f"signing a certificate with {type(private_key).__name__} and {name or 'no hash'}",
                    _Reasons.UNSUPPORTED_X509)
    return seq(der_oid(oid), der(NULL, b"")) if kind == "rsa" else seq(der_oid(oid))


def _sign(private_key, tbs: bytes, hash_algorithm, rsa_padding, deterministic) -> bytes:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding  # noqa: PLC0415
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return private_key.sign(tbs)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(tbs, ec.ECDSA(hash_algorithm, deterministic_signing=bool(deterministic)))
    return private_key.sign(tbs, rsa_padding or padding.PKCS1v15(), hash_algorithm)


def create_x509_certificate(builder, private_key, hash_algorithm, rsa_padding=None, ecdsa_deterministic=None):
    if private_key is None:
        unsupported("an unsigned certificate", _Reasons.UNSUPPORTED_X509)
    algorithm = _signature_algorithm(private_key, hash_algorithm, rsa_padding)
    parts = [der(0xA0, der_int(builder._version.value)), der_int(builder._serial_number), algorithm,
             encode_name_bytes(builder._issuer_name),
             seq(_time(builder._not_valid_before), _time(builder._not_valid_after)),
             encode_name_bytes(builder._subject_name), spki(builder._public_key)]
    if builder._extensions:
        parts.append(der(0xA3, _extensions(builder._extensions)))
    tbs = seq(*parts)
    signature = _sign(private_key, tbs, hash_algorithm, rsa_padding, ecdsa_deterministic)
    return Certificate(seq(tbs, algorithm, bits(signature)))


x509_part.EXPORTS["x509"].create_x509_certificate = create_x509_certificate
x509_part.EXPORTS["x509"].encode_extension_value = encode_extension_value
EXPORTS: dict = {}
