// Node's key objects: `crypto.KeyObject`, createSecretKey/createPublicKey/createPrivateKey
// from PEM, DER (spki, pkcs8, pkcs1, sec1, X.509 certificates) and JWK, their `export`,
// for RSA, EC (P-256/384/521, secp256k1) and Ed25519 keys (crypto_keygen.js makes new
// ones). Keys are held as numbers and bytes (RSA's as BigInts, the curves' as
// @noble/curves takes them); crypto_sign.js signs with them. jsonwebtoken, jwk-to-pem and
// aws-jwt-verify build on these exactly as on Node.
import { Buffer } from "unenv/node/buffer";
import { p256, p384, p521, secp256k1, ed25519 } from "./crypto_curves.js";
import { SEQ, BITS, OCTETS, OID, DerError, readTLV, children, sequence, toBigInt, fromBigInt, oidString,
  tlv, int, oid, bits, pemDecode, pemEncode } from "./crypto_der.js";

const RSA = "1.2.840.113549.1.1.1", EC = "1.2.840.10045.2.1", ED25519 = "1.3.101.112";
const NULL_DER = Buffer.from([0x05, 0x00]);
// JWK name -> OID, OpenSSL's name (asymmetricKeyDetails.namedCurve), @noble/curves' curve, field bytes
export const CURVES = {
  "P-256": { oid: "1.2.840.10045.3.1.7", name: "prime256v1", impl: p256, size: 32 },
  "P-384": { oid: "1.3.132.0.34", name: "secp384r1", impl: p384, size: 48 },
  "P-521": { oid: "1.3.132.0.35", name: "secp521r1", impl: p521, size: 66 },
  secp256k1: { oid: "1.3.132.0.10", name: "secp256k1", impl: secp256k1, size: 32 },
};
export const CURVE_ALIASES = { prime256v1: "P-256", secp256r1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };
const curveByOid = (o) => Object.keys(CURVES).find((k) => CURVES[k].oid === o);

function nodeError(Type, message, code, props = {}) {
  const e = new Type(message);
  e.code = code;
  return Object.assign(e, props);
}
// " Received ...": how Node's argument errors describe the value they got
export function received(v) {
  if (v == null) return ` Received ${v}`;
  if (typeof v === "function") return ` Received function ${v.name}`;
  if (typeof v === "object") return v.constructor && v.constructor.name
    ? ` Received an instance of ${v.constructor.name}` : " Received [Object: null prototype]";
  let shown = typeof v === "string" ? `'${v.length > 25 ? `${v.slice(0, 25)}...` : v}'` : String(v);
  if (typeof v === "bigint") shown += "n";
  return ` Received type ${typeof v} (${shown})`;
}

// OpenSSL's error for bytes that are no key it knows, as Node reports it
export const unsupportedKey = () => nodeError(Error, "error:1E08010C:DECODER routines::unsupported",
  "ERR_OSSL_UNSUPPORTED", { library: "DECODER routines", reason: "unsupported" });
const invalidValue = (name, value) => nodeError(TypeError,
  `The property '${name}' is invalid. Received ${value === undefined ? "undefined" : `'${value}'`}`,
  "ERR_INVALID_ARG_VALUE");

const b64url = (b) => Buffer.from(b).toString("base64url");
const unb64url = (s) => Buffer.from(String(s), "base64url");

// --- KeyObject -------------------------------------------------------------------------

const KEY = Symbol("key");

export class KeyObject {
  constructor(type, key) {
    if (!["secret", "public", "private"].includes(type)) throw invalidValue("type", type);
    Object.defineProperty(this, KEY, { value: key });
    Object.defineProperty(this, "_type", { value: type });
  }
  get type() { return this._type; }
  equals(other) {
    if (!(other instanceof KeyObject) || other.type !== this.type) return false;
    const a = this.type === "secret" ? this.export() : this.export(this.type === "public"
      ? { type: "spki", format: "der" } : { type: "pkcs8", format: "der" });
    const b = other.type === "secret" ? other.export() : other.export(other.type === "public"
      ? { type: "spki", format: "der" } : { type: "pkcs8", format: "der" });
    return Buffer.from(a).equals(Buffer.from(b));
  }
  static from(cryptoKey) {
    throw nodeError(TypeError, "KeyObject.from(CryptoKey) is not available in wasmhost's JavaScript runtime",
      "ERR_INVALID_ARG_TYPE");
  }
}

export class SecretKeyObject extends KeyObject {
  constructor(bytes) { super("secret", Buffer.from(bytes)); }
  get symmetricKeySize() { return this[KEY].length; }
  export(options) {
    if (options && options.format === "jwk") return { kty: "oct", k: b64url(this[KEY]) };
    return Buffer.from(this[KEY]);
  }
}

