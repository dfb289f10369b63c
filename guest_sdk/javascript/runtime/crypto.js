// `require("crypto")`: hashes and HMACs (synchronous, hashes.js), random bytes and
// UUIDs from WASI's random source (StarlingMonkey's crypto.getRandomValues), WebCrypto,
// and Node's synchronous key objects, signatures, RSA encryption (crypto_keys.js,
// crypto_sign.js), AES ciphers (crypto_cipher.js), key derivation (crypto_kdf.js) and
// elliptic-curve Diffie-Hellman (crypto_ecdh.js). Finite-field Diffie-Hellman fails naming
// the function.
import { Buffer } from "unenv/node/buffer";
import { DIGESTS } from "./hashes.js";
import * as keys from "./crypto_keys.js";
import * as keygen from "./crypto_keygen.js";
import * as signing from "./crypto_sign.js";
import * as kdf from "./crypto_kdf.js";
import { CIPHERS, Cipheriv, Decipheriv } from "./crypto_cipher.js";
import { createECDH, diffieHellman } from "./crypto_ecdh.js";

const toBytes = (data, enc) => (typeof data === "string" ? Buffer.from(data, enc || "utf8")
  : data instanceof Uint8Array ? data : ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data));

function lookup(algorithm) {
  const name = String(algorithm).toLowerCase().replace(/^rsa-/, "").replace("sha-", "sha");
  const d = DIGESTS[name];
  if (!d) throw new Error(`Digest method not supported: ${algorithm}`);
  return d;
}

const out = (bytes, enc) => (enc ? Buffer.from(bytes).toString(enc) : Buffer.from(bytes));

class Hash {
  constructor(algorithm) {
    this._digest = lookup(algorithm)[0];
    this._chunks = [];
  }
  update(data, enc) {
    this._chunks.push(toBytes(data, enc));
    return this;
  }
  digest(enc) {
    return out(this._digest(Buffer.concat(this._chunks)), enc);
  }
  copy() {
    const h = Object.create(Hash.prototype);
    h._digest = this._digest;
    h._chunks = this._chunks.slice();
    return h;
  }
}

class Hmac {
  constructor(algorithm, key) {
    const [digest, block] = lookup(algorithm);
    if (!(key instanceof keys.KeyObject) && typeof key !== "string" && !ArrayBuffer.isView(key)
      && !(key instanceof ArrayBuffer)) {
      throw keys.nodeError(TypeError, "The \"key\" argument must be of type string or an instance of ArrayBuffer, "
        + `Buffer, TypedArray, DataView, KeyObject, or CryptoKey.${keys.received(key)}`, "ERR_INVALID_ARG_TYPE");
    }
    let k = key instanceof keys.KeyObject ? key.export() : toBytes(key);
    if (k.length > block) k = digest(k);
    this._k = Buffer.alloc(block);
    Buffer.from(k).copy(this._k);
    this._digest = digest;
    this._chunks = [];
  }
  update(data, enc) {
    this._chunks.push(toBytes(data, enc));
    return this;
  }
  digest(enc) {
    const ipad = this._k.map((b) => b ^ 0x36);
    const opad = this._k.map((b) => b ^ 0x5c);
    const inner = this._digest(Buffer.concat([ipad, ...this._chunks]));
    return out(this._digest(Buffer.concat([opad, inner])), enc);
  }
}

const unsupported = (name) => () => {
  throw new Error(`crypto.${name} is not available in wasmhost's JavaScript runtime`);
};

export function randomBytes(n, cb) {
  const buf = Buffer.alloc(n);
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(buf.subarray(i, Math.min(n, i + 65536)));
  if (cb) {
    queueMicrotask(() => cb(null, buf));
    return undefined;
  }
  return buf;
}

export function randomInt(min, max) {
  if (max === undefined) [min, max] = [0, min];
  const range = max - min;
  return min + (randomBytes(6).readUIntBE(0, 6) % range);
}

export function timingSafeEqual(a, b) {
  if (a.length !== b.length) throw new RangeError("Input buffers must have the same byte length");
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const crypto = {
  createHash: (algorithm) => new Hash(algorithm),
  createHmac: (algorithm, key) => new Hmac(algorithm, key),
  getHashes: () => Object.keys(DIGESTS),
  hash: (algorithm, data, enc = "hex") => new Hash(algorithm).update(data).digest(enc),
  randomBytes,
  randomFillSync: (buf) => { globalThis.crypto.getRandomValues(buf); return buf; },
  randomInt,
  randomUUID: () => globalThis.crypto.randomUUID(),
  getRandomValues: (a) => globalThis.crypto.getRandomValues(a),
  timingSafeEqual,
  get webcrypto() { return globalThis.crypto; },
  get subtle() { return globalThis.crypto.subtle; },
  Hash,
  Hmac,
  KeyObject: keys.KeyObject,
  createSecretKey: keys.createSecretKey,
  createPublicKey: keys.createPublicKey,
  createPrivateKey: keys.createPrivateKey,
  generateKeyPairSync: keygen.generateKeyPairSync,
  generateKeyPair: keygen.generateKeyPair,
  generateKeySync: keygen.generateKeySync,
  sign: signing.sign,
  verify: signing.verify,
  createSign: (algorithm) => new signing.Sign(algorithm),
  createVerify: (algorithm) => new signing.Verify(algorithm),
  Sign: signing.Sign,
  Verify: signing.Verify,
  publicEncrypt: signing.publicEncrypt,
  privateDecrypt: signing.privateDecrypt,
  privateEncrypt: signing.privateEncrypt,
  publicDecrypt: signing.publicDecrypt,
  constants: signing.constants,
  createCipheriv: (algorithm, key, iv, options) => new Cipheriv(algorithm, key, iv, options),
  createDecipheriv: (algorithm, key, iv, options) => new Decipheriv(algorithm, key, iv, options),
  Cipheriv,
  Decipheriv,
  getCiphers: () => CIPHERS.slice(),
  getCurves: () => ["prime256v1", "secp256k1", "secp384r1", "secp521r1"],
  createECDH,
  diffieHellman,
  ...kdf,
};
for (const name of ["createDiffieHellman", "getDiffieHellman", "createCipher",
  "createDecipher"]) {
  crypto[name] = unsupported(name);
}
export default crypto;
