// WebCrypto's crypto.subtle as Node's: StarlingMonkey's own traps the instance on an RSA key
// import and lacks generateKey, deriveBits and most algorithms, while jose 5/6 (the JWT
// library of jwks-rsa 4, next-auth, most newer authorizers) does all its work through it. This
// SubtleCrypto runs each operation on the runtime's Node crypto (crypto_*.js, over @noble),
// so a key, a signature or a ciphertext is the one Node makes: RSASSA-PKCS1-v1_5, RSA-PSS,
// RSA-OAEP, ECDSA (P-256/384/521), Ed25519, HMAC, AES-GCM/CBC/CTR, ECDH, PBKDF2, HKDF; keys
// imported and exported as raw, JWK, SPKI and PKCS#8. digest stays the engine's (native).
// AES-KW, X25519, wrapKey and unwrapKey are not there: they reject with NotSupportedError,
// saying so.
import { Buffer } from "unenv/node/buffer";
import { CURVE_ALIASES, createPrivateKey, createPublicKey, createSecretKey, KeyObject, keyData } from "./crypto_keys.js";
import { fromBigInt } from "./crypto_der.js";
import { constants, privateDecrypt, publicEncrypt, sign as nodeSign, verify as nodeVerify } from "./crypto_sign.js";
import { Cipheriv, Decipheriv } from "./crypto_cipher.js";
import { diffieHellman } from "./crypto_ecdh.js";
import { hkdfSync, pbkdf2Sync } from "./crypto_kdf.js";
import { generateKeyPairSync } from "./crypto_keygen.js";
import nodeCrypto, { timingSafeEqual } from "./crypto.js";

const NAMES = ["RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP", "ECDSA", "ECDH", "Ed25519", "X25519", "HMAC", "AES-GCM",
  "AES-CBC", "AES-CTR", "AES-KW", "PBKDF2", "HKDF", "SHA-1", "SHA-256", "SHA-384", "SHA-512"];
const CANONICAL = new Map(NAMES.map((n) => [n.toUpperCase(), n]));
const FAMILY = { "RSASSA-PKCS1-v1_5": "rsa", "RSA-PSS": "rsa", "RSA-OAEP": "rsa", ECDSA: "ec", ECDH: "ec",
  Ed25519: "ed25519" };
const HASH_BITS = { "SHA-1": 512, "SHA-256": 512, "SHA-384": 1024, "SHA-512": 1024 }; // HMAC's default key length

function domError(name, message) {
  return typeof DOMException === "function" ? new DOMException(message, name) : Object.assign(new Error(message), { name });
}
const notSupported = (what) => domError("NotSupportedError", `${what} is not available in wasmhost's JavaScript runtime`);

function normalize(algorithm) {
  const alg = typeof algorithm === "string" ? { name: algorithm } : { ...algorithm };
  const name = CANONICAL.get(String(alg.name).toUpperCase());
  if (!name) throw domError("NotSupportedError", "Unrecognized algorithm name");
  alg.name = name;
  if (alg.hash !== undefined) alg.hash = normalize(alg.hash);
  return alg;
}
const nodeHash = (hash) => hash.name.replace("-", "").toLowerCase(); // SHA-256 -> sha256

function bytes(data) {
  if (data instanceof ArrayBuffer) return Buffer.from(new Uint8Array(data));
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError("The provided value is not of type '(ArrayBuffer or ArrayBufferView)'");
}
function arrayBuffer(buf) {
  const out = new Uint8Array(buf.length);
  out.set(buf);
  return out.buffer;
}
const b64url = (buf) => Buffer.from(buf).toString("base64url");

const KEY = Symbol("keyObject");
export class CryptoKey {
  constructor(type, extractable, algorithm, usages, keyObject) {
    Object.defineProperty(this, KEY, { value: keyObject });
    Object.defineProperties(this, { _type: { value: type }, _extractable: { value: extractable },
      _algorithm: { value: algorithm }, _usages: { value: usages } });
  }
  get type() { return this._type; }
  get extractable() { return this._extractable; }
  get algorithm() { return this._algorithm; }
  get usages() { return this._usages; }
  get [Symbol.toStringTag]() { return "CryptoKey"; }
}

