"""X.509 certificates for the cryptography stand-in (see ``wasmhost_cryptography``):
loading them (PEM or DER) into an object with the native ``Certificate``'s interface —
names, serial, validity, public key, signature algorithm, fingerprint, checking one
certificate's signature by its issuer — and the common extensions decoded into
cryptography's own extension classes (basic constraints, key usage, extended key usage,
subject/issuer alternative names, key identifiers, authority information access, CRL
distribution points, certificate policies); any other extension is an
``UnrecognizedExtension`` holding its DER. Names are encoded both ways
(``Name.public_bytes``). Signing certificates is ``_x509_build``; CSRs, CRLs and OCSP fail
naming the sandbox.
"""

from __future__ import annotations

import datetime
import ipaddress

from wasmhost_cryptography_core import (BIT_STRING, BOOLEAN, INTEGER, SEQUENCE, SET, Encoding,
                                        ObjectIdentifier, _Reasons, as_ours, buf, der, der_element, der_items, der_one,
                                        der_oid, der_read, exceptions_module, int_of, module, oid_of, pem, pem_blocks,
                                        seq, unsupported)
from wasmhost_cryptography_keys import NO_PEM, public_from_spki
from wasmhost_cryptography_sym import hash_factory

SIGNATURE_HASHES = {"1.2.840.113549.1.1.4": "MD5", "1.2.840.113549.1.1.5": "SHA1", "1.2.840.113549.1.1.14": "SHA224",
                    "1.2.840.113549.1.1.11": "SHA256", "1.2.840.113549.1.1.12": "SHA384",
                    "1.2.840.113549.1.1.13": "SHA512", "1.2.840.10045.4.1": "SHA1", "1.2.840.10045.4.3.1": "SHA224",
                    "1.2.840.10045.4.3.2": "SHA256", "1.2.840.10045.4.3.3": "SHA384", "1.2.840.10045.4.3.4": "SHA512",
                    "2.16.840.1.101.3.4.3.14": "SHA3_256", "2.16.840.1.101.3.4.3.10": "SHA3_256",
                    "1.3.101.112": None}
RSA_PSS = "1.2.840.113549.1.1.10"
HASH_OIDS = {"1.3.14.3.2.26": "SHA1", "2.16.840.1.101.3.4.2.4": "SHA224", "2.16.840.1.101.3.4.2.1": "SHA256",
             "2.16.840.1.101.3.4.2.2": "SHA384", "2.16.840.1.101.3.4.2.3": "SHA512"}
STRING_TAGS = {0x0C: "utf-8", 0x12: "ascii", 0x13: "ascii", 0x14: "latin-1", 0x16: "ascii", 0x1A: "ascii",
               0x1C: "utf-32-be", 0x1E: "utf-16-be"}


def _x509():
    from cryptography import x509  # noqa: PLC0415 - imports this part's module: only at call time
    return x509


def _hashes():
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
    return hashes


def _oid(content: bytes) -> ObjectIdentifier:
    return ObjectIdentifier(oid_of(content))


# -- names -------------------------------------------------------------------------------
def _string(tag: int, body: bytes) -> str:
    return body.decode(STRING_TAGS.get(tag, "utf-8"), "replace")


def parse_name(content: bytes):
    """cryptography's ``Name`` from an RDNSequence's content."""
    x = _x509()
    from cryptography.x509.name import _ASN1Type  # noqa: PLC0415
    rdns = []
    for tag, rdn in der_items(content):
        if tag != SET:
            raise ValueError("bad name")
        attributes = []
        for _, pair in der_items(rdn):
            (_, oid), (vtag, value) = der_items(pair)[:2]
            try:
                kind = _ASN1Type(vtag)
            except ValueError:
                kind = _ASN1Type.UTF8String
            text = value[1:] if vtag == BIT_STRING else _string(vtag, value)
            attributes.append(x.NameAttribute(_oid(oid), text, kind, _validate=False))
        rdns.append(x.RelativeDistinguishedName(attributes))
    return x.Name(rdns)


def parse_name_bytes(data):
    return parse_name(der_one(buf(data), SEQUENCE))


def encode_name_bytes(name) -> bytes:
    from cryptography.x509.name import _ASN1Type  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415
    rdns = []
    for rdn in name.rdns:
        parts = []
        for attr in rdn:
            kind = attr._type
            if kind is None:  # the native module's defaults: country codes and the like printable
                kind = _ASN1Type.PrintableString if attr.oid in (NameOID.COUNTRY_NAME, NameOID.DN_QUALIFIER,
                                                                 NameOID.SERIAL_NUMBER) else _ASN1Type.UTF8String
            if kind is _ASN1Type.BitString:
                value = der(BIT_STRING, b"\0" + attr.value)
            else:
                codec = STRING_TAGS.get(kind.value, "utf-8")
                value = der(kind.value, attr.value.encode(codec))
            parts.append(seq(der_oid(attr.oid.dotted_string), value))
        rdns.append(der(SET, b"".join(sorted(parts))))
    return seq(*rdns)


