// Node's signatures and RSA encryption: crypto.sign/verify, createSign/createVerify (RSA
// PKCS#1 v1.5 and PSS, ECDSA in DER or IEEE P1363 form, Ed25519), publicEncrypt/
// privateDecrypt (OAEP, PKCS#1 v1.5) and privateEncrypt/publicDecrypt. ECDSA and Ed25519
// are @noble/curves' (audited); RSA is the textbook arithmetic of RFC 8017 on BigInts
// (a modular power and the padding schemes), since no audited dependency-free library
// does it synchronously.
import { Buffer } from "unenv/node/buffer";
import { sha1, md5 } from "@noble/hashes/legacy.js";
import { sha224, sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { ed25519 } from "./crypto_curves.js";
import { fromBigInt, toBigInt } from "./crypto_der.js";
import { CURVES, KeyObject, createPrivateKey, createPublicKey, keyData, nodeError } from "./crypto_keys.js";
import { modPow } from "./crypto_keygen.js";

export const HASHES = { md5, sha1, sha224, sha256, sha384, sha512 };
// DigestInfo prefixes (RFC 8017 section 9.2 note 1)
const DIGEST_INFO = {
  md5: "3020300c06082a864886f70d020505000410",
  sha1: "3021300906052b0e03021a05000414",
  sha224: "302d300d06096086480165030402040500041c",
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
};

export const constants = {
  RSA_PKCS1_PADDING: 1, RSA_NO_PADDING: 3, RSA_PKCS1_OAEP_PADDING: 4, RSA_PKCS1_PSS_PADDING: 6,
  RSA_PSS_SALTLEN_DIGEST: -1, RSA_PSS_SALTLEN_MAX_SIGN: -2, RSA_PSS_SALTLEN_AUTO: -2,
};

// "RSA-SHA256", "sha256WithRSAEncryption", "ecdsa-with-SHA256", "SHA-256" -> "sha256"
export function hashName(algorithm) {
  const name = String(algorithm).toLowerCase().replace(/^(rsa-|ecdsa-with-)/, "").replace(/withrsaencryption$/, "")
    .replace(/^sha-/, "sha");
  return HASHES[name] ? name : null;
}

const toBytes = (data, enc) => (typeof data === "string" ? Buffer.from(data, enc || "utf8")
  : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));

function random(n) {
  const b = new Uint8Array(n);
  if (n) globalThis.crypto.getRandomValues(b);
  return b;
}

// --- RSA (RFC 8017) --------------------------------------------------------------------

const byteLength = (n) => Math.ceil(n.toString(2).length / 8);
const osslError = (lib, reason, hex) => nodeError(Error, `error:${hex}:${lib}::${reason}`,
  `ERR_OSSL_RSA_${reason.toUpperCase().replace(/ /g, "_")}`, { library: lib, reason });

function rsaPrivateOp(k, m) {
  if (m >= k.n) throw osslError("rsa routines", "data too large for modulus", "0200006C");
  // CRT
  const m1 = modPow(m, k.dp, k.p), m2 = modPow(m, k.dq, k.q);
  const h = (k.qi * (((m1 - m2) % k.p) + k.p)) % k.p;
  return m2 + h * k.q;
}
const rsaPublicOp = (k, m) => modPow(m, k.e, k.n);

function mgf1(hash, seed, length) {
  const out = new Uint8Array(length);
  for (let c = 0, at = 0; at < length; c++) {
    const block = hash(Buffer.concat([seed, Buffer.from([c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255])]));
    out.set(block.subarray(0, length - at), at);
    at += block.length;
  }
  return out;
}
const xor = (a, b) => a.map((v, i) => v ^ b[i]);

function pkcs1Signature(name, digest, k) {
  const t = Buffer.concat([Buffer.from(DIGEST_INFO[name], "hex"), digest]);
  const size = byteLength(k.n);
  if (t.length + 11 > size) throw osslError("rsa routines", "digest too big for rsa key", "02000070");
  return Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(size - t.length - 3, 0xff), Buffer.from([0]), t]);
}