// the key an operation may use: one whose usages name it, of the operation's algorithm
function keyOf(key, usage, names) {
  if (!(key instanceof CryptoKey)) throw new TypeError("parameter 2 is not of type 'CryptoKey'");
  if ((usage && !key.usages.includes(usage)) || (names && !names.includes(key.algorithm.name))) {
    throw domError("InvalidAccessError", usage ? `Unable to use this key to ${usage}`
      : "The requested operation is not valid for the provided key");
  }
  return key[KEY];
}

// The usages each kind of key may carry, checked as Node checks them when a key is imported,
// derived or generated: a private key that could "verify" or an HMAC key that could "encrypt"
// is refused there, so sign/verify never run a key of the wrong type
const SIGN = { public: ["verify"], private: ["sign"] };
const AES = { secret: ["encrypt", "decrypt", "wrapKey", "unwrapKey"] };
const DERIVE = ["deriveKey", "deriveBits"];
const USAGES = { "RSASSA-PKCS1-v1_5": SIGN, "RSA-PSS": SIGN, ECDSA: SIGN, Ed25519: SIGN,
  "RSA-OAEP": { public: ["encrypt", "wrapKey"], private: ["decrypt", "unwrapKey"] },
  ECDH: { public: [], private: DERIVE }, HMAC: { secret: ["sign", "verify"] },
  "AES-GCM": AES, "AES-CBC": AES, "AES-CTR": AES, PBKDF2: { secret: DERIVE }, HKDF: { secret: DERIVE } };

function checkUsages(alg, type, usages, creating) {
  const allowed = USAGES[alg.name]?.[type] ?? [];
  if (usages.some((u) => !allowed.includes(u))) {
    const name = alg.name.startsWith("AES-") ? "AES" : alg.name;
    throw domError("SyntaxError", `Unsupported key usage for ${/^(RSA|HMAC|AES)/.test(name) ? "an" : "a"} ${name} key`);
  }
  if (!usages.length && type !== "public") {
    throw domError("SyntaxError", `Usages cannot be empty when ${creating ? "creating a key" : `importing a ${type} key`}.`);
  }
}

// the algorithm a key carries: its parameters as WebCrypto reports them
function keyAlgorithm(alg, keyObject) {
  const out = { name: alg.name };
  if (alg.hash) out.hash = { name: alg.hash.name };
  if (FAMILY[alg.name] === "rsa") {
    const { modulusLength, publicExponent } = keyObject.asymmetricKeyDetails;
    Object.assign(out, { modulusLength, publicExponent: new Uint8Array(fromBigInt(BigInt(publicExponent))) });
  } else if (FAMILY[alg.name] === "ec") {
    out.namedCurve = CURVE_ALIASES[keyObject.asymmetricKeyDetails.namedCurve];
  } else if (alg.name === "HMAC") {
    out.length = alg.length ?? keyObject.symmetricKeySize * 8;
  } else if (alg.name.startsWith("AES-")) {
    out.length = keyObject.symmetricKeySize * 8;
  }
  return out;
}

function checkFamily(alg, keyObject) {
  const family = FAMILY[alg.name];
  if (!family) return;
  if (keyObject.type === "secret" || keyObject.asymmetricKeyType !== family) {
    throw domError("DataError", "Invalid key data for the algorithm");
  }
  if (family === "ec" && CURVE_ALIASES[keyObject.asymmetricKeyDetails.namedCurve] !== alg.namedCurve) {
    throw domError("DataError", "Named curve mismatch");
  }
}