# -- general names and extensions -----------------------------------------------------------
def _general_name(tag: int, body: bytes):
    x = _x509()
    kind = tag & 0x1F
    if kind == 1:
        return x.RFC822Name(body.decode("ascii", "replace"))
    if kind == 2:
        return x.DNSName(body.decode("ascii", "replace"))
    if kind == 6:
        return x.UniformResourceIdentifier(body.decode("ascii", "replace"))
    if kind == 7:
        if len(body) in (4, 16):
            return x.IPAddress(ipaddress.ip_address(body))
        half = len(body) // 2
        return x.IPAddress(ipaddress.ip_network((body[:half], bin(int.from_bytes(body[half:], "big")).count("1"))))
    if kind == 4:
        return x.DirectoryName(parse_name(der_one(body, SEQUENCE)))
    if kind == 8:
        return x.RegisteredID(_oid(body))
    if kind == 0:
        (_, oid), (_, value) = der_items(body)[:2]
        return x.OtherName(_oid(oid), value)  # [0] EXPLICIT: its content is the value's DER
    raise ValueError(f"general name [{kind}] is not supported")


def _general_names(content: bytes) -> list:
    return [_general_name(tag, body) for tag, body in der_items(content)]


def _key_usage(body: bytes):
    bits_ = int.from_bytes(body[1:2] or b"\0", "big") << 8 | int.from_bytes(body[2:3] or b"\0", "big")
    flags = [bool(bits_ & (0x8000 >> i)) for i in range(9)]
    return _x509().KeyUsage(*flags)


def _basic_constraints(content: bytes):
    ca, path = False, None
    for tag, body in der_items(content):
        if tag == BOOLEAN:
            ca = body != b"\0"
        elif tag == INTEGER:
            path = int_of(body)
    return _x509().BasicConstraints(ca, path)


def _authority_key_identifier(content: bytes):
    key_id = issuer = serial = None
    for tag, body in der_items(content):
        if tag == 0x80:
            key_id = body
        elif tag == 0xA1:
            issuer = _general_names(body)
        elif tag == 0x82:
            serial = int_of(body)
    return _x509().AuthorityKeyIdentifier(key_id, issuer, serial)


def _access_descriptions(content: bytes) -> list:
    x = _x509()
    out = []
    for _, desc in der_items(content):
        (_, oid), (tag, body) = der_items(desc)[:2]
        out.append(x.AccessDescription(_oid(oid), _general_name(tag, body)))
    return out


def _distribution_points(content: bytes):
    x = _x509()
    points = []
    for _, point in der_items(content):
        full = relative = issuer = None
        for tag, body in der_items(point):
            if tag == 0xA0:
                ntag, nbody = der_items(body)[0]
                if ntag == 0xA0:
                    full = _general_names(nbody)
                else:
                    relative = parse_name(der(SEQUENCE, der(SET, nbody))).rdns[0]
            elif tag == 0xA2:
                issuer = _general_names(body)
        points.append(x.DistributionPoint(full, relative, None, issuer))
    return x.CRLDistributionPoints(points)


def _policies(content: bytes):
    x = _x509()
    policies = []
    for _, info in der_items(content):
        items = der_items(info)
        qualifiers = None
        if len(items) > 1:
            qualifiers = []
            for _, q in der_items(items[1][1]):
                (_, qoid), (qtag, qbody) = der_items(q)[:2]
                if oid_of(qoid) == "1.3.6.1.5.5.7.2.1":
                    qualifiers.append(_string(qtag, qbody))
                else:
                    texts = [_string(t, b) for t, b in der_items(qbody) if t != SEQUENCE]
                    qualifiers.append(x.UserNotice(None, texts[0] if texts else None))
        policies.append(x.PolicyInformation(_oid(items[0][1]), qualifiers))
    return x.CertificatePolicies(policies)


