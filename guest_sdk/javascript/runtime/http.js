// Node's `http`/`https` client (`request`, `get`, `Agent`) over the host's outbound HTTP
// (fetchSync: the function's allow-list, TLS and metering are the host's), for handlers that
// call an API with `https.request` (cfn-response, webhooks, Slack/Teams notifications).
// The rest of each module (STATUS_CODES, METHODS, ...) is unenv's; a server cannot listen
// in the sandbox and fails on use, naming why.
//
// The request is sent when `end()` is called; its events ('response', then the body's
// 'data' and 'end', or 'error') come from timers, so the handler has attached its listeners
// first and a callback handler's answer waits for them, as on Node.
import { EventEmitter } from "unenv/node/events";
import { Buffer } from "unenv/node/buffer";
import { fetchSync } from "./wasmhost_sdk.js";

const later = (fn) => globalThis.setTimeout(fn, 0); // the runtime's Node-like timers (runtime.js)

class IncomingMessage extends EventEmitter {
  constructor(response, req) {
    super();
    this.statusCode = response.status;
    this.statusMessage = response.statusText;
    this.httpVersion = "1.1";
    this.httpVersionMajor = 1;
    this.httpVersionMinor = 1;
    this.headers = {};
    this.rawHeaders = [];
    for (const [k, v] of response.headers) {
      this.headers[k] = k === "set-cookie" ? v.split(/,(?=\s*[^;,=\s]+=)/).map((c) => c.trim()) : v;
      this.rawHeaders.push(k, v);
    }
    this.trailers = {};
    this.url = "";
    this.method = null;
    this.req = req;
    this.complete = false;
    this.readable = true;
    this._body = Buffer.from(response._take());
    this._encoding = null;
    this._flowing = null; // null: not yet read; false: paused ('readable'); true: flowing ('data')
    this._taken = false; // whether the body has been handed out (one 'data' event or read())
  }
  setEncoding(enc) { this._encoding = enc; return this; }
  _chunk() { return this._encoding ? this._body.toString(this._encoding) : this._body; }
  _end() {
    if (this.complete) return;
    this.complete = true;
    this.readable = false;
    this.emit("end");
    this.emit("close");
  }
  // flowing: the body as one 'data' event, then 'end'
  _flow() {
    if (this._flowing !== null) return;
    this._flowing = true;
    later(() => {
      if (this._body.length && !this._taken) this.emit("data", this._chunk());
      this._taken = true;
      this._end();
    });
  }
  // paused, as a 'readable' listener reads it (got): 'readable', then read() gives the body
  // once and null after it, then 'end'
  on(event, fn) {
    super.on(event, fn);
    if (event === "data") this._flow();
    else if (event === "readable" && this._flowing === null) {
      this._flowing = false;
      later(() => this.emit("readable"));
    }
    return this;
  }
  resume() {
    if (this._flowing === false) this._flowing = null; // paused: now it flows
    this._flow();
    return this;
  }
  pause() { return this; }
  read() {
    if (!this._taken && this._body.length) {
      this._taken = true;
      return this._chunk();
    }
    this._taken = true;
    later(() => this._end());
    return null;
  }
  get readableLength() { return this._taken ? 0 : this._body.length; }
  pipe(dest) {
    this.on("data", (c) => dest.write(c));
    this.on("end", () => { if (typeof dest.end === "function" && dest !== process.stdout) dest.end(); });
    return dest;
  }
  destroy() { this._flowing = false; return this; }
  async *[Symbol.asyncIterator]() {
    if (this._body.length) yield this._chunk();
  }
}