function importKeyObject(format, data, alg) {
  if (alg.name === "X25519" || alg.name === "AES-KW") throw notSupported(alg.name);
  const secret = alg.name === "HMAC" || alg.name.startsWith("AES-") || alg.name === "PBKDF2" || alg.name === "HKDF";
  if (format === "raw") {
    if (secret) return createSecretKey(bytes(data));
    const raw = bytes(data);
    if (alg.name === "Ed25519") return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(raw) }, format: "jwk" });
    if (raw[0] !== 4) throw notSupported("A compressed elliptic-curve point");
    const size = (raw.length - 1) / 2;
    return createPublicKey({ key: { kty: "EC", crv: alg.namedCurve, x: b64url(raw.subarray(1, 1 + size)),
      y: b64url(raw.subarray(1 + size)) }, format: "jwk" });
  }
  if (format === "jwk") {
    if (data.kty === "oct") {
      if (!secret) throw domError("DataError", "Invalid key data for the algorithm");
      return createSecretKey(Buffer.from(String(data.k), "base64url"));
    }
    return (data.d !== undefined ? createPrivateKey : createPublicKey)({ key: data, format: "jwk" });
  }
  if (format === "spki") return createPublicKey({ key: bytes(data), format: "der", type: "spki" });
  if (format === "pkcs8") return createPrivateKey({ key: bytes(data), format: "der", type: "pkcs8" });
  throw new TypeError(`The provided value '${format}' is not a valid enum value of type KeyFormat.`);
}

// what a JWK says of its own use, which Node holds the import to: "use" (sig or enc), the
// operations it allows (key_ops) and whether it may leave (ext)
function checkJwk(jwk, alg, extractable, usages) {
  const use = ["RSA-OAEP", "ECDH"].includes(alg.name) || alg.name.startsWith("AES-") ? "enc" : "sig";
  if (usages.length && jwk.use !== undefined && jwk.use !== use) throw domError("DataError", 'Invalid JWK "use" Parameter');
  if (Array.isArray(jwk.key_ops) && usages.some((u) => !jwk.key_ops.includes(u))) {
    throw domError("DataError", "Key operations and usage mismatch");
  }
  if (jwk.ext === false && extractable) throw domError("DataError", 'JWK "ext" Parameter and extractable mismatch');
}

function wrap(keyObject, alg, extractable, usages, creating = false) {
  checkFamily(alg, keyObject);
  checkUsages(alg, keyObject.type, usages, creating);
  return new CryptoKey(keyObject.type, !!extractable, keyAlgorithm(alg, keyObject), [...usages], keyObject);
}

// the JOSE name of a key's algorithm, which an exported JWK carries ("alg"), as Node's does
function jwkAlg(algorithm) {
  const bits = algorithm.hash?.name.slice(4);
  switch (algorithm.name) {
    case "HMAC": return `HS${bits}`;
    case "RSASSA-PKCS1-v1_5": return `RS${bits}`;
    case "RSA-PSS": return `PS${bits}`;
    case "RSA-OAEP": return bits === "1" ? "RSA-OAEP" : `RSA-OAEP-${bits}`;
    case "AES-GCM": case "AES-CBC": case "AES-CTR": case "AES-KW":
      return `A${algorithm.length}${algorithm.name.slice(4)}`;
    default: return undefined;
  }
}

function exportKeySync(format, key) {
  if (!key.extractable) throw domError("InvalidAccessError", "key is not extractable");
  const k = key[KEY];
  if (format === "jwk") {
    const jwk = k.type === "secret" ? { kty: "oct", k: b64url(k.export()) } : k.export({ format: "jwk" });
    const alg = jwkAlg(key.algorithm);
    return { ...jwk, ...(alg ? { alg } : {}), key_ops: [...key.usages], ext: true };
  }
  if (format === "raw") {
    if (k.type === "secret") return arrayBuffer(k.export());
    const point = k.type === "public" && keyData(k).pub; // the curve's point (uncompressed), Ed25519's 32 bytes
    if (!point) throw domError("InvalidAccessError", `Unable to export a raw ${key.algorithm.name} ${k.type} key`);
    return arrayBuffer(point);
  }
  if (format === "spki") return arrayBuffer(k.export({ format: "der", type: "spki" }));
  if (format === "pkcs8") return arrayBuffer(k.export({ format: "der", type: "pkcs8" }));
  throw new TypeError(`The provided value '${format}' is not a valid enum value of type KeyFormat.`);
}