def _extension_value(oid: str, value: bytes):
    """cryptography's class for a known extension's DER value, else None."""
    x = _x509()
    tag, content, _ = der_read(value)
    if oid == "2.5.29.19":
        return _basic_constraints(content)
    if oid == "2.5.29.15":
        return _key_usage(content)
    if oid == "2.5.29.37":
        return x.ExtendedKeyUsage([_oid(body) for _, body in der_items(content)])
    if oid == "2.5.29.17":
        return x.SubjectAlternativeName(_general_names(content))
    if oid == "2.5.29.18":
        return x.IssuerAlternativeName(_general_names(content))
    if oid == "2.5.29.14":
        return x.SubjectKeyIdentifier(content)
    if oid == "2.5.29.35":
        return _authority_key_identifier(content)
    if oid == "1.3.6.1.5.5.7.1.1":
        return x.AuthorityInformationAccess(_access_descriptions(content))
    if oid == "2.5.29.31":
        return _distribution_points(content)
    if oid == "2.5.29.32":
        return _policies(content)
    if oid == "2.5.29.16" and hasattr(x, "PrivateKeyUsagePeriod"):
        times = {tag: _time(0x18, body).replace(tzinfo=None) for tag, body in der_items(content)}
        return x.PrivateKeyUsagePeriod(times.get(0x80), times.get(0x81))
    return None


def parse_extensions(content: bytes):
    x = _x509()
    out, seen = [], set()
    for _, ext in der_items(content):
        items = der_items(ext)
        oid = oid_of(items[0][1])
        critical = len(items) == 3 and items[1][1] != b"\0"
        value = items[-1][1]
        if oid in seen:
            raise x.DuplicateExtension(f"Duplicate {oid} extension found", _oid(items[0][1]))
        seen.add(oid)
        try:
            parsed = _extension_value(oid, value)
        except (ValueError, IndexError, TypeError):
            raise ValueError(f"error parsing the {oid} extension") from None
        out.append(x.Extension(_oid(items[0][1]), critical,
                               parsed if parsed is not None else x.UnrecognizedExtension(_oid(items[0][1]), value)))
    return x.Extensions(out)


# -- certificates ----------------------------------------------------------------------
def _time(tag: int, body: bytes) -> datetime.datetime:
    text = body.decode("ascii")
    if tag == 0x17:  # UTCTime: YYMMDDHHMMSSZ
        year = int(text[:2])
        text = str(1900 + year if year >= 50 else 2000 + year) + text[2:]
    return datetime.datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=datetime.timezone.utc)


def _naive(value: datetime.datetime, name: str) -> datetime.datetime:
    import warnings  # noqa: PLC0415
    from cryptography import utils  # noqa: PLC0415
    warnings.warn(f"Properties that return a naïve datetime object have been deprecated. Please switch to {name}_utc.",
                  utils.DeprecatedIn42, stacklevel=3)
    return value.replace(tzinfo=None)


