// `require("zlib")`: gzip, deflate (zlib-wrapped and raw) and unzip, synchronous and with
// callbacks (util.promisify works on them), by fflate, a pure-JavaScript implementation
// (unenv's zlib only throws). Streams (createGzip, ...) and brotli stay unenv's, which
// fail naming the function when called.
import * as unenv from "unenv/node/zlib";
import { Buffer } from "unenv/node/buffer";
import { gzipSync, gunzipSync, zlibSync, unzlibSync, deflateSync, inflateSync } from "fflate";

const base = unenv.default !== undefined ? unenv.default : unenv;

function bytes(data) {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('The "buffer" argument must be of type string or an instance of Buffer, TypedArray, '
    + `DataView, or ArrayBuffer. Received ${data === null ? "null" : typeof data}`);
}

function zlibError(e) {
  // Node's codes and messages for corrupt input (Z_DATA_ERROR, errno -3)
  const err = new Error(/header|invalid/.test(String(e && e.message)) ? "incorrect header check"
    : "unexpected end of file");
  err.errno = -3;
  err.code = "Z_DATA_ERROR";
  return err;
}

const level = (opts) => (opts && opts.level !== undefined && opts.level >= 0 ? { level: opts.level } : {});

function sync(fn, withLevel) {
  return (data, opts) => {
    const input = bytes(data);
    let out;
    try {
      out = withLevel ? fn(input, level(opts)) : fn(input);
    } catch (e) {
      throw zlibError(e);
    }
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  };
}

function callback(fn) {
  return (data, opts, cb) => {
    if (typeof opts === "function") {
      cb = opts;
      opts = {};
    }
    let result, error = null;
    try {
      result = fn(data, opts);
    } catch (e) {
      error = e;
    }
    queueMicrotask(() => (error ? cb(error) : cb(null, result)));
  };
}

const isGzip = (b) => b.length > 1 && b[0] === 0x1f && b[1] === 0x8b;
const ops = {
  // a gzip header as Node writes it: mtime 0 (fflate's default is the time now), so the
  // same input gives the same bytes on every call, as in Node
  gzipSync: sync((input, opts) => gzipSync(input, { ...opts, mtime: 0 }), true),
  gunzipSync: sync(gunzipSync, false),
  deflateSync: sync(zlibSync, true),
  inflateSync: sync(unzlibSync, false),
  deflateRawSync: sync(deflateSync, true),
  inflateRawSync: sync(inflateSync, false),
  unzipSync: sync((b) => (isGzip(b) ? gunzipSync(b) : unzlibSync(b)), false),
};
// zlib.crc32(data[, value]) (Node 20.15): the AWS SDK's S3 checksums use it when present
let table = null;
function crc32(data, value = 0) {
  if (table === null) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let crc = ~value;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
const zlib = { ...base, ...ops, crc32 };
for (const name of Object.keys(ops)) zlib[name.slice(0, -4)] = callback(ops[name]);
// for the streams a function's bundle adds (bundled/zlib.cjs): the same words for corrupt input
Object.defineProperty(zlib, Symbol.for("wasmhost.zlibError"), { value: zlibError });
export default zlib;
