// DER (the subset of ASN.1 that key files use) and PEM, for crypto_keys.js: reading and
// writing SubjectPublicKeyInfo, PKCS#8, PKCS#1 and SEC1 keys byte for byte as OpenSSL
// does. Written here (~70 lines) because the key structures are fixed and small, and the
// ASN.1 libraries (asn1.js with bn.js, @peculiar/asn1-schema with its three dependencies)
// would each be larger than the keys code they serve.
import { Buffer } from "unenv/node/buffer";

export const SEQ = 0x30, INT = 0x02, BITS = 0x03, OCTETS = 0x04, NULL = 0x05, OID = 0x06;

export class DerError extends Error {}

// one TLV at `pos`: { tag, body, raw (the whole TLV), end }
export function readTLV(bytes, pos = 0) {
  if (pos + 2 > bytes.length) throw new DerError("truncated");
  const tag = bytes[pos];
  let len = bytes[pos + 1];
  let at = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || at + n > bytes.length) throw new DerError("bad length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[at + i];
    at += n;
  }
  if (at + len > bytes.length) throw new DerError("truncated");
  return { tag, body: bytes.subarray(at, at + len), raw: bytes.subarray(pos, at + len), end: at + len };
}

// the TLVs inside a constructed value
export function children(body) {
  const out = [];
  for (let pos = 0; pos < body.length;) {
    const t = readTLV(body, pos);
    out.push(t);
    pos = t.end;
  }
  return out;
}

// a SEQUENCE's elements, checking the tag
export function sequence(bytes) {
  const t = readTLV(bytes);
  if (t.tag !== SEQ) throw new DerError("wrong tag");
  return children(t.body);
}

export const toBigInt = (b) => (b.length ? BigInt(`0x${Buffer.from(b).toString("hex")}`) : 0n);

export function fromBigInt(n, size = 0) {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const raw = Buffer.from(hex, "hex");
  if (raw.length >= size) return raw;
  return Buffer.concat([Buffer.alloc(size - raw.length), raw]);
}

export function oidString(body) {
  const parts = [Math.floor(body[0] / 40), body[0] % 40];
  let v = 0;
  for (let i = 1; i < body.length; i++) {
    v = v * 128 + (body[i] & 0x7f);
    if (!(body[i] & 0x80)) { parts.push(v); v = 0; }
  }
  return parts.join(".");
}

// writing: tlv(tag, ...parts) with parts Uint8Arrays
export function tlv(tag, ...parts) {
  const body = Buffer.concat(parts.map((p) => Buffer.from(p)));
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff]
    : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

export function int(n) {
  const raw = typeof n === "bigint" ? fromBigInt(n) : Buffer.from([n]);
  return tlv(INT, raw.length && raw[0] & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw.length ? raw : [0]);
}

export function oid(text) {
  const p = text.split(".").map(Number);
  const out = [p[0] * 40 + p[1]];
  for (const v of p.slice(2)) {
    const b = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) b.unshift((x & 0x7f) | 0x80);
    out.push(...b);
  }
  return tlv(OID, out);
}

export const bits = (bytes) => tlv(BITS, [0], bytes);

// PEM: the first block's label and DER bytes, or null when the text holds none
export function pemDecode(text) {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) return null;
  const headers = /^[\w-]+:/m.test(m[2]);
  return { label: m[1], der: Buffer.from(m[2].replace(/\s+/g, ""), "base64"), encrypted: headers };
}

export function pemEncode(label, der) {
  const b64 = Buffer.from(der).toString("base64").match(/.{1,64}/g).join("\n");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