function pssEncode(hash, digest, k, saltLength) {
  const emBits = k.n.toString(2).length - 1, emLen = Math.ceil(emBits / 8), hLen = digest.length;
  if (saltLength === -1) saltLength = hLen;
  else if (saltLength === -2 || saltLength === undefined) saltLength = emLen - hLen - 2;
  if (emLen < hLen + saltLength + 2) throw osslError("rsa routines", "data too large for key size", "0200006E");
  const salt = random(saltLength);
  const h = hash(Buffer.concat([Buffer.alloc(8), digest, salt]));
  const db = Buffer.concat([Buffer.alloc(emLen - saltLength - hLen - 2), Buffer.from([1]), salt]);
  const masked = xor(db, mgf1(hash, h, db.length));
  masked[0] &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([masked, h, Buffer.from([0xbc])]);
}

function pssVerify(hash, digest, k, em, saltLength) {
  const emBits = k.n.toString(2).length - 1, emLen = Math.ceil(emBits / 8), hLen = digest.length;
  if (em.length !== emLen || em[emLen - 1] !== 0xbc) return false;
  const masked = em.subarray(0, emLen - hLen - 1), h = em.subarray(emLen - hLen - 1, emLen - 1);
  if (masked[0] & ~(0xff >> (8 * emLen - emBits))) return false;
  const db = xor(masked, mgf1(hash, h, masked.length));
  db[0] &= 0xff >> (8 * emLen - emBits);
  const one = db.indexOf(1);
  if (one < 0 || db.subarray(0, one).some((b) => b !== 0)) return false;
  const salt = db.subarray(one + 1);
  if (saltLength === -1 && salt.length !== hLen) return false;
  if (saltLength >= 0 && salt.length !== saltLength) return false;
  return Buffer.from(hash(Buffer.concat([Buffer.alloc(8), digest, salt]))).equals(Buffer.from(h));
}

// --- sign / verify ---------------------------------------------------------------------

function options(key) {
  return key !== null && typeof key === "object" && !(key instanceof KeyObject) && !ArrayBuffer.isView(key) ? key : {};
}

function digestOf(algorithm, data) {
  const name = hashName(algorithm);
  if (!name) throw nodeError(TypeError, "Invalid digest", "ERR_CRYPTO_INVALID_DIGEST");
  return [name, HASHES[name](data)];
}

function signWith(algorithm, data, keyInput) {
  const key = createPrivateKey(keyInput);
  const k = keyData(key), opts = options(keyInput);
  if (k.kind === "ed25519") {
    if (algorithm) throw nodeError(Error, "Unsupported crypto operation", "ERR_CRYPTO_UNSUPPORTED_OPERATION");
    return Buffer.from(ed25519.sign(data, k.d));
  }
  const [name, digest] = digestOf(algorithm || "sha256", data);
  if (k.kind === "ec") {
    const sig = CURVES[k.curve].impl.sign(digest, k.d, { prehash: false, lowS: false,
      format: opts.dsaEncoding === "ieee-p1363" ? "compact" : "der" });
    return Buffer.from(sig);
  }
  const em = opts.padding === constants.RSA_PKCS1_PSS_PADDING
    ? pssEncode(HASHES[name], digest, k, opts.saltLength) : pkcs1Signature(name, digest, k);
  return fromBigInt(rsaPrivateOp(k, toBigInt(em)), byteLength(k.n));
}