class AsymmetricKeyObject extends KeyObject {
  get asymmetricKeyType() { return this[KEY].kind; }
  get asymmetricKeyDetails() {
    const k = this[KEY];
    if (k.kind === "rsa") return { modulusLength: k.n.toString(2).length, publicExponent: k.e };
    if (k.kind === "ec") return { namedCurve: CURVES[k.curve].name };
    return {};
  }
}

function exportOptions(options) {
  if (options === null || typeof options !== "object") {
    throw nodeError(TypeError, `The "options" argument must be of type object.${received(options)}`,
      "ERR_INVALID_ARG_TYPE");
  }
}

export class PublicKeyObject extends AsymmetricKeyObject {
  constructor(key) { super("public", key); }
  export(options) {
    exportOptions(options);
    const k = this[KEY];
    if (options.format === "jwk") return publicJwk(k);
    let der, label;
    if (options.type === "spki") [der, label] = [spki(k), "PUBLIC KEY"];
    else if (options.type === "pkcs1") [der, label] = [rsaPublic(only(k, "rsa", "pkcs1")), "RSA PUBLIC KEY"];
    else throw invalidValue("options.type", options.type);
    return encode(der, label, options.format);
  }
}

export class PrivateKeyObject extends AsymmetricKeyObject {
  constructor(key) { super("private", key); }
  export(options) {
    exportOptions(options);
    const k = this[KEY];
    if (options.format === "jwk") return k.kind === "ed25519" ? privateJwk(k) : { ...publicJwk(k), ...privateJwk(k) };
    if (options.cipher || options.passphrase) {
      throw new Error("Encrypted private key export is not available in wasmhost's JavaScript runtime");
    }
    let der, label;
    if (options.type === "pkcs8") [der, label] = [pkcs8(k), "PRIVATE KEY"];
    else if (options.type === "pkcs1") [der, label] = [rsaPrivate(only(k, "rsa", "pkcs1")), "RSA PRIVATE KEY"];
    else if (options.type === "sec1") [der, label] = [sec1(only(k, "ec", "sec1"), true), "EC PRIVATE KEY"];
    else throw invalidValue("options.type", options.type);
    return encode(der, label, options.format);
  }
}

export const keyData = (keyObject) => keyObject[KEY];

function only(k, kind, encoding) {
  if (k.kind === kind) return k;
  throw nodeError(Error, `The selected key encoding ${encoding} can only be used for ${kind.toUpperCase()} keys.`,
    "ERR_CRYPTO_INCOMPATIBLE_KEY_OPTIONS");
}

function encode(der, label, format) {
  if (format === "der") return Buffer.from(der);
  if (format === "pem") return pemEncode(label, der);
  throw invalidValue("options.format", format);
}

// --- writing ---------------------------------------------------------------------------

const rsaPublic = (k) => tlv(SEQ, int(k.n), int(k.e));
const rsaPrivate = (k) => tlv(SEQ, int(0), ...[k.n, k.e, k.d, k.p, k.q, k.dp, k.dq, k.qi].map(int));
const algorithm = (k) => (k.kind === "rsa" ? tlv(SEQ, oid(RSA), NULL_DER)
  : k.kind === "ec" ? tlv(SEQ, oid(EC), oid(CURVES[k.curve].oid)) : tlv(SEQ, oid(ED25519)));
function spki(k) {
  const key = k.kind === "rsa" ? rsaPublic(k) : k.pub;
  return tlv(SEQ, algorithm(k), bits(key));
}
const sec1 = (k, withCurve) => tlv(SEQ, int(1), tlv(OCTETS, k.d),
  ...(withCurve ? [tlv(0xa0, oid(CURVES[k.curve].oid))] : []), tlv(0xa1, bits(k.pub)));
function pkcs8(k) {
  const inner = k.kind === "rsa" ? rsaPrivate(k) : k.kind === "ec" ? sec1(k, false) : tlv(OCTETS, k.d);
  return tlv(SEQ, int(0), algorithm(k), tlv(OCTETS, inner));
}

function publicJwk(k) {
  if (k.kind === "rsa") return { kty: "RSA", n: b64url(fromBigInt(k.n)), e: b64url(fromBigInt(k.e)) };
  if (k.kind === "ec") {
    const size = CURVES[k.curve].size;
    return { kty: "EC", x: b64url(k.pub.subarray(1, 1 + size)), y: b64url(k.pub.subarray(1 + size)), crv: k.curve };
  }
  return { crv: "Ed25519", x: b64url(k.pub), kty: "OKP" };
}
function privateJwk(k) {
  if (k.kind === "rsa") {
    const out = {};
    for (const f of ["d", "p", "q", "dp", "dq", "qi"]) out[f] = b64url(fromBigInt(k[f]));
    return out;
  }
  if (k.kind === "ec") return { d: b64url(k.d) };
  return { crv: "Ed25519", d: b64url(k.d), x: b64url(k.pub), kty: "OKP" };
}

