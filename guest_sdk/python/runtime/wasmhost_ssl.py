"""``_ssl`` for the sandbox, so that the standard library's own ``ssl`` module loads.

The sandbox's CPython has no ``_ssl`` (OpenSSL's binding, a C module) and no sockets:
HTTPS goes through the host, which does TLS and checks certificates under the
function's ``allowed_hosts``. Yet many libraries import ``ssl`` themselves and build an
``SSLContext`` when they are imported or constructed (httpx, slack_sdk, aiohttp,
smtplib's users, urllib3 and requests when ``ssl`` exists): without ``ssl`` they fail
before sending anything. This module is what ``import _ssl`` gives inside the sandbox
(``wasmhost_sandbox`` stands it in): OpenSSL's constants and errors as a ``python3.12`` Lambda's
``_ssl`` (OpenSSL 3) has them, and a ``_SSLContext`` that keeps every setting a library
makes (protocol versions, options, verify mode, ciphers, CA files, ALPN). The real
``ssl.py`` on top of it gives the whole public API (``create_default_context``,
``SSLContext``, ``Purpose``, ``TLSVersion``, the ``SSLError`` family...).

What a context cannot do here is TLS itself: a connection made through a path the host
serves (``urllib.request.urlopen(url, context=...)``, ``http.client.HTTPSConnection``,
urllib3, requests, httpx) ignores the context's certificate settings, because the host
verifies against its own trust store; ``wrap_socket`` and ``wrap_bio`` (TLS over a socket
or memory buffers of the function's own) fail with an ``SSLError`` saying why.

No pure-Python ``_ssl`` is published (each implementation binds a TLS library), so this
one is written here; the values are OpenSSL 3.0's, as CPython's ``_ssl`` reports them.
"""

import os

NO_TLS = ("TLS over a socket is not available in wasmhost's WebAssembly sandbox, which has no sockets: "
             "HTTPS goes through the host, which does TLS and checks certificates (urllib, http.client, "
             "requests, urllib3, httpx, boto3, with the function's allowed_hosts)")

OPENSSL_VERSION = "OpenSSL 3.0.8 7 Feb 2023"  # what Lambda's python3.12 (Amazon Linux 2023) reports
OPENSSL_VERSION_INFO = _OPENSSL_API_VERSION = (3, 0, 0, 8, 0)
OPENSSL_VERSION_NUMBER = 0x30000080
_DEFAULT_CIPHERS = "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"

HAS_SNI = HAS_ECDH = HAS_ALPN = HAS_TLS_UNIQUE = HAS_PHA = HAS_PSK = True
HAS_TLSv1 = HAS_TLSv1_1 = HAS_TLSv1_2 = HAS_TLSv1_3 = True
HAS_NPN = HAS_SSLv2 = HAS_SSLv3 = False

PROTOCOL_TLS = PROTOCOL_SSLv23 = 2
PROTOCOL_TLSv1, PROTOCOL_TLSv1_1, PROTOCOL_TLSv1_2 = 3, 4, 5
PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER = 16, 17
PROTO_MINIMUM_SUPPORTED, PROTO_MAXIMUM_SUPPORTED = -2, -1
PROTO_SSLv3, PROTO_TLSv1, PROTO_TLSv1_1, PROTO_TLSv1_2, PROTO_TLSv1_3 = 0x300, 0x301, 0x302, 0x303, 0x304

CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED = 0, 1, 2
ENCODING_PEM, ENCODING_DER = 1, 2

OP_ALL = 0x80000050
OP_NO_SSLv2 = OP_SINGLE_DH_USE = OP_SINGLE_ECDH_USE = 0
OP_IGNORE_UNEXPECTED_EOF = 0x80
OP_NO_TICKET = 0x4000
OP_NO_COMPRESSION = 0x20000
OP_ENABLE_MIDDLEBOX_COMPAT = 0x100000
OP_CIPHER_SERVER_PREFERENCE = 0x400000
OP_NO_SSLv3 = 0x2000000
OP_NO_TLSv1 = 0x4000000
OP_NO_TLSv1_2 = 0x8000000
OP_NO_TLSv1_1 = 0x10000000
OP_NO_TLSv1_3 = 0x20000000
OP_NO_RENEGOTIATION = 0x40000000
OP_LEGACY_SERVER_CONNECT = 0x4
OP_ENABLE_KTLS = 0x8
_DEFAULT_OPTIONS = 0x82520050  # a new context's, as OpenSSL 3.0 sets them for CPython