function verifyWith(algorithm, data, keyInput, signature) {
  const key = keyInput instanceof KeyObject && keyInput.type === "public" ? keyInput : createPublicKey(keyInput);
  const k = keyData(key), opts = options(keyInput);
  if (k.kind === "ed25519") {
    if (algorithm) throw nodeError(Error, "Unsupported crypto operation", "ERR_CRYPTO_UNSUPPORTED_OPERATION");
    try { return ed25519.verify(signature, data, k.pub); } catch { return false; }
  }
  const [name, digest] = digestOf(algorithm || "sha256", data);
  if (k.kind === "ec") {
    try {
      return CURVES[k.curve].impl.verify(signature, digest, k.pub, { prehash: false, lowS: false,
        format: opts.dsaEncoding === "ieee-p1363" ? "compact" : "der" });
    } catch {
      return false;
    }
  }
  const size = byteLength(k.n);
  const s = toBigInt(signature);
  if (signature.length !== size || s >= k.n) return false;
  const em = fromBigInt(rsaPublicOp(k, s), size);
  if (opts.padding === constants.RSA_PKCS1_PSS_PADDING) {
    return pssVerify(HASHES[name], digest, k, em.subarray(size - Math.ceil((k.n.toString(2).length - 1) / 8)),
      opts.saltLength === undefined ? -2 : opts.saltLength);
  }
  return em.equals(pkcs1Signature(name, digest, k));
}

const finish = (fn, callback) => {
  if (typeof callback !== "function") return fn();
  let result, error = null;
  try { result = fn(); } catch (e) { error = e; }
  queueMicrotask(() => callback(error, result));
  return undefined;
};

export function sign(algorithm, data, key, callback) {
  return finish(() => signWith(algorithm, toBytes(data), key), callback);
}

export function verify(algorithm, data, key, signature, callback) {
  return finish(() => verifyWith(algorithm, toBytes(data), key, toBytes(signature)), callback);
}

class Accumulator {
  constructor(algorithm) {
    if (!hashName(algorithm)) throw nodeError(TypeError, "Invalid digest", "ERR_CRYPTO_INVALID_DIGEST");
    this._algorithm = algorithm;
    this._chunks = [];
  }
  update(data, enc) {
    this._chunks.push(toBytes(data, enc));
    return this;
  }
  write(data, enc) { this.update(data, enc); return true; }
  end(data, enc) { if (data !== undefined) this.update(data, enc); return this; }
  get _data() { return Buffer.concat(this._chunks); }
}

export class Sign extends Accumulator {
  sign(key, outEnc) {
    const sig = signWith(this._algorithm, this._data, key);
    return outEnc && outEnc !== "buffer" ? sig.toString(outEnc) : sig;
  }
}

export class Verify extends Accumulator {
  verify(key, signature, sigEnc) {
    return verifyWith(this._algorithm, this._data, key, toBytes(signature, sigEnc));
  }
}

// --- encryption ------------------------------------------------------------------------

function oaepPad(hash, label, msg, size) {
  const lHash = hash(label), hLen = lHash.length;
  if (msg.length > size - 2 * hLen - 2) throw osslError("rsa routines", "data too large for key size", "0200006E");
  const db = Buffer.concat([lHash, Buffer.alloc(size - msg.length - 2 * hLen - 2), Buffer.from([1]), msg]);
  const seed = random(hLen);
  const maskedDb = xor(db, mgf1(hash, seed, db.length));
  const maskedSeed = xor(seed, mgf1(hash, maskedDb, hLen));
  return Buffer.concat([Buffer.from([0]), maskedSeed, maskedDb]);
}

function oaepUnpad(hash, label, em) {
  const lHash = hash(label), hLen = lHash.length;
  const fail = () => osslError("rsa routines", "oaep decoding error", "02000079");
  if (em.length < 2 * hLen + 2) throw fail();
  const maskedSeed = em.subarray(1, 1 + hLen), maskedDb = em.subarray(1 + hLen);
  const seed = xor(maskedSeed, mgf1(hash, maskedDb, hLen));
  const db = xor(maskedDb, mgf1(hash, seed, maskedDb.length));
  const one = db.indexOf(1, hLen);
  if (em[0] !== 0 || !Buffer.from(db.subarray(0, hLen)).equals(Buffer.from(lHash)) || one < 0
    || db.subarray(hLen, one).some((b) => b !== 0)) throw fail();
  return Buffer.from(db.subarray(one + 1));
}