// the options Node's sign/verify take for a WebCrypto algorithm
function signing(alg, key) {
  const k = key[KEY];
  switch (key.algorithm.name) {
    case "RSASSA-PKCS1-v1_5": return [nodeHash(key.algorithm.hash), k];
    case "RSA-PSS": return [nodeHash(key.algorithm.hash), { key: k, padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: alg.saltLength }];
    case "ECDSA": return [nodeHash(alg.hash), { key: k, dsaEncoding: "ieee-p1363" }];
    case "Ed25519": return [null, k];
    default: throw domError("InvalidAccessError", "The requested operation is not valid for the provided key");
  }
}

function hmac(key, usage, data) {
  const k = keyOf(key, usage, ["HMAC"]);
  return nodeCrypto.createHmac(nodeHash(key.algorithm.hash), k.export()).update(bytes(data)).digest();
}

function aes(alg, key, decrypt, data) {
  const k = key[KEY];
  const name = `aes-${k.symmetricKeySize * 8}-${alg.name.slice(4).toLowerCase()}`;
  const iv = bytes(alg.name === "AES-CTR" ? alg.counter : alg.iv);
  const Make = decrypt ? Decipheriv : Cipheriv;
  if (alg.name !== "AES-GCM") {
    const c = new Make(name, k.export(), iv);
    return Buffer.concat([c.update(data), c.final()]);
  }
  const tagBytes = (alg.tagLength ?? 128) / 8;
  const c = new Make(name, k.export(), iv, { authTagLength: tagBytes });
  if (alg.additionalData !== undefined) c.setAAD(bytes(alg.additionalData));
  if (!decrypt) {
    const out = Buffer.concat([c.update(data), c.final()]);
    return Buffer.concat([out, c.getAuthTag()]);
  }
  c.setAuthTag(data.subarray(data.length - tagBytes));
  try {
    return Buffer.concat([c.update(data.subarray(0, data.length - tagBytes)), c.final()]);
  } catch {
    throw domError("OperationError", "The operation failed for an operation-specific reason");
  }
}

function oaep(alg, key) {
  return { key: key[KEY], padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: nodeHash(key.algorithm.hash),
    oaepLabel: alg.label !== undefined ? bytes(alg.label) : undefined };
}

function deriveBitsSync(alg, key, length) {
  const k = key[KEY];
  if (alg.name === "ECDH") {
    const secret = diffieHellman({ privateKey: k, publicKey: keyOf(alg.public, null, ["ECDH"]) });
    return length == null ? secret : secret.subarray(0, length / 8);
  }
  if (alg.name === "PBKDF2") return pbkdf2Sync(k.export(), bytes(alg.salt), alg.iterations, length / 8, nodeHash(alg.hash));
  if (alg.name === "HKDF") {
    return Buffer.from(hkdfSync(nodeHash(alg.hash), k.export(), bytes(alg.salt), bytes(alg.info), length / 8));
  }
  throw notSupported(`deriveBits with ${alg.name}`);
}

function generate(alg, extractable, usages) {
  if (alg.name === "HMAC" || alg.name.startsWith("AES-")) {
    if (alg.name === "AES-KW") throw notSupported("AES-KW");
    const bits = alg.length ?? HASH_BITS[alg.hash?.name] ?? 256;
    const raw = new Uint8Array(bits / 8);
    globalThis.crypto.getRandomValues(raw);
    return wrap(createSecretKey(raw), alg, extractable, usages, true);
  }
  let pair;
  if (FAMILY[alg.name] === "rsa") {
    const e = Buffer.from(alg.publicExponent || [1, 0, 1]).reduce((n, b) => n * 256 + b, 0);
    pair = generateKeyPairSync("rsa", { modulusLength: alg.modulusLength, publicExponent: e });
  } else if (FAMILY[alg.name] === "ec") {
    pair = generateKeyPairSync("ec", { namedCurve: alg.namedCurve });
  } else if (alg.name === "Ed25519") {
    pair = generateKeyPairSync("ed25519");
  } else {
    throw notSupported(`generateKey with ${alg.name}`);
  }
  const publicUses = usages.filter((u) => USAGES[alg.name].public.includes(u));
  const privateUses = usages.filter((u) => !publicUses.includes(u));
  return { publicKey: wrap(pair.publicKey, alg, true, publicUses, true),
    privateKey: wrap(pair.privateKey, alg, extractable, privateUses, true) };
}

