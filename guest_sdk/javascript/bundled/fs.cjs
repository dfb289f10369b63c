// Node's `fs` as a function's bundle sees it: the runtime's module (the function's files,
// its layers' and a writable /tmp: runtime/fs.js) with Node's file streams,
// createReadStream and createWriteStream, over the function's `stream` (readable-stream).
// Express's res.sendFile and res.download (the `send` package), static file middleware and
// code that pipes a file read or written in /tmp go through these. The runtime's files are
// in memory, so a stream reads its file whole when it opens and hands it out in Node's
// 64 KiB chunks (and `start` / `end` as Node counts them: both inclusive).
"use strict";
const base = require("node:fs");
const { Readable, Writable } = require("stream");

let nextFd = 20; // a number where Node gives the file's descriptor (no code reads through it here)
const options = (opts) => (typeof opts === "string" ? { encoding: opts } : opts || {});

// what Node's file streams do once their file is open
function opened(stream, callback) {
  stream.fd = nextFd++;
  stream.pending = false;
  callback();
  stream.emit("open", stream.fd);
  stream.emit("ready");
}

class ReadStream extends Readable {
  constructor(path, opts) {
    opts = options(opts);
    super({ highWaterMark: opts.highWaterMark || 64 * 1024, encoding: opts.encoding, signal: opts.signal,
      emitClose: opts.emitClose !== false, autoDestroy: opts.autoClose !== false });
    Object.assign(this, { path: typeof path === "string" ? path : String(path), flags: opts.flags || "r",
      mode: opts.mode === undefined ? 0o666 : opts.mode, start: opts.start, end: opts.end, fd: null, bytesRead: 0,
      pending: true });
    this._at = opts.start || 0;
  }
  _construct(callback) {
    try {
      this._data = base.readFileSync(this.path);
    } catch (e) {
      return callback(e);
    }
    opened(this, callback);
  }
  _read(size) {
    const end = Math.min(this.end === undefined ? Infinity : this.end + 1, this._data.length);
    if (this._at >= end) {
      this.push(null);
      return;
    }
    const chunk = this._data.subarray(this._at, Math.min(this._at + size, end));
    this._at += chunk.length;
    this.bytesRead += chunk.length;
    this.push(chunk);
  }
  close(callback) {
    if (callback) this.once("close", callback);
    this.destroy();
  }
}

class WriteStream extends Writable {
  constructor(path, opts) {
    opts = options(opts);
    super({ highWaterMark: opts.highWaterMark, decodeStrings: true, signal: opts.signal,
      emitClose: opts.emitClose !== false, autoDestroy: opts.autoClose !== false });
    Object.assign(this, { path: typeof path === "string" ? path : String(path), flags: opts.flags || "w",
      mode: opts.mode === undefined ? 0o666 : opts.mode, fd: null, bytesWritten: 0, pending: true });
    this._encoding = opts.encoding || "utf8";
  }
  _construct(callback) {
    try {
      if (this.flags.startsWith("w")) base.writeFileSync(this.path, "");
      else base.appendFileSync(this.path, "");
    } catch (e) {
      return callback(e);
    }
    opened(this, callback);
  }
  _write(chunk, encoding, callback) {
    try {
      base.appendFileSync(this.path, chunk);
      this.bytesWritten += chunk.length;
      callback();
    } catch (e) {
      callback(e);
    }
  }
  close(callback) {
    if (callback) this.once("close", callback);
    this.end();
  }
}

const createReadStream = (path, opts) => new ReadStream(path, opts);
const createWriteStream = (path, opts) => new WriteStream(path, opts);
module.exports = { ...base, ReadStream, WriteStream, createReadStream, createWriteStream };