function splitArgs(defaultProtocol, args) {
  let url, options = {}, cb;
  for (const a of args) {
    if (typeof a === "function") cb = a;
    else if (typeof a === "string" || a instanceof URL) url = new URL(String(a));
    else if (a && typeof a === "object") options = { ...options, ...a };
  }
  const protocol = options.protocol || (url ? url.protocol : defaultProtocol);
  const host = options.hostname || (options.host ? String(options.host).replace(/:\d+$/, "") : null)
    || (url ? url.hostname : "localhost");
  const port = options.port || (url ? url.port : "");
  const path = options.path || (url ? url.pathname + url.search : "/");
  const target = `${protocol}//${host.includes(":") ? `[${host}]` : host}${port ? `:${port}` : ""}${path}`;
  const headers = {};
  if (url && url.username) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`;
  if (options.auth) headers.authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
  for (const [k, v] of Object.entries(options.headers || {})) headers[k.toLowerCase()] = v;
  return { target, method: String(options.method || "GET").toUpperCase(), headers, cb, timeout: options.timeout };
}

class ClientRequest extends EventEmitter {
  constructor(spec) {
    super();
    this._spec = spec;
    this._headers = spec.headers;
    this._chunks = [];
    this.method = spec.method;
    this.path = new URL(spec.target).pathname;
    this.host = new URL(spec.target).hostname;
    this.protocol = new URL(spec.target).protocol;
    this.finished = false;
    this.writable = true; // a writable stream until end(), as Node's (got tells a request from a response so)
    this.writableEnded = false;
    this.aborted = false;
    this.destroyed = false;
    this.reusedSocket = false;
    this.socket = new EventEmitter();
    Object.assign(this.socket, { setTimeout() {}, setNoDelay() {}, setKeepAlive() {}, destroy() {}, end() {} });
    if (spec.cb) this.once("response", spec.cb);
    later(() => this.emit("socket", this.socket));
  }
  setHeader(name, value) { this._headers[String(name).toLowerCase()] = value; return this; }
  getHeader(name) { return this._headers[String(name).toLowerCase()]; }
  getHeaders() { return { ...this._headers }; }
  getHeaderNames() { return Object.keys(this._headers); }
  hasHeader(name) { return String(name).toLowerCase() in this._headers; }
  removeHeader(name) { delete this._headers[String(name).toLowerCase()]; }
  flushHeaders() {}
  setNoDelay() {}
  setSocketKeepAlive() {}
  setTimeout(ms, cb) { if (cb) this.once("timeout", cb); return this; } // the invocation's deadline bounds it
  write(chunk, enc, cb) {
    if (typeof enc === "function") [cb, enc] = [enc, undefined];
    if (chunk !== undefined && chunk !== null) this._chunks.push(typeof chunk === "string" ? Buffer.from(chunk, enc || "utf8") : Buffer.from(chunk));
    if (cb) later(cb);
    return true;
  }
  end(chunk, enc, cb) {
    if (typeof chunk === "function") [cb, chunk] = [chunk, undefined];
    if (typeof enc === "function") [cb, enc] = [enc, undefined];
    if (this.writableEnded) return this;
    if (chunk !== undefined && chunk !== null) this.write(chunk, enc);
    this.writableEnded = this.finished = true;
    this.writable = false;
    later(() => this._send(cb));
    return this;
  }
  _send(cb) {
    if (this.aborted || this.destroyed) return;
    const body = this._chunks.length ? Buffer.concat(this._chunks) : undefined;
    const headers = {};
    for (const [k, v] of Object.entries(this._headers)) headers[k] = Array.isArray(v) ? v.join(", ") : String(v);
    let response;
    try {
      response = fetchSync(this._spec.target, { method: this.method, headers, body, redirect: "manual" });
    } catch (e) {
      const err = e.cause instanceof Error ? e.cause : e; // the socket's error, in Node's words
      this.destroyed = true;
      this.emit("error", err);
      this.emit("close");
      return;
    }
    if (cb) cb();
    this.emit("finish");
    const res = new IncomingMessage(response, this);
    this.res = res;
    if (!this.emit("response", res)) res.resume(); // Node discards an unread body
    later(() => this.emit("close"));
  }
  abort() { this.aborted = true; this.destroy(); }
  destroy(err) {
    this.destroyed = true;
    if (err) later(() => this.emit("error", err));
    return this;
  }
}

class Agent extends EventEmitter {
  constructor(options = {}) {
    super();
    this.options = options;
    this.keepAlive = !!options.keepAlive;
    this.maxSockets = options.maxSockets || Infinity;
    this.sockets = {};
    this.requests = {};
  }
  destroy() {}
}

// A server can be made (libraries read its defaults: Node 20's timeout is 0) but not listen.
class Server extends EventEmitter {
  constructor() {
    super();
    Object.assign(this, { timeout: 0, keepAliveTimeout: 5000, headersTimeout: 60000, requestTimeout: 300000,
      maxHeadersCount: null, listening: false });
  }
  listen() {
    throw new Error("a server cannot listen in wasmhost's WebAssembly sandbox: a function is invoked through the "
      + "Lambda API or an HTTP trigger (/http/<function>/...), not by its own socket");
  }
  close(cb) { if (cb) later(cb); return this; }
  address() { return null; }
  setTimeout(ms) { this.timeout = ms; return this; }
}

// Node's header checks (node-fetch 3's Headers call them; bundled/http.cjs's messages too),
// with Node's codes and words
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
function nodeTypeError(code, message) {
  return Object.assign(new TypeError(message), { code });
}
function validateHeaderName(name, label = "Header name") {
  if (typeof name !== "string" || !TOKEN.test(name)) {
    throw nodeTypeError("ERR_INVALID_HTTP_TOKEN", `${label} must be a valid HTTP token ["${name}"]`);
  }
}
function validateHeaderValue(name, value) {
  if (value === undefined) throw nodeTypeError("ERR_HTTP_INVALID_HEADER_VALUE", `Invalid value "${value}" for header "${name}"`);
  for (const v of Array.isArray(value) ? value : [value]) {
    if (INVALID_VALUE.test(String(v))) throw nodeTypeError("ERR_INVALID_CHAR", `Invalid character in header content ["${name}"]`);
  }
}

export function client(base, defaultProtocol) {
  const request = (...args) => new ClientRequest(splitArgs(defaultProtocol, args));
  const get = (...args) => {
    const req = request(...args);
    req.end();
    return req;
  };
  const agent = new Agent({ keepAlive: true });
  return { ...base, request, get, Agent, globalAgent: agent, ClientRequest, IncomingMessage, Server,
    createServer: () => new Server(), validateHeaderName, validateHeaderValue };
}
