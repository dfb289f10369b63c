// Node's `http` as a function's bundle sees it: the runtime's module (the client over the
// host's outbound HTTP, STATUS_CODES, METHODS, ...) with Node's server-side message classes,
// IncomingMessage, OutgoingMessage and ServerResponse, built on the same streams the
// function's `stream` is (readable-stream: Node's own, with data flow).
//
// Adapters that run a web framework in Lambda (serverless-http, @vendia/serverless-express,
// @codegenie/serverless-express) subclass these and drive them as Node's HTTP server would:
// a request whose body the subclass pushes, a response given a socket whose `write` receives
// the serialised header block (`_header`, "HTTP/1.1 200 OK\r\n...\r\n\r\n") and then the body,
// chunked when no length is known, and 'finish' once everything is written. Express,
// finalhandler and on-finished read the same internals (`_header`, `headersSent`, `finished`,
// `getHeaders()`), so this follows Node 20's lib/_http_outgoing.js, lib/_http_server.js and
// lib/_http_incoming.js in behaviour. Written here because unenv's classes (what the runtime
// has) are placeholders without data flow; nothing packaged provides Node's.
"use strict";
const base = require("node:http");
const { Readable, Stream } = require("stream");

const CRLF = "\r\n";
const HIGH_WATER_MARK = 16 * 1024;

function nodeError(Kind, code, message) {
  const e = new Kind(message);
  e.code = code;
  return e;
}
const headersSent = (action) => nodeError(Error, "ERR_HTTP_HEADERS_SENT",
  `Cannot ${action} headers after they are sent to the client`);

const checkName = base.validateHeaderName; // the runtime's (runtime/http.js), in Node's words
const checkValue = base.validateHeaderValue;

// Node's message classes are functions, not classes: light-my-request (fastify's inject, which
// @fastify/aws-lambda answers through) calls `http.ServerResponse.call(this, req)` as Node's
// own code does, which a class refuses. Each is a function constructor; `methods` (a class
// body, for its getters and setters) gives its prototype the methods.
function inherits(F, Base, methods) {
  Object.setPrototypeOf(F.prototype, Base.prototype);
  Object.setPrototypeOf(F, Base);
  const own = Object.getOwnPropertyDescriptors(methods.prototype);
  delete own.constructor;
  Object.defineProperties(F.prototype, own);
}

const byteLength = (chunk, encoding) => (typeof chunk === "string"
  ? Buffer.byteLength(chunk, encoding || "utf8") : chunk.byteLength);

// Node's IncomingMessage: a readable stream of the body, with the request's line and headers
function IncomingMessage(socket) {
  Readable.call(this, socket && socket.readableHighWaterMark ? { highWaterMark: socket.readableHighWaterMark } : undefined);
  this.socket = socket;
  this.client = socket;
  this._headers = null;
  this.rawHeaders = [];
  this._trailers = null;
  this.rawTrailers = [];
  this.joinDuplicateHeaders = false;
  this.aborted = false;
  this.upgrade = null;
  this.url = "";
  this.method = null;
  this.statusCode = null;
  this.statusMessage = null;
  this.complete = false;
  this.httpVersionMajor = null;
  this.httpVersionMinor = null;
  this.httpVersion = null;
  this._consuming = false;
  this._dumped = false;
}
inherits(IncomingMessage, Readable, class {
  get connection() { return this.socket; }
  set connection(value) { this.socket = value; }
  get headers() {
    if (!this._headers) this._headers = fromRaw(this.rawHeaders);
    return this._headers;
  }
  set headers(value) { this._headers = value; }
  get trailers() {
    if (!this._trailers) this._trailers = fromRaw(this.rawTrailers);
    return this._trailers;
  }
  set trailers(value) { this._trailers = value; }
  get headersDistinct() { return distinct(this.headers); }
  get trailersDistinct() { return distinct(this.trailers); }
  setTimeout(msecs, callback) {
    if (callback) this.on("timeout", callback);
    return this;
  }
  // what Node's parser calls with a message's header lines (trailers once it is complete)
  _addHeaderLines(lines, n) {
    if (!lines || !lines.length) return;
    const trailers = this.complete;
    if (trailers) this.rawTrailers = lines;
    else this.rawHeaders = lines;
    const dest = trailers ? this._trailers : this._headers;
    if (dest) for (let i = 0; i + 1 < n; i += 2) addHeaderLine(lines[i], lines[i + 1], dest);
  }
  _addHeaderLine(field, value, dest) { addHeaderLine(field, value, dest); }
  _read() { this._consuming = true; } // the body is pushed by whoever made the message
  _dump() {
    if (!this._dumped) {
      this._dumped = true;
      this.removeAllListeners("data");
      this.resume();
    }
  }
  _destroy(error, callback) {
    if (!this.readableEnded || !this.complete) this.aborted = true;
    callback(error);
  }
});
// Node's rules for a repeated header: these keep the first value, set-cookie is a list,
// cookie joins with "; " and every other with ", "
const SINGLE = new Set(["content-type", "content-length", "user-agent", "referer", "host", "authorization",
  "proxy-authorization", "if-modified-since", "if-unmodified-since", "from", "location", "max-forwards",
  "retry-after", "etag", "last-modified", "server", "age", "expires"]);