// --- reading ---------------------------------------------------------------------------

function ecPoint(curve, bytes) {
  return CURVES[curve].impl.Point.fromBytes(bytes).toBytes(false);
}

function ecPrivate(curve, d, pub) {
  const size = CURVES[curve].size;
  const scalar = fromBigInt(toBigInt(d), size);
  return { kind: "ec", curve, d: scalar, pub: pub ? ecPoint(curve, pub) : CURVES[curve].impl.getPublicKey(scalar, false) };
}

function rsaFromPkcs1Private(der) {
  const f = sequence(der).map((t) => toBigInt(t.body));
  if (f.length < 9) throw new DerError("short");
  const [, n, e, d, p, q, dp, dq, qi] = f;
  return { kind: "rsa", n, e, d, p, q, dp, dq, qi };
}

function rsaFromPkcs1Public(der) {
  const [n, e] = sequence(der).map((t) => toBigInt(t.body));
  return { kind: "rsa", n, e };
}

function fromSpki(der) {
  const [alg, key] = sequence(der);
  const [algOid, params] = children(alg.body);
  const id = oidString(algOid.body);
  if (key.tag !== BITS) throw new DerError("wrong tag");
  const body = key.body.subarray(1);
  if (id === RSA) return rsaFromPkcs1Public(body);
  if (id === ED25519) return { kind: "ed25519", pub: Buffer.from(body) };
  if (id === EC && params && params.tag === OID) {
    const curve = curveByOid(oidString(params.body));
    if (curve) return { kind: "ec", curve, pub: ecPoint(curve, body) };
  }
  throw unsupportedKey();
}

function fromSec1(der, curveFromAlg) {
  const parts = sequence(der);
  let curve = curveFromAlg, pub;
  for (const t of parts.slice(2)) {
    if (t.tag === 0xa0) curve = curveByOid(oidString(readTLV(t.body).body));
    if (t.tag === 0xa1) pub = readTLV(t.body).body.subarray(1);
  }
  if (!curve) throw unsupportedKey();
  return ecPrivate(curve, parts[1].body, pub);
}

function fromPkcs8(der) {
  const [, alg, key] = sequence(der);
  const [algOid, params] = children(alg.body);
  const id = oidString(algOid.body);
  if (key.tag !== OCTETS) throw new DerError("wrong tag");
  if (id === RSA) return rsaFromPkcs1Private(key.body);
  if (id === EC) return fromSec1(key.body, params && params.tag === OID ? curveByOid(oidString(params.body)) : undefined);
  if (id === ED25519) {
    const d = Buffer.from(readTLV(key.body).body);
    return { kind: "ed25519", d, pub: Buffer.from(ed25519.getPublicKey(d)) };
  }
  throw unsupportedKey();
}

// an X.509 certificate's SubjectPublicKeyInfo (jwks-rsa's x5c, SAML/OIDC signing certificates)
function fromCertificate(der) {
  const tbs = children(sequence(der)[0].body);
  const fields = tbs[0].tag === 0xa0 ? tbs.slice(1) : tbs; // [0] version is optional
  return fromSpki(fields[5].raw);
}

function fromJwk(jwk, wantPrivate) {
  if (jwk === null || typeof jwk !== "object") throw invalidValue("key.key", jwk);
  const priv = wantPrivate || jwk.d !== undefined;
  if (jwk.kty === "RSA") {
    const n = toBigInt(unb64url(jwk.n)), e = toBigInt(unb64url(jwk.e));
    if (!priv) return { kind: "rsa", n, e };
    const k = { kind: "rsa", n, e };
    for (const f of ["d", "p", "q", "dp", "dq", "qi"]) {
      if (typeof jwk[f] !== "string") throw invalidValue(`key.${f}`, jwk[f]);
      k[f] = toBigInt(unb64url(jwk[f]));
    }
    return k;
  }
  if (jwk.kty === "EC") {
    const curve = jwk.crv;
    if (!CURVES[curve]) throw invalidValue("key.crv", curve);
    const size = CURVES[curve].size;
    const pub = Buffer.concat([Buffer.from([4]), fromBigInt(toBigInt(unb64url(jwk.x)), size),
      fromBigInt(toBigInt(unb64url(jwk.y)), size)]);
    if (!priv) return { kind: "ec", curve, pub: ecPoint(curve, pub) };
    return ecPrivate(curve, unb64url(jwk.d), pub);
  }
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    if (!priv) return { kind: "ed25519", pub: unb64url(jwk.x) };
    const d = unb64url(jwk.d);
    return { kind: "ed25519", d, pub: Buffer.from(ed25519.getPublicKey(d)) };
  }
  throw invalidValue("key.kty", jwk.kty);
}