VERIFY_DEFAULT = 0
VERIFY_CRL_CHECK_LEAF = 0x4
VERIFY_CRL_CHECK_CHAIN = 0xC
VERIFY_X509_STRICT = 0x20
VERIFY_ALLOW_PROXY_CERTS = 0x40
VERIFY_X509_TRUSTED_FIRST = 0x8000
VERIFY_X509_PARTIAL_CHAIN = 0x80000

HOSTFLAG_ALWAYS_CHECK_SUBJECT, HOSTFLAG_NO_WILDCARDS, HOSTFLAG_NO_PARTIAL_WILDCARDS = 0x1, 0x2, 0x4
HOSTFLAG_MULTI_LABEL_WILDCARDS, HOSTFLAG_SINGLE_LABEL_SUBDOMAINS, HOSTFLAG_NEVER_CHECK_SUBJECT = 0x8, 0x10, 0x20

SSL_ERROR_SSL, SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE, SSL_ERROR_WANT_X509_LOOKUP = 1, 2, 3, 4
SSL_ERROR_SYSCALL, SSL_ERROR_ZERO_RETURN, SSL_ERROR_WANT_CONNECT, SSL_ERROR_EOF = 5, 6, 7, 8
SSL_ERROR_INVALID_ERROR_CODE = 10

ALERT_DESCRIPTION_CLOSE_NOTIFY = 0
ALERT_DESCRIPTION_UNEXPECTED_MESSAGE = 10
ALERT_DESCRIPTION_BAD_RECORD_MAC = 20
ALERT_DESCRIPTION_RECORD_OVERFLOW = 22
ALERT_DESCRIPTION_DECOMPRESSION_FAILURE = 30
ALERT_DESCRIPTION_HANDSHAKE_FAILURE = 40
ALERT_DESCRIPTION_BAD_CERTIFICATE = 42
ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE = 43
ALERT_DESCRIPTION_CERTIFICATE_REVOKED = 44
ALERT_DESCRIPTION_CERTIFICATE_EXPIRED = 45
ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN = 46
ALERT_DESCRIPTION_ILLEGAL_PARAMETER = 47
ALERT_DESCRIPTION_UNKNOWN_CA = 48
ALERT_DESCRIPTION_ACCESS_DENIED = 49
ALERT_DESCRIPTION_DECODE_ERROR = 50
ALERT_DESCRIPTION_DECRYPT_ERROR = 51
ALERT_DESCRIPTION_PROTOCOL_VERSION = 70
ALERT_DESCRIPTION_INSUFFICIENT_SECURITY = 71
ALERT_DESCRIPTION_INTERNAL_ERROR = 80
ALERT_DESCRIPTION_USER_CANCELLED = 90
ALERT_DESCRIPTION_NO_RENEGOTIATION = 100
ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION = 110
ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE = 111
ALERT_DESCRIPTION_UNRECOGNIZED_NAME = 112
ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE = 113
ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE = 114
ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY = 115


# -- errors: ssl.SSLError and its family, as _ssl defines them --------------------------------
class SSLError(OSError):
    """An error in the SSL implementation."""

    library = reason = None

    def __str__(self):
        return self.strerror if isinstance(self.strerror, str) else super().__str__()


class SSLZeroReturnError(SSLError):
    """SSL/TLS session closed cleanly."""


class SSLWantReadError(SSLError):
    """Non-blocking SSL socket needs to read more data before the requested operation can be completed."""


class SSLWantWriteError(SSLError):
    """Non-blocking SSL socket needs to write more data before the requested operation can be completed."""


class SSLSyscallError(SSLError):
    """System error when attempting SSL operation."""


class SSLEOFError(SSLError):
    """SSL/TLS connection terminated abruptly."""


class SSLCertVerificationError(SSLError, ValueError):
    """A certificate could not be verified."""

    verify_code = verify_message = None