class Certificate:
    def __init__(self, data: bytes) -> None:
        self._der = data
        try:
            content = der_one(data, SEQUENCE)
            (_, tbs), (_, sig_alg), (_, signature) = der_items(content)
            self._tbs = der_element(content)[0]
            fields = der_items(tbs)
            version = 0
            if fields[0][0] == 0xA0:
                version = int_of(der_one(fields[0][1], INTEGER))
                fields = fields[1:]
            self._version = version
            self._serial = int_of(fields[0][1])
            self._issuer_der, self._validity, self._subject_der = fields[2][1], der_items(fields[3][1]), fields[4][1]
            self._spki = der(SEQUENCE, fields[5][1])
            self._extensions_der = b""
            for tag, body in fields[6:]:
                if tag == 0xA3:
                    self._extensions_der = der_one(body, SEQUENCE)
            self._sig_alg = der_items(sig_alg)
            self._signature = signature[1:]
        except (ValueError, IndexError):
            raise ValueError("error parsing asn1 value: the data is not an X.509 certificate") from None
        self._cache: dict = {}

    def _cached(self, name, make):
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    def fingerprint(self, algorithm) -> bytes:
        return hash_factory(algorithm)(self._der).digest()

    @property
    def serial_number(self) -> int:
        return self._serial

    @property
    def version(self):
        x = _x509()
        if self._version == 0:
            return x.Version.v1
        if self._version == 2:
            return x.Version.v3
        raise x.InvalidVersion(f"{self._version} is not a valid X509 version", self._version)

    def public_key(self):
        return self._cached("key", lambda: public_from_spki(self._spki))

    @property
    def public_key_algorithm_oid(self) -> ObjectIdentifier:
        return _oid(der_items(der_items(der_one(self._spki, SEQUENCE))[0][1])[0][1])

    not_valid_before_utc = property(lambda self: _time(*self._validity[0]))
    not_valid_after_utc = property(lambda self: _time(*self._validity[1]))
    not_valid_before = property(lambda self: _naive(self.not_valid_before_utc, "not_valid_before"))
    not_valid_after = property(lambda self: _naive(self.not_valid_after_utc, "not_valid_after"))

    @property
    def issuer(self):
        return self._cached("issuer", lambda: parse_name(self._issuer_der))

    @property
    def subject(self):
        return self._cached("subject", lambda: parse_name(self._subject_der))

    @property
    def signature_algorithm_oid(self) -> ObjectIdentifier:
        return _oid(self._sig_alg[0][1])

    @property
    def signature_hash_algorithm(self):
        oid = oid_of(self._sig_alg[0][1])
        if oid == RSA_PSS:
            return self.signature_algorithm_parameters._mgf._algorithm
        if oid not in SIGNATURE_HASHES:
            unsupported(f"Signature algorithm OID: {oid}", _Reasons.UNSUPPORTED_X509)
        name = SIGNATURE_HASHES[oid]
        return getattr(_hashes(), name)() if name else None

    @property
    def signature_algorithm_parameters(self):
        from cryptography.hazmat.primitives.asymmetric import ec, padding  # noqa: PLC0415
        oid = oid_of(self._sig_alg[0][1])
        if oid == RSA_PSS:
            hashes = _hashes()
            params = der_items(self._sig_alg[1][1]) if len(self._sig_alg) > 1 else []
            algorithm, salt = hashes.SHA1(), 20
            for tag, body in params:
                if tag == 0xA0:
                    algorithm = getattr(hashes, HASH_OIDS[oid_of(der_items(der_one(body, SEQUENCE))[0][1])])()
                elif tag == 0xA2:
                    salt = int_of(der_one(body, INTEGER))
            return padding.PSS(padding.MGF1(algorithm), salt)
        if oid.startswith("1.2.840.113549.1.1."):
            return padding.PKCS1v15()
        if oid.startswith("1.2.840.10045.4."):
            return ec.ECDSA(self.signature_hash_algorithm)
        if oid == "1.3.101.112":
            return None
        unsupported(f"Signature algorithm OID: {oid}", _Reasons.UNSUPPORTED_X509)
        return None

    @property
    def extensions(self):
        return self._cached("extensions", lambda: parse_extensions(self._extensions_der))

    @property
    def signature(self) -> bytes:
        return self._signature

    @property
    def tbs_certificate_bytes(self) -> bytes:
        return self._tbs

    @property
    def tbs_precertificate_bytes(self) -> bytes:
        unsupported("tbs_precertificate_bytes")
        return b""

    def __eq__(self, other):
        if not isinstance(other, Certificate):
            return NotImplemented
        return self._der == other._der

    def __hash__(self):
        return hash(self._der)

    def __repr__(self):
        return f"<Certificate(subject={self.subject}, ...)>"

    def __deepcopy__(self, memo):
        return self

    def public_bytes(self, encoding) -> bytes:
        encoding = as_ours(encoding, Encoding)
        if encoding is Encoding.PEM:
            return pem("CERTIFICATE", self._der)
        if encoding is Encoding.DER:
            return self._der
        raise TypeError("encoding must be an item from the Encoding enum")

    def verify_directly_issued_by(self, issuer) -> None:
        if self.issuer != issuer.subject:
            raise ValueError("Issuer certificate subject does not match certificate issuer.")
        oid = oid_of(self._sig_alg[0][1])
        if SIGNATURE_HASHES.get(oid, "") in ("MD5", "SHA1"):  # as the native module: refused, however signed
            raise ValueError(f"Unsupported signature algorithm {oid}")
        key = issuer.public_key()
        params = self.signature_algorithm_parameters
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa  # noqa: PLC0415
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(self._signature, self._tbs, params, self.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(self._signature, self._tbs, params)
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(self._signature, self._tbs)
        else:
            raise exceptions_module().UnsupportedAlgorithm("Unsupported issuer public key type")


def load_der_x509_certificate(data, backend=None) -> Certificate:
    return Certificate(buf(data))


def load_pem_x509_certificates(data) -> list[Certificate]:
    certs = [Certificate(body) for label, body, _ in pem_blocks(buf(data))
             if label in ("CERTIFICATE", "X509 CERTIFICATE")]
    if not certs:
        raise ValueError(f"{NO_PEM} (no CERTIFICATE block)")
    return certs


def load_pem_x509_certificate(data, backend=None) -> Certificate:
    return load_pem_x509_certificates(data)[0]


EXPORTS = {"x509": module("x509", Certificate=Certificate, load_der_x509_certificate=load_der_x509_certificate,
                          load_pem_x509_certificate=load_pem_x509_certificate,
                          load_pem_x509_certificates=load_pem_x509_certificates, parse_name_bytes=parse_name_bytes,
                          encode_name_bytes=encode_name_bytes)}
