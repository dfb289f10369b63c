// Node's createCipheriv/createDecipheriv for AES (-cbc, -ecb, -ctr, -cfb, -gcm; 128, 192
// and 256-bit keys) over @noble/ciphers (audited, synchronous). Streaming as OpenSSL does
// it: block modes hand back whole blocks from update() (a decipher keeps the last one for
// the padding check in final()), CTR and GCM every byte at once; GCM's tag is checked in
// final(). Errors carry Node's messages and codes.
import { Buffer } from "unenv/node/buffer";
import { cbc, ecb, ctr, cfb } from "@noble/ciphers/aes.js";
import { ghash } from "@noble/ciphers/_polyval.js";
import { nodeError } from "./crypto_keys.js";

const MODES = ["cbc", "ecb", "ctr", "cfb", "gcm"];
const ALIASES = { aes128: "aes-128-cbc", aes192: "aes-192-cbc", aes256: "aes-256-cbc",
  "id-aes128-gcm": "aes-128-gcm", "id-aes192-gcm": "aes-192-gcm", "id-aes256-gcm": "aes-256-gcm" };

export const CIPHERS = [128, 192, 256].flatMap((b) => MODES.map((m) => `aes-${b}-${m}`))
  .concat(Object.keys(ALIASES)).sort();

const toBytes = (data, enc) => (typeof data === "string" ? Buffer.from(data, enc || "utf8")
  : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));
const keyBytes = (key) => (key && typeof key.export === "function" && key.type === "secret" ? key.export() : toBytes(key));
const out = (bytes, enc) => (enc && enc !== "buffer" ? Buffer.from(bytes).toString(enc) : Buffer.from(bytes));
const ossl = (reason, hex) => nodeError(Error, `error:${hex}:Provider routines::${reason}`,
  `ERR_OSSL_${reason.toUpperCase().replace(/ /g, "_")}`, { library: "Provider routines", reason });
const authFailed = () => new Error("Unsupported state or unable to authenticate data");
const invalidState = (op) => nodeError(Error, op ? `Invalid state for operation ${op}` : "Invalid state",
  "ERR_CRYPTO_INVALID_STATE");

// GHASH's input: each part zero-padded to 16 bytes, then the 64-bit bit lengths
function gcmBlocks(parts, lengths) {
  const padded = (n) => Math.ceil(n / 16) * 16;
  const out = new Uint8Array(parts.reduce((n, p) => n + padded(p.length), 0) + 16);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += padded(p.length); }
  const view = new DataView(out.buffer);
  view.setUint32(at + 4, lengths[0] * 8);
  view.setUint32(at + 12, lengths[1] * 8);
  return out;
}

// the counter block after `blocks` increments (128-bit big-endian)
function addCounter(iv, blocks) {
  const c = Uint8Array.from(iv);
  for (let i = 15, carry = blocks; i >= 0 && carry > 0; i--) {
    const v = c[i] + (carry % 256);
    c[i] = v & 255;
    carry = Math.floor(carry / 256) + (v >> 8);
  }
  return c;
}

class CipherBase {
  constructor(algorithm, key, iv, options, decrypt) {
    const name = String(algorithm).toLowerCase();
    const m = /^aes-(128|192|256)-(cbc|ecb|ctr|cfb|gcm)$/.exec(ALIASES[name] || name);
    if (!m) throw nodeError(Error, "Unknown cipher", "ERR_CRYPTO_UNKNOWN_CIPHER");
    this._mode = m[2];
    this._key = keyBytes(key);
    if (this._key.length * 8 !== Number(m[1])) throw nodeError(RangeError, "Invalid key length", "ERR_CRYPTO_INVALID_KEYLEN");
    this._iv = iv === null || iv === undefined ? new Uint8Array(0) : toBytes(iv);
    const ivOk = this._mode === "ecb" ? this._iv.length === 0 : this._mode === "gcm" ? this._iv.length > 0
      : this._iv.length === 16;
    if (!ivOk) throw nodeError(TypeError, "Invalid initialization vector", "ERR_CRYPTO_INVALID_IV");
    this._decrypt = decrypt;
    this._padding = true;
    this._pending = new Uint8Array(0); // block modes: bytes not yet a whole block
    this._offset = 0; // stream modes: bytes done
    this._finished = false;
    this._authTagLength = (options && options.authTagLength) || 16;
    if (this._mode === "gcm") {
      this._aad = new Uint8Array(0);
      this._text = []; // GCM: the ciphertext, for the tag
      this._h = this._aes(new Uint8Array(16));
      // the pre-counter block: IV || 0^31 || 1 for 96-bit IVs, else GHASH of the IV
      this._j0 = this._iv.length === 12 ? Uint8Array.from([...this._iv, 0, 0, 0, 1])
        : ghash(gcmBlocks([this._iv], [0, this._iv.length]), this._h);
      this._counter = addCounter(this._j0, 1);
    }
  }

  _aes(block) { return ecb(this._key, { disablePadding: true }).encrypt(block); }

