// Node's elliptic-curve Diffie-Hellman: createECDH(curve) (web-push encrypts notification
// payloads with it) and crypto.diffieHellman({ privateKey, publicKey }) for EC KeyObjects,
// by @noble/curves. The shared secret is the x coordinate of the shared point, as in Node.
import { Buffer } from "unenv/node/buffer";
import { CURVES, CURVE_ALIASES, keyData, nodeError } from "./crypto_keys.js";

const toBytes = (data, enc) => (typeof data === "string" ? Buffer.from(data, enc)
  : new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
const out = (bytes, enc) => (enc && enc !== "buffer" ? Buffer.from(bytes).toString(enc) : Buffer.from(bytes));

function curveOf(name) {
  const curve = CURVES[name] ? name : CURVE_ALIASES[name];
  if (!curve) throw nodeError(TypeError, "Invalid EC curve name", "ERR_CRYPTO_INVALID_CURVE");
  return CURVES[curve];
}

function shared(c, privateKey, publicKey) {
  let point;
  try {
    point = c.impl.getSharedSecret(privateKey, publicKey, false);
  } catch {
    throw nodeError(Error, "Public key is not valid for specified curve", "ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY");
  }
  return point.subarray(1, 1 + c.size);
}

class ECDH {
  constructor(name) { this._c = curveOf(name); }
  generateKeys(enc, format) {
    this.setPrivateKey(this._c.impl.utils.randomSecretKey());
    return this.getPublicKey(enc, format);
  }
  setPrivateKey(key, enc) {
    this._d = Buffer.from(toBytes(key, enc));
    this._pub = this._c.impl.getPublicKey(this._d, false);
    return this;
  }
  getPrivateKey(enc) { return out(this._d, enc); }
  getPublicKey(enc, format) {
    if (!this._pub) throw nodeError(Error, "Failed to get ECDH public key", "ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY");
    const bytes = format === "compressed" ? this._c.impl.Point.fromBytes(this._pub).toBytes(true) : this._pub;
    return out(bytes, enc);
  }
  computeSecret(other, inEnc, outEnc) {
    return out(shared(this._c, this._d, toBytes(other, inEnc)), outEnc);
  }
}

export const createECDH = (name) => new ECDH(name);

export function diffieHellman({ privateKey, publicKey }) {
  const a = keyData(privateKey), b = keyData(publicKey);
  if (a.kind !== "ec" || b.kind !== "ec" || a.curve !== b.curve) {
    throw nodeError(Error, "Incompatible key types for Diffie-Hellman: ec and ec", "ERR_CRYPTO_INCOMPATIBLE_KEY");
  }
  return Buffer.from(shared(CURVES[a.curve], a.d, b.pub));
}