function pkcs1Pad(msg, size, type) {
  if (msg.length > size - 11) throw osslError("rsa routines", "data too large for key size", "0200006E");
  let ps;
  if (type === 1) ps = Buffer.alloc(size - msg.length - 3, 0xff);
  else {
    ps = Buffer.from(random(size - msg.length - 3));
    for (let i = 0; i < ps.length; i++) while (ps[i] === 0) ps[i] = random(1)[0];
  }
  return Buffer.concat([Buffer.from([0, type]), ps, Buffer.from([0]), msg]);
}

function pkcs1Unpad(em, type) {
  const zero = em.indexOf(0, 2);
  if (em[0] !== 0 || em[1] !== type || zero < 10) {
    throw type === 2 ? osslError("rsa routines", "pkcs decoding error", "02000079")
      : osslError("rsa routines", "padding check failed", "0200008A");
  }
  return Buffer.from(em.subarray(zero + 1));
}

function rsaKeyOf(keyInput, wantPrivate) {
  const key = wantPrivate ? createPrivateKey(keyInput) : keyInput instanceof KeyObject ? keyInput : createPublicKey(keyInput);
  const k = keyData(key);
  if (k.kind !== "rsa") throw nodeError(Error, "error:1C8000A5:Provider routines::operation not supported for this keytype", "ERR_OSSL_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE");
  return k;
}

function crypt(keyInput, buffer, wantPrivate, defaultPadding, padType) {
  const k = rsaKeyOf(keyInput, wantPrivate), opts = options(keyInput);
  const padding = opts.padding === undefined ? defaultPadding : opts.padding;
  const hash = HASHES[hashName(opts.oaepHash || "sha1")];
  const label = opts.oaepLabel ? toBytes(opts.oaepLabel) : new Uint8Array(0);
  const size = byteLength(k.n), msg = toBytes(buffer);
  const em = padding === constants.RSA_PKCS1_OAEP_PADDING ? oaepPad(hash, label, msg, size)
    : padding === constants.RSA_NO_PADDING ? msg : pkcs1Pad(msg, size, padType);
  const m = toBigInt(em);
  return fromBigInt(wantPrivate ? rsaPrivateOp(k, m) : rsaPublicOp(k, m), size);
}

function decrypt(keyInput, buffer, wantPrivate, defaultPadding, padType) {
  const k = rsaKeyOf(keyInput, wantPrivate), opts = options(keyInput);
  const padding = opts.padding === undefined ? defaultPadding : opts.padding;
  const size = byteLength(k.n), c = toBigInt(toBytes(buffer));
  const em = fromBigInt(wantPrivate ? rsaPrivateOp(k, c) : rsaPublicOp(k, c), size);
  if (padding === constants.RSA_PKCS1_OAEP_PADDING) {
    return oaepUnpad(HASHES[hashName(opts.oaepHash || "sha1")], opts.oaepLabel ? toBytes(opts.oaepLabel) : new Uint8Array(0), em);
  }
  return padding === constants.RSA_NO_PADDING ? em : pkcs1Unpad(em, padType);
}

export const publicEncrypt = (key, buffer) => crypt(key, buffer, false, constants.RSA_PKCS1_OAEP_PADDING, 2);
export const privateDecrypt = (key, buffer) => decrypt(key, buffer, true, constants.RSA_PKCS1_OAEP_PADDING, 2);
export const privateEncrypt = (key, buffer) => crypt(key, buffer, true, constants.RSA_PKCS1_PADDING, 1);
export const publicDecrypt = (key, buffer) => decrypt(key, buffer, false, constants.RSA_PKCS1_PADDING, 1);
