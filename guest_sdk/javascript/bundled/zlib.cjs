// Node's `zlib` as a function's bundle sees it: the runtime's module (gzip, deflate and
// unzip, synchronous and with callbacks) with Node's streams, createGzip, createDeflate,
// createGunzip, createInflate, createUnzip and the raw forms, as Transform streams over the
// function's `stream` (readable-stream) and fflate's streaming codecs (the pure-JavaScript
// implementation the runtime's synchronous functions use). Express's `compression`
// middleware and hapi compress responses through these; body parsers inflate requests.
// Brotli stays the runtime's (it fails naming the function).
"use strict";
const base = require("node:zlib");
const { Transform } = require("stream");
const fflate = require("fflate");

// Node's codes and messages for corrupt input (Z_DATA_ERROR, errno -3): the runtime's own
const zlibError = base[Symbol.for("wasmhost.zlibError")];
const bytes = (chunk) => (chunk instanceof Uint8Array ? chunk : Buffer.from(chunk));
const EMPTY = new Uint8Array(0);

class ZlibStream extends Transform {
  constructor(opts, Codec) {
    super(opts);
    this._opts = opts || {};
    const level = this._opts.level;
    // mtime 0 in a gzip header, as Node writes it
    this._codec = new Codec({ mtime: 0, ...(level !== undefined && level >= 0 && level <= 9 ? { level } : {}) });
    this._codec.ondata = (data) => {
      if (data.length) this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    };
    this.bytesWritten = 0; // the input taken so far, as Node counts it
    this._level = level;
    this._strategy = this._opts.strategy;
  }
  _transform(chunk, encoding, callback) {
    try {
      this.bytesWritten += chunk.length;
      if (chunk.length) this._codec.push(bytes(chunk), false);
    } catch (e) {
      return callback(zlibError(e));
    }
    callback();
  }
  _flush(callback) {
    try {
      this._codec.push(EMPTY, true);
    } catch (e) {
      return callback(zlibError(e));
    }
    callback();
  }
  // what was written so far comes out now (Z_SYNC_FLUSH): `compression`'s res.flush()
  flush(kind, callback) {
    if (typeof kind === "function") callback = kind;
    this.write(EMPTY, () => {
      if (typeof this._codec.flush === "function") this._codec.flush(true);
      if (typeof callback === "function") callback();
    });
  }
  params(level, strategy, callback) {
    this._level = level;
    this._strategy = strategy;
    if (typeof callback === "function") process.nextTick(callback);
  }
  reset() {}
  close(callback) {
    if (typeof callback === "function") this.once("close", callback);
    this.destroy();
  }
}

const classes = {};
const factories = {};
for (const [name, Codec] of [["Gzip", fflate.Gzip], ["Gunzip", fflate.Gunzip], ["Deflate", fflate.Zlib],
  ["Inflate", fflate.Unzlib], ["DeflateRaw", fflate.Deflate], ["InflateRaw", fflate.Inflate],
  ["Unzip", fflate.Decompress]]) {
  classes[name] = { [name]: class extends ZlibStream {
    constructor(opts) { super(opts, Codec); }
  } }[name];
  factories[`create${name}`] = (opts) => new classes[name](opts);
}

module.exports = { ...base, ...classes, ...factories };