function fromDer(der, type) {
  if (type === "spki") return fromSpki(der);
  if (type === "pkcs8") return fromPkcs8(der);
  if (type === "sec1") return fromSec1(der);
  if (type === "pkcs1") {
    return sequence(der).length >= 9 ? rsaFromPkcs1Private(der) : rsaFromPkcs1Public(der);
  }
  throw invalidValue("key.type", type);
}

const PEM_TYPES = { "PUBLIC KEY": "spki", "RSA PUBLIC KEY": "pkcs1", "PRIVATE KEY": "pkcs8",
  "RSA PRIVATE KEY": "pkcs1", "EC PRIVATE KEY": "sec1" };

function fromPem(text) {
  const pem = pemDecode(text);
  if (!pem) throw unsupportedKey();
  if (pem.label === "ENCRYPTED PRIVATE KEY" || pem.encrypted) {
    throw nodeError(TypeError, "Passphrase-protected private keys are not available in wasmhost's JavaScript runtime",
      "ERR_MISSING_PASSPHRASE");
  }
  if (pem.label === "CERTIFICATE") return fromCertificate(pem.der);
  const type = PEM_TYPES[pem.label];
  if (!type) throw unsupportedKey();
  return fromDer(pem.der, type);
}

const isBytes = (v) => v instanceof Uint8Array || ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
const bytesOf = (v) => (v instanceof ArrayBuffer ? new Uint8Array(v)
  : new Uint8Array(v.buffer, v.byteOffset, v.byteLength));

// the key data for a createPublicKey/createPrivateKey argument (or sign/verify's key)
export function parseKey(input, wantPrivate) {
  if (input instanceof KeyObject) return input;
  let data = input, format = "pem", type, encoding;
  if (input !== null && typeof input === "object" && !isBytes(input)) {
    ({ key: data, format = "pem", type, encoding } = input);
    if (data instanceof KeyObject) return data;
  }
  let k;
  try {
    if (format === "jwk") k = fromJwk(data, wantPrivate);
    else if (typeof data === "string") k = format === "der" ? fromDer(Buffer.from(data, encoding), type) : fromPem(data);
    else if (isBytes(data)) {
      const bytes = bytesOf(data);
      k = format === "der" ? fromDer(bytes, type) : fromPem(Buffer.from(bytes).toString("latin1"));
    } else {
      throw nodeError(TypeError, 'The "key" argument must be of type string or an instance of ArrayBuffer, Buffer, '
        + `TypedArray, DataView, KeyObject, or CryptoKey. Received ${data === null ? "null" : typeof data}`,
      "ERR_INVALID_ARG_TYPE");
    }
  } catch (e) {
    // malformed DER, or a point @noble/curves refuses: what OpenSSL's decoder says of such bytes
    if (e instanceof DerError || (e instanceof Error && !e.code && !(e instanceof TypeError))) throw unsupportedKey();
    throw e;
  }
  return k.d !== undefined ? new PrivateKeyObject(k) : new PublicKeyObject(k);
}

function publicOf(k) {
  if (k.kind === "rsa") return { kind: "rsa", n: k.n, e: k.e };
  return { kind: k.kind, curve: k.curve, pub: k.pub };
}

export function createPublicKey(input) {
  const key = parseKey(input, false);
  if (key.type === "secret") {
    throw nodeError(TypeError, "Invalid key object type secret, expected private.", "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE");
  }
  return key.type === "public" ? key : new PublicKeyObject(publicOf(key[KEY]));
}

export function createPrivateKey(input) {
  const key = parseKey(input, true);
  const given = input instanceof KeyObject || (input && input.key instanceof KeyObject);
  if (key.type === "public" && !given) throw unsupportedKey(); // public key bytes, as OpenSSL's decoder says
  if (key.type !== "private") {
    throw nodeError(TypeError, `Invalid key object type ${key.type}, expected private.`,
      "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE");
  }
  return key;
}

export function createSecretKey(key, encoding) {
  if (typeof key === "string") return new SecretKeyObject(Buffer.from(key, encoding));
  if (!isBytes(key)) {
    throw nodeError(TypeError, 'The "key" argument must be of type string or an instance of ArrayBuffer, Buffer, '
      + `TypedArray, or DataView. Received ${key === null ? "null" : typeof key}`, "ERR_INVALID_ARG_TYPE");
  }
  return new SecretKeyObject(bytesOf(key));
}

export { nodeError, invalidValue, ecPrivate, publicOf };