// each method answers through a promise, as WebCrypto's do, failing by rejecting
const later = (fn) => (...args) => new Promise((resolve) => resolve(fn(...args)));

function makeSubtle(native) {
  return {
    digest: (algorithm, data) => native.digest(algorithm, data),
    importKey: later((format, data, algorithm, extractable, usages) => {
      const alg = normalize(algorithm);
      if (format === "jwk") checkJwk(data, alg, extractable, usages);
      const key = wrap(importKeyObject(format, data, alg), alg, extractable, usages);
      if (format === "jwk" && data.alg !== undefined && jwkAlg(key.algorithm) !== undefined
        && data.alg !== jwkAlg(key.algorithm)) {
        throw domError("DataError", 'JWK "alg" does not match the requested algorithm');
      }
      return key;
    }),
    exportKey: later(exportKeySync),
    generateKey: later((algorithm, extractable, usages) => generate(normalize(algorithm), extractable, usages)),
    sign: later((algorithm, key, data) => {
      const alg = normalize(algorithm);
      if (alg.name === "HMAC") return arrayBuffer(hmac(key, "sign", data));
      keyOf(key, "sign", [alg.name]);
      const [hash, k] = signing(alg, key);
      return arrayBuffer(nodeSign(hash, bytes(data), k));
    }),
    verify: later((algorithm, key, signature, data) => {
      const alg = normalize(algorithm);
      const sig = bytes(signature);
      if (alg.name === "HMAC") {
        const mac = hmac(key, "verify", data);
        return sig.length === mac.length && timingSafeEqual(sig, mac);
      }
      keyOf(key, "verify", [alg.name]);
      const [hash, k] = signing(alg, key);
      try {
        return nodeVerify(hash, bytes(data), k, sig);
      } catch {
        return false; // a signature that cannot be one is not a valid one
      }
    }),
    encrypt: later((algorithm, key, data) => {
      const alg = normalize(algorithm);
      keyOf(key, "encrypt", [alg.name]);
      if (alg.name === "RSA-OAEP") return arrayBuffer(publicEncrypt(oaep(alg, key), bytes(data)));
      return arrayBuffer(aes(alg, key, false, bytes(data)));
    }),
    decrypt: later((algorithm, key, data) => {
      const alg = normalize(algorithm);
      keyOf(key, "decrypt", [alg.name]);
      if (alg.name === "RSA-OAEP") {
        try {
          return arrayBuffer(privateDecrypt(oaep(alg, key), bytes(data)));
        } catch {
          throw domError("OperationError", "The operation failed for an operation-specific reason");
        }
      }
      return arrayBuffer(aes(alg, key, true, bytes(data)));
    }),
    deriveBits: later((algorithm, key, length) => {
      const alg = normalize(algorithm);
      keyOf(key, "deriveBits", [alg.name]);
      return arrayBuffer(deriveBitsSync(alg, key, length));
    }),
    deriveKey: later((algorithm, key, derived, extractable, usages) => {
      const alg = normalize(algorithm);
      keyOf(key, "deriveKey", [alg.name]);
      const target = normalize(derived);
      const length = target.length ?? HASH_BITS[target.hash?.name];
      return wrap(createSecretKey(deriveBitsSync(alg, key, length)), target, extractable, usages);
    }),
    wrapKey: () => Promise.reject(notSupported("wrapKey")),
    unwrapKey: () => Promise.reject(notSupported("unwrapKey")),
  };
}

/** crypto.subtle and CryptoKey as Node's (the engine's digest kept). */
export function installWebCrypto() {
  const native = globalThis.crypto.subtle;
  Object.defineProperty(globalThis.crypto, "subtle", { value: makeSubtle(native), configurable: true, enumerable: true });
  globalThis.CryptoKey = CryptoKey;
  KeyObject.from = (key) => {
    if (!(key instanceof CryptoKey)) throw new TypeError('The "key" argument must be an instance of CryptoKey.');
    return key[KEY];
  };
}