function addHeaderLine(field, value, dest) {
  const key = String(field).toLowerCase();
  if (key === "set-cookie") (dest[key] ??= []).push(value);
  else if (!(key in dest)) dest[key] = value;
  else if (!SINGLE.has(key)) dest[key] += `${key === "cookie" ? "; " : ", "}${value}`;
}
function fromRaw(raw) {
  const headers = {};
  for (let i = 0; i + 1 < raw.length; i += 2) addHeaderLine(raw[i], raw[i + 1], headers);
  return headers;
}
function distinct(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers || {})) out[k] = Array.isArray(v) ? [...v] : [String(v)];
  return out;
}

// Node's OutgoingMessage: headers kept until the first write, then serialised into `_header`
// and sent ahead of the body through the socket (or kept in outputData until one is assigned)
function OutgoingMessage() {
  Stream.call(this);
  this.outputData = [];
  this.outputSize = 0;
  this.writable = true;
  this.destroyed = false;
  this._last = false;
  this.chunkedEncoding = false;
  this.shouldKeepAlive = true;
  this.maxRequestsOnConnectionReached = false;
  this._defaultKeepAlive = true;
  this.useChunkedEncodingByDefault = true;
  this.sendDate = false;
  this._removedConnection = false;
  this._removedContLen = false;
  this._removedTE = false;
  this.strictContentLength = false;
  this._contentLength = null;
  this._hasBody = true;
  this._trailer = "";
  this.finished = false;
  this._headerSent = false;
  this._closed = false;
  this.socket = null;
  this._header = null;
  this._outHeaders = null;
  this._onPendingData = () => {};
}
inherits(OutgoingMessage, Stream, class {
  get connection() { return this.socket; }
  set connection(value) { this.socket = value; }
  get headersSent() { return !!this._header; }
  get writableEnded() { return this.finished; }
  get writableFinished() {
    return this.finished && this.outputSize === 0 && (!this.socket || !this.socket.writableLength);
  }
  get writableObjectMode() { return false; }
  get writableLength() { return this.outputSize + (this.socket ? this.socket.writableLength || 0 : 0); }
  get writableHighWaterMark() { return HIGH_WATER_MARK; }
  get writableCorked() { return 0; }
  get writableNeedDrain() { return false; }
  // the deprecated views Node still serves (serverless-http and older libraries read them)
  get _headers() { return this.getHeaders(); }
  set _headers(value) {
    this._outHeaders = null;
    if (value && typeof value === "object") for (const k of Object.keys(value)) this.setHeader(k, value[k]);
  }
  get _headerNames() {
    const names = {};
    for (const [key, [name]] of Object.entries(this._outHeaders || {})) names[key] = name;
    return names;
  }

  setHeader(name, value) {
    if (this._header) throw headersSent("set");
    checkName(name);
    checkValue(name, value);
    (this._outHeaders ??= Object.create(null))[name.toLowerCase()] = [name, value];
    return this;
  }
  setHeaders(headers) {
    if (this._header) throw headersSent("set");
    for (const [k, v] of headers instanceof Map || (typeof Headers !== "undefined" && headers instanceof Headers)
      ? headers.entries() : Object.entries(headers)) this.setHeader(k, v);
    return this;
  }
  appendHeader(name, value) {
    if (this._header) throw headersSent("append");
    checkName(name);
    checkValue(name, value);
    const key = name.toLowerCase(), entry = (this._outHeaders ??= Object.create(null))[key];
    if (!entry) return this.setHeader(name, value);
    entry[1] = [...(Array.isArray(entry[1]) ? entry[1] : [entry[1]]), ...(Array.isArray(value) ? value : [value])];
    return this;
  }
  getHeader(name) {
    if (typeof name !== "string") throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "name" argument must be of type string');
    const entry = this._outHeaders && this._outHeaders[name.toLowerCase()];
    return entry && entry[1];
  }
  getHeaderNames() { return this._outHeaders ? Object.keys(this._outHeaders) : []; }
  getRawHeaderNames() { return this._outHeaders ? Object.values(this._outHeaders).map(([n]) => n) : []; }
  getHeaders() {
    const out = Object.create(null);
    for (const key of this.getHeaderNames()) out[key] = this._outHeaders[key][1];
    return out;
  }
  hasHeader(name) { return !!(this._outHeaders && this._outHeaders[String(name).toLowerCase()]); }
  removeHeader(name) {
    if (this._header) throw headersSent("remove");
    const key = String(name).toLowerCase();
    if (key === "content-length") this._removedContLen = true;
    else if (key === "transfer-encoding") this._removedTE = true;
    else if (key === "connection") this._removedConnection = true;
    else if (key === "date") this.sendDate = false;
    if (this._outHeaders) delete this._outHeaders[key];
  }

  // the header block, and whether the body goes chunked (Node's _storeHeader, less keep-alive timers)
  _storeHeader(firstLine, headers) {
    const state = { connection: false, contLen: false, te: false, date: false, trailer: false };
    let header = firstLine;
    const add = (name, value) => {
      for (const v of Array.isArray(value) ? value : [value]) {
        checkValue(name, v);
        header += `${name}: ${v}${CRLF}`;
        const key = name.toLowerCase();
        if (key === "connection") state.connection = true;
        else if (key === "content-length") state.contLen = true;
        else if (key === "transfer-encoding") {
          state.te = true;
          if (/(?:^|\W)chunked\s*$/i.test(String(v))) this.chunkedEncoding = true;
        } else if (key === "date") state.date = true;
        else if (key === "trailer") state.trailer = true;
      }
    };
    if (headers === this._outHeaders) {
      for (const key in headers) add(headers[key][0], headers[key][1]);
    } else if (Array.isArray(headers)) {
      const pairs = headers.length && Array.isArray(headers[0]) ? headers : [];
      if (!pairs.length) for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([headers[i], headers[i + 1]]);
      for (const [k, v] of pairs) add(k, v);
    } else if (headers) {
      for (const key of Object.keys(headers)) add(key, headers[key]);
    }
    if (this.sendDate && !state.date) header += `Date: ${new Date().toUTCString()}${CRLF}`;
    if (!state.connection) {
      header += this.shouldKeepAlive ? `Connection: keep-alive${CRLF}` : `Connection: close${CRLF}`;
      if (!this.shouldKeepAlive) this._last = true;
    }
    if (!state.contLen && !state.te) {
      if (!this._hasBody) {
        // no body: no length either
      } else if (!this.useChunkedEncodingByDefault) {
        this._last = true;
      } else if (!state.trailer && !this._removedContLen && typeof this._contentLength === "number") {
        header += `Content-Length: ${this._contentLength}${CRLF}`;
      } else if (!this._removedTE) {
        header += `Transfer-Encoding: chunked${CRLF}`;
        this.chunkedEncoding = true;
      } else {
        this._last = true;
      }
    }
    this._header = header + CRLF;
    this._headerSent = false;
  }
  _implicitHeader() {
    throw nodeError(Error, "ERR_METHOD_NOT_IMPLEMENTED", "The _implicitHeader() method is not implemented");
  }

  // the header block goes out ahead of the first data written
  _send(data, encoding, callback) {
    if (!this._headerSent && this._header !== null) {
      if (typeof data === "string" && (!encoding || encoding === "utf8" || encoding === "latin1")) {
        data = this._header + data;
      } else {
        this.outputData.unshift({ data: this._header, encoding: "latin1", callback: null });
        this.outputSize += this._header.length;
      }
      this._headerSent = true;
    }
    return this._writeRaw(data, encoding, callback);
  }
  _writeRaw(data, encoding, callback) {
    const conn = this.socket;
    if (conn && conn.destroyed) return false;
    if (typeof encoding === "function") [callback, encoding] = [encoding, null];
    if (conn && conn._httpMessage === this && conn.writable) {
      if (this.outputData.length) this._flushOutput(conn);
      return conn.write(data, encoding, callback);
    }
    this.outputData.push({ data, encoding, callback });
    this.outputSize += data.length;
    return this.outputSize < HIGH_WATER_MARK;
  }
  _flushOutput(socket) {
    const pending = this.outputData;
    this.outputData = [];
    this.outputSize = 0;
    let ret = true;
    for (const { data, encoding, callback } of pending) ret = socket.write(data, encoding, callback);
    return ret;
  }
  _flush() {
    const socket = this.socket;
    if (socket && socket.writable) {
      const ret = this._flushOutput(socket);
      if (this.finished) this._finish();
      else if (ret) this.emit("drain");
    }
  }
  _finish() { this.emit("prefinish"); }

  write(chunk, encoding, callback) {
    if (typeof encoding === "function") [callback, encoding] = [encoding, null];
    return this._write_(chunk, encoding, callback, false);
  }
  _write_(chunk, encoding, callback, fromEnd) {
    if (this.destroyed || this.finished) {
      const err = this.destroyed ? nodeError(Error, "ERR_STREAM_DESTROYED", "Cannot call write after a stream was destroyed")
        : nodeError(Error, "ERR_STREAM_WRITE_AFTER_END", "write after end");
      process.nextTick(() => {
        if (callback) callback(err);
        if (!this.destroyed) this.emit("error", err);
      });
      return false;
    }
    if (chunk === null) throw nodeError(TypeError, "ERR_STREAM_NULL_VALUES", "May not write null values to stream");
    if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) {
      throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE",
        'The "chunk" argument must be of type string or an instance of Buffer or Uint8Array');
    }
    if (!this._header) {
      if (fromEnd) this._contentLength = byteLength(chunk, encoding);
      this._implicitHeader();
    }
    if (!this._hasBody) { // HEAD, 204, 304: the body is dropped, as Node drops it
      if (callback) process.nextTick(callback);
      return true;
    }
    if (this.chunkedEncoding && byteLength(chunk, encoding) !== 0) {
      this._send(byteLength(chunk, encoding).toString(16), "latin1", null);
      this._send(CRLF, "latin1", null);
      this._send(chunk, encoding, null);
      return this._send(CRLF, "latin1", callback);
    }
    return this._send(chunk, encoding, callback);
  }
  end(chunk, encoding, callback) {
    if (typeof chunk === "function") [callback, chunk, encoding] = [chunk, null, null];
    else if (typeof encoding === "function") [callback, encoding] = [encoding, null];
    if (chunk) {
      if (this.finished) {
        this._write_(chunk, encoding, callback, true);
        return this;
      }
      this._write_(chunk, encoding, null, true);
    } else if (this.finished) {
      if (typeof callback === "function") {
        if (!this.writableFinished) this.on("finish", callback);
        else callback(nodeError(Error, "ERR_STREAM_ALREADY_FINISHED", "Cannot call end after a stream was finished"));
      }
      return this;
    } else if (!this._header) {
      this._contentLength = 0;
      this._implicitHeader();
    }
    if (typeof callback === "function") this.once("finish", callback);
    const finish = () => { if (!(this.socket && this.socket._hadError)) this.emit("finish"); };
    if (this._hasBody && this.chunkedEncoding) this._send(`0${CRLF}${this._trailer}${CRLF}`, "latin1", finish);
    else if (!this._headerSent || this.outputSize || chunk) this._send("", "latin1", finish);
    else process.nextTick(finish);
    this.finished = true;
    if (this.outputData.length === 0 && this.socket && this.socket._httpMessage === this) this._finish();
    return this;
  }
  addTrailers(headers) {
    this._trailer = "";
    for (const [name, value] of Array.isArray(headers) ? headers : Object.entries(headers)) {
      checkName(name, "Trailer name");
      checkValue(name, value);
      this._trailer += `${name}: ${value}${CRLF}`;
    }
  }
  flushHeaders() {
    if (!this._header) this._implicitHeader();
    this._send("");
  }
  cork() { if (this.socket && typeof this.socket.cork === "function") this.socket.cork(); }
  uncork() { if (this.socket && typeof this.socket.uncork === "function") this.socket.uncork(); }
  setTimeout(msecs, callback) { // the invocation's deadline bounds a response
    if (callback) this.on("timeout", callback);
    return this;
  }
  destroy(error) {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (this.socket && typeof this.socket.destroy === "function") this.socket.destroy(error);
    else if (error) process.nextTick(() => this.emit("error", error));
    return this;
  }
});