  // GCM's tag (NIST SP 800-38D): E(K, J0) xor GHASH(AAD, ciphertext, their lengths)
  _gcmTag() {
    const text = Buffer.concat(this._text);
    const s = ghash(gcmBlocks([this._aad, text], [this._aad.length, text.length]), this._h);
    return this._aes(this._j0).map((b, i) => b ^ s[i]);
  }

  setAutoPadding(on = true) { this._padding = on; return this; }

  setAAD(aad) {
    if (this._mode !== "gcm") throw invalidState("setAAD");
    this._aad = toBytes(aad);
    return this;
  }

  update(data, inEnc, outEnc) {
    if (this._finished) throw invalidState();
    const input = toBytes(data, inEnc);
    return out(this._mode === "cbc" || this._mode === "ecb" ? this._blocks(input) : this._stream(input), outEnc);
  }

  // CBC/ECB: whole blocks now; a decipher with padding keeps the last block for final()
  _blocks(input) {
    const all = new Uint8Array(this._pending.length + input.length);
    all.set(this._pending);
    all.set(input, this._pending.length);
    let n = all.length - (all.length % 16);
    if (this._decrypt && this._padding && n === all.length) n -= 16;
    if (n <= 0) { this._pending = all; return new Uint8Array(0); }
    this._pending = all.slice(n);
    return this._run(all.subarray(0, n), false);
  }

  _run(bytes, pad) {
    const opts = { disablePadding: !pad };
    const c = this._mode === "ecb" ? ecb(this._key, opts) : cbc(this._key, this._iv, opts);
    const result = this._decrypt ? c.decrypt(bytes) : c.encrypt(bytes);
    // CBC's chain: the next IV is the last ciphertext block
    if (this._mode === "cbc" && bytes.length) this._iv = (this._decrypt ? bytes : result).slice(-16);
    return result;
  }

  // CTR/CFB/GCM: every byte at once, from the keystream at the current offset
  _stream(input) {
    if (!input.length) return input;
    const skip = this._offset % 16, block = (this._offset - skip) / 16;
    const padded = new Uint8Array(skip + input.length);
    padded.set(input, skip);
    let result;
    if (this._mode === "cfb") {
      // CFB's feedback is the ciphertext, so it is run on the whole message so far
      this._text = this._text || [];
      this._text.push(input);
      const all = Buffer.concat(this._text);
      const c = cfb(this._key, this._iv);
      const whole = this._decrypt ? c.decrypt(all) : c.encrypt(all);
      result = whole.subarray(all.length - input.length);
    } else {
      const counter = this._mode === "gcm" ? addCounter(this._counter, block) : addCounter(this._iv, block);
      result = ctr(this._key, counter).encrypt(padded).subarray(skip);
      if (this._mode === "gcm") this._text.push(this._decrypt ? input : result);
    }
    this._offset += input.length;
    return result;
  }

  final(outEnc) {
    if (this._finished) throw invalidState();
    this._finished = true;
    let result = new Uint8Array(0);
    if (this._mode === "cbc" || this._mode === "ecb") {
      const rest = this._pending;
      if (this._decrypt) {
        if (rest.length % 16 || (this._padding && rest.length === 0)) {
          throw ossl("wrong final block length", "1C80006B");
        }
        if (rest.length) {
          result = this._run(rest, false);
          if (this._padding) {
            const p = result[result.length - 1];
            if (p < 1 || p > 16 || result.subarray(result.length - p).some((b) => b !== p)) {
              throw ossl("bad decrypt", "1C800064");
            }
            result = result.subarray(0, result.length - p);
          }
        }
      } else if (this._padding) {
        result = this._run(rest, true);
      } else if (rest.length % 16) {
        throw ossl("wrong final block length", "1C80006B");
      } else if (rest.length) {
        result = this._run(rest, false);
      }
    } else if (this._mode === "gcm") {
      this._finishGcm();
    }
    return out(result, outEnc);
  }
}

export class Cipheriv extends CipherBase {
  constructor(algorithm, key, iv, options) { super(algorithm, key, iv, options, false); }
  _finishGcm() { this._tag = this._gcmTag().subarray(0, this._authTagLength); }
  getAuthTag() {
    if (!this._tag) throw invalidState("getAuthTag");
    return Buffer.from(this._tag);
  }
}

export class Decipheriv extends CipherBase {
  constructor(algorithm, key, iv, options) { super(algorithm, key, iv, options, true); }
  setAuthTag(tag) {
    if (this._mode !== "gcm" || this._finished) throw invalidState("setAuthTag");
    const t = toBytes(tag);
    if (t.length < 4 || t.length > 16) {
      throw nodeError(TypeError, `Invalid authentication tag length: ${t.length}`, "ERR_CRYPTO_INVALID_AUTH_TAG");
    }
    this._tag = t;
    return this;
  }
  _finishGcm() {
    if (!this._tag) throw authFailed();
    const expected = this._gcmTag();
    let diff = 0;
    for (let i = 0; i < this._tag.length; i++) diff |= expected[i] ^ this._tag[i];
    if (diff) throw authFailed();
  }
}