for _cls in (SSLError, SSLZeroReturnError, SSLWantReadError, SSLWantWriteError, SSLSyscallError, SSLEOFError,
             SSLCertVerificationError):
    _cls.__module__ = "ssl"


# -- objects -----------------------------------------------------------------------------------
_OBJECTS = ((129, "serverAuth", "TLS Web Server Authentication", "1.3.6.1.5.5.7.3.1"),
            (130, "clientAuth", "TLS Web Client Authentication", "1.3.6.1.5.5.7.3.2"))


def txt2obj(txt, name=False):
    """The ASN.1 object ``(nid, shortname, longname, oid)`` of an OID (or, with ``name``, a name)."""
    for obj in _OBJECTS:
        if txt == obj[3] or (name and txt in obj[1:3]):
            return obj
    raise ValueError(f"unknown object '{txt}'")


def nid2obj(nid):
    for obj in _OBJECTS:
        if nid == obj[0]:
            return obj
    raise ValueError(f"unknown NID {nid}")


def get_default_verify_paths():
    return ("SSL_CERT_FILE", "/etc/pki/tls/cert.pem", "SSL_CERT_DIR", "/etc/pki/tls/certs")


def RAND_status():
    return True


def RAND_add(string, entropy):
    pass


def RAND_bytes(n):
    if n < 0:
        raise ValueError("num must be positive")
    return os.urandom(n)


class MemoryBIO:
    """A buffer of bytes (what ``SSLObject`` reads from and writes to)."""

    def __init__(self):
        self._buf = bytearray()
        self.eof = False
        self._eof_written = False

    @property
    def pending(self):
        return len(self._buf)

    def read(self, size=-1):
        n = len(self._buf) if size < 0 else min(size, len(self._buf))
        data = bytes(self._buf[:n])
        del self._buf[:n]
        self.eof = self._eof_written and not self._buf
        return data

    def write(self, data):
        if self._eof_written:
            raise SSLError("cannot write() after write_eof()")
        data = memoryview(data).tobytes()
        self._buf += data
        return len(data)

    def write_eof(self):
        self._eof_written = True
        self.eof = not self._buf


class SSLSession:
    """A TLS session (none is ever made here: there is no TLS connection in the sandbox)."""


def _check_version(value):
    if value not in (PROTO_MINIMUM_SUPPORTED, PROTO_MAXIMUM_SUPPORTED, PROTO_SSLv3, PROTO_TLSv1, PROTO_TLSv1_1,
                     PROTO_TLSv1_2, PROTO_TLSv1_3):
        raise ValueError(f"Unsupported TLS/SSL version 0x{int(value):x}")
    return int(value)