// Node's ServerResponse: a status line, Date, and the request's method deciding the body
function ServerResponse(req, options) {
  OutgoingMessage.call(this, options);
  this.req = req;
  if (req && req.method === "HEAD") this._hasBody = false;
  this.sendDate = true;
  this._sent100 = false;
  this._expect_continue = false;
  this.statusCode = 200;
  this.statusMessage = undefined;
  if (req && req.httpVersionMajor !== undefined && (req.httpVersionMajor < 1 || req.httpVersionMinor < 1)) {
    this.useChunkedEncodingByDefault = /(?:^|\W)chunked(?:$|\W)/i.test((req.headers || {}).te || "");
    this.shouldKeepAlive = false;
  }
}
inherits(ServerResponse, OutgoingMessage, class {
  assignSocket(socket) {
    if (socket._httpMessage) throw nodeError(Error, "ERR_HTTP_SOCKET_ASSIGNED", "ServerResponse has an already assigned socket");
    socket._httpMessage = this;
    this.socket = socket;
    this.emit("socket", socket);
    this._flush();
  }
  detachSocket(socket) {
    socket._httpMessage = null;
    this.socket = null;
  }
  _implicitHeader() { this.writeHead(this.statusCode); }
  writeHead(statusCode, reason, obj) {
    if (this._header) throw headersSent("write");
    const code = statusCode | 0;
    if (code < 100 || code > 999) {
      throw nodeError(RangeError, "ERR_HTTP_INVALID_STATUS_CODE", `Invalid status code: ${statusCode}`);
    }
    if (typeof reason === "string") this.statusMessage = reason;
    else {
      this.statusMessage ||= base.STATUS_CODES[code] || "unknown";
      obj ??= reason;
    }
    this.statusCode = code;
    let headers;
    if (this._outHeaders) {
      if (Array.isArray(obj)) {
        for (let i = 0; i + 1 < obj.length; i += 2) this.appendHeader(obj[i], obj[i + 1]);
      } else if (obj) {
        for (const k of Object.keys(obj)) if (k) this.setHeader(k, obj[k]);
      }
      headers = this._outHeaders;
    } else {
      headers = obj;
    }
    if (/[\r\n]/.test(this.statusMessage)) throw nodeError(TypeError, "ERR_INVALID_CHAR", "Invalid character in statusMessage");
    if (code === 204 || code === 304 || (code >= 100 && code <= 199)) this._hasBody = false;
    this._storeHeader(`HTTP/1.1 ${code} ${this.statusMessage}${CRLF}`, headers);
    return this;
  }
  writeContinue(callback) {
    this._writeRaw(`HTTP/1.1 100 Continue${CRLF}${CRLF}`, "ascii", callback);
    this._sent100 = true;
  }
  writeProcessing(callback) { this._writeRaw(`HTTP/1.1 102 Processing${CRLF}${CRLF}`, "ascii", callback); }
  writeEarlyHints(hints, callback) {
    let head = `HTTP/1.1 103 Early Hints${CRLF}`;
    for (const [k, v] of Object.entries(hints || {})) head += `${k}: ${Array.isArray(v) ? v.join(", ") : v}${CRLF}`;
    this._writeRaw(head + CRLF, "ascii", callback);
  }
});

const http = { ...base, IncomingMessage, OutgoingMessage, ServerResponse };
module.exports = http;
