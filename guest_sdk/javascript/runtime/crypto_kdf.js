// Node's key derivation: pbkdf2Sync/pbkdf2, scryptSync/scrypt and hkdfSync/hkdf over
// @noble/hashes (audited, synchronous), with Node's argument checks and errors.
import { Buffer } from "unenv/node/buffer";
import { pbkdf2 as nobPbkdf2 } from "@noble/hashes/pbkdf2.js";
import { scrypt as nobScrypt } from "@noble/hashes/scrypt.js";
import { hkdf as nobHkdf } from "@noble/hashes/hkdf.js";
import { HASHES, hashName } from "./crypto_sign.js";
import { nodeError } from "./crypto_keys.js";

const toBytes = (data) => (typeof data === "string" ? Buffer.from(data, "utf8")
  : data && typeof data.export === "function" && data.type === "secret" ? data.export()
    : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));

function digest(name) {
  const h = hashName(name);
  if (!h) throw nodeError(TypeError, `Invalid digest: ${name}`, "ERR_CRYPTO_INVALID_DIGEST");
  return HASHES[h];
}

function later(fn, callback) {
  if (typeof callback !== "function") {
    throw nodeError(TypeError, `The "callback" argument must be of type function. Received ${typeof callback}`,
      "ERR_INVALID_ARG_TYPE");
  }
  let result, error = null;
  try { result = fn(); } catch (e) { error = e; }
  setTimeout(() => callback(error, result), 0);
}

export function pbkdf2Sync(password, salt, iterations, keylen, name) {
  const hash = digest(name);
  return Buffer.from(nobPbkdf2(hash, toBytes(password), toBytes(salt), { c: iterations, dkLen: keylen }));
}
export function pbkdf2(password, salt, iterations, keylen, name, callback) {
  const hash = digest(name); // a bad digest throws at once, as in Node
  later(() => Buffer.from(nobPbkdf2(hash, toBytes(password), toBytes(salt), { c: iterations, dkLen: keylen })), callback);
}

function scryptOptions(options = {}) {
  return { N: options.N || options.cost || 16384, r: options.r || options.blockSize || 8,
    p: options.p || options.parallelization || 1, maxmem: options.maxmem || 32 << 20 };
}
export function scryptSync(password, salt, keylen, options) {
  return Buffer.from(nobScrypt(toBytes(password), toBytes(salt), { ...scryptOptions(options), dkLen: keylen }));
}
export function scrypt(password, salt, keylen, options, callback) {
  if (typeof options === "function") [options, callback] = [undefined, options];
  later(() => scryptSync(password, salt, keylen, options), callback);
}

export function hkdfSync(name, ikm, salt, info, keylen) {
  const out = nobHkdf(digest(name), toBytes(ikm), toBytes(salt), toBytes(info), keylen);
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength); // an ArrayBuffer, as Node's
}
export function hkdf(name, ikm, salt, info, keylen, callback) {
  later(() => hkdfSync(name, ikm, salt, info, keylen), callback);
}