class _SSLContext:
    """The settings of ``ssl.SSLContext`` (its base class): kept as they are set, checked
    as OpenSSL checks them, used by no TLS connection (the host makes those)."""

    def __new__(cls, protocol):
        if protocol not in (PROTOCOL_TLS, PROTOCOL_TLSv1, PROTOCOL_TLSv1_1, PROTOCOL_TLSv1_2, PROTOCOL_TLS_CLIENT,
                            PROTOCOL_TLS_SERVER):
            raise ValueError("invalid or unsupported protocol version %i" % protocol)
        self = object.__new__(cls)
        self._protocol = protocol
        client = protocol == PROTOCOL_TLS_CLIENT
        self._verify_mode = CERT_REQUIRED if client else CERT_NONE
        self._check_hostname = client
        self._options = _DEFAULT_OPTIONS
        self._verify_flags = VERIFY_X509_TRUSTED_FIRST
        self._minimum_version, self._maximum_version = PROTO_TLSv1_2, PROTO_MAXIMUM_SUPPORTED
        self._host_flags = HOSTFLAG_NO_PARTIAL_WILDCARDS
        self._ciphers = _DEFAULT_CIPHERS
        self._ca_files = []
        self.post_handshake_auth = False
        self.keylog_filename = None
        self.sni_callback = None
        self._msg_cb = None
        self.num_tickets = 2
        self.security_level = 2
        self._alpn = self._npn = b""
        return self

    @property
    def protocol(self):
        return self._protocol

    @property
    def verify_mode(self):
        return self._verify_mode

    @verify_mode.setter
    def verify_mode(self, value):
        value = int(value)
        if value not in (CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED):
            raise ValueError("invalid value for verify_mode")
        if value == CERT_NONE and self._check_hostname:
            raise ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.")
        self._verify_mode = value

    @property
    def check_hostname(self):
        return self._check_hostname

    @check_hostname.setter
    def check_hostname(self, value):
        value = bool(value)
        if value and self._verify_mode == CERT_NONE:
            self._verify_mode = CERT_REQUIRED
        self._check_hostname = value

    @property
    def options(self):
        return self._options

    @options.setter
    def options(self, value):
        self._options = int(value)

    @property
    def verify_flags(self):
        return self._verify_flags

    @verify_flags.setter
    def verify_flags(self, value):
        self._verify_flags = int(value)

    @property
    def minimum_version(self):
        return self._minimum_version

    @minimum_version.setter
    def minimum_version(self, value):
        self._minimum_version = _check_version(value)

    @property
    def maximum_version(self):
        return self._maximum_version

    @maximum_version.setter
    def maximum_version(self, value):
        self._maximum_version = _check_version(value)

    @property
    def _msg_callback(self):
        return self._msg_cb

    @_msg_callback.setter
    def _msg_callback(self, callback):
        self._msg_cb = callback

    def set_ciphers(self, ciphers):
        if not isinstance(ciphers, str):
            raise TypeError(f"set_ciphers() argument must be str, not {type(ciphers).__name__}")
        if not ciphers.strip(":"):
            raise SSLError(SSL_ERROR_SSL, "No cipher can be selected.")
        self._ciphers = ciphers

    def get_ciphers(self):
        return [{"id": 50336514, "name": "TLS_AES_256_GCM_SHA384", "protocol": "TLSv1.3",
                 "description": "TLS_AES_256_GCM_SHA384         TLSv1.3 Kx=any      Au=any   Enc=AESGCM(256)"
                                "            Mac=AEAD",
                 "strength_bits": 256, "alg_bits": 256, "aead": True, "symmetric": "aes-256-gcm", "digest": None,
                 "kea": "kx-any", "auth": "auth-any"}]

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        """Kept, not used: the host checks certificates against its own trust store. A file
        or folder that does not exist fails as with OpenSSL."""
        if cafile is None and capath is None and cadata is None:
            raise TypeError("cafile, capath and cadata cannot be all omitted")
        for path in (cafile, capath):
            if path is not None:
                path = os.fspath(path)
                if not os.path.exists(path):
                    raise FileNotFoundError(2, "No such file or directory")
                self._ca_files.append(path)
        if cadata is not None and not isinstance(cadata, (str, bytes, bytearray, memoryview)):
            raise TypeError("cadata should be an ASCII string or a bytes-like object")

    def load_cert_chain(self, certfile, keyfile=None, password=None):
        """A client certificate: kept, but the host's requests cannot present it (it is
        read so that a missing file fails here, as with OpenSSL)."""
        for path in (certfile, keyfile):
            if path is not None:
                with open(os.fspath(path), "rb"):
                    pass

    def set_default_verify_paths(self):
        pass

    def load_dh_params(self, path):
        with open(os.fspath(path), "rb"):
            pass

    def set_ecdh_curve(self, name):
        pass

    def cert_store_stats(self):
        return {"x509": 0, "crl": 0, "x509_ca": 0}

    def get_ca_certs(self, binary_form=False):
        return []

    def session_stats(self):
        return dict.fromkeys(("number", "connect", "connect_good", "connect_renegotiate", "accept", "accept_good",
                              "accept_renegotiate", "hits", "misses", "timeouts", "cache_full"), 0)

    def _set_alpn_protocols(self, protos):
        self._alpn = bytes(protos)

    def _set_npn_protocols(self, protos):
        self._npn = bytes(protos)

    def set_psk_client_callback(self, callback):
        pass

    def set_psk_server_callback(self, callback, identity_hint=None):
        pass

    def _wrap_socket(self, sock, server_side, server_hostname=None, owner=None, session=None):
        raise SSLError(SSL_ERROR_SSL, NO_TLS)

    def _wrap_bio(self, incoming, outgoing, server_side, server_hostname=None, owner=None, session=None):
        raise SSLError(SSL_ERROR_SSL, NO_TLS)
