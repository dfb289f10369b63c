// What a JavaScript function reaches through the host's capabilities (wasmhost/capabilities):
//
//   const r = await fetch(url, { method, headers, body, redirect })   // outbound HTTP (allowed_hosts)
//   const r = wasmhost.fetchSync(url, init)                           // the same, for sync handlers
//   wasmhost.kv.get(key) -> Uint8Array | null; .set(key, value); .delete(key) -> bool; .keys(prefix) -> [key]
//   wasmhost.kv.store("sessions")                                     // a named store (kv_stores)
//
// The host makes the request (the guest has no sockets), checks the allow-list and does
// TLS; a refusal is a TypeError (as fetch's network errors are) whose message names the host
// and the setting to change. Bytes cross the component boundary as latin-1 strings.
import { httpSend, kvGet, kvSet, kvDelete, kvKeys } from "wasmhost:runtime/host@0.1.0";

function toLatin1(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  }
  return s;
}

function fromLatin1(s) {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function utf8(s) {
  return new TextEncoder().encode(String(s));
}

function bodyBytes(body) {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (typeof body === "string") return utf8(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (typeof URLSearchParams !== "undefined" && body instanceof URLSearchParams) return utf8(body.toString());
  throw new TypeError("fetch: unsupported body type");
}

class WasmhostHeaders {
  constructor(init) {
    this._map = new Map();
    if (init instanceof WasmhostHeaders) init = [...init.entries()];
    // pairs, or a Headers (the engine's too: fetch(url, { headers: new Headers(...) })), or a record
    if (init && typeof init[Symbol.iterator] === "function") for (const [k, v] of init) this.append(k, v);
    else if (init) for (const k of Object.keys(init)) this.append(k, init[k]);
  }
  append(k, v) {
    const key = String(k).toLowerCase();
    this._map.set(key, this._map.has(key) ? this._map.get(key) + ", " + v : String(v));
  }
  set(k, v) { this._map.set(String(k).toLowerCase(), String(v)); }
  get(k) { const v = this._map.get(String(k).toLowerCase()); return v === undefined ? null : v; }
  has(k) { return this._map.has(String(k).toLowerCase()); }
  delete(k) { this._map.delete(String(k).toLowerCase()); }
  entries() { return this._map.entries(); }
  keys() { return this._map.keys(); }
  values() { return this._map.values(); }
  forEach(f) { for (const [k, v] of this._map) f(v, k, this); }
  [Symbol.iterator]() { return this._map.entries(); }
}

class WasmhostResponse {
  constructor(status, statusText, headers, bytes, url, redirected) {
    this.status = status;
    this.statusText = statusText;
    this.ok = status >= 200 && status < 300;
    this.headers = new WasmhostHeaders(headers);
    this._pairs = headers; // as the server sent them: each Set-Cookie its own
    this.url = url;
    this.redirected = redirected;
    this._bytes = bytes;
    this.bodyUsed = false;
  }
  _take() {
    if (this.bodyUsed) throw new TypeError("body already used");
    this.bodyUsed = true;
    return this._bytes;
  }
  textSync() { return new TextDecoder().decode(this._take()); }
  text() { return Promise.resolve().then(() => this.textSync()); }
  json() { return this.text().then((t) => JSON.parse(t)); }
  arrayBuffer() { return Promise.resolve().then(() => this._take().slice().buffer); }
  bytes() { return Promise.resolve().then(() => this._take().slice()); }
}

// Why a request got no answer, as Node's socket error says it (fetch's `cause`, the http
// client's 'error'): a refused connection is ECONNREFUSED, a name that does not resolve
// ENOTFOUND, anything else ECONNRESET; a host the function may not call is ECONNREFUSED in
// the host's own words, which name the allow-list (deny by default, said plainly)
const denied = (message) => /allowed_hosts/.test(message);

function connectError(url, message) {
  const { hostname, port, protocol } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, "");
  const at = port || (protocol === "https:" ? "443" : "80");
  const [code, errno, syscall, text] = /refused/i.test(message)
    ? ["ECONNREFUSED", -111, "connect", denied(message) ? message : `connect ECONNREFUSED ${host}:${at}`]
    : /not known|resolve|ENOTFOUND|getaddrinfo|Name or service/i.test(message)
      ? ["ENOTFOUND", -3008, "getaddrinfo", `getaddrinfo ENOTFOUND ${host}`]
      : ["ECONNRESET", -104, "read", message];
  const err = Object.assign(new Error(text), { errno, code, syscall });
  if (code === "ENOTFOUND") err.hostname = host;
  else Object.assign(err, { address: host, port: Number(at) });
  return err;
}

function fetchSync(input, init = {}) {
  const url = typeof input === "string" ? input : String(input.url || input);
  const method = String(init.method || "GET").toUpperCase();
  const headers = [...new WasmhostHeaders(init.headers || {}).entries()];
  const redirect = init.redirect || "follow";
  const [status, head, body] = httpSend(method, url, JSON.stringify(headers),
                                        toLatin1(bodyBytes(init.body)), redirect === "follow");
  const doc = JSON.parse(head);
  if (status === 0) {
    throw new TypeError(denied(doc.message) ? `fetch failed: ${doc.message}` : "fetch failed",
      { cause: connectError(url, doc.message) });
  }
  return new WasmhostResponse(status, doc.reason, doc.headers, fromLatin1(body), doc.url, doc.url !== url);
}

// fetch() answers with the engine's own Response, as Node's fetch answers with undici's: a
// `Response` (instanceof), with a `body` stream, blob(), clone() (which the engine's Response
// lacks: the bytes are at hand), its url and redirected; a Request given to it sends its own
// method, headers and body, as Node's fetch does.
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
function fetched(raw) {
  const res = new Response(NULL_BODY.has(raw.status) ? null : raw.bytes.slice(),
    { status: raw.status, statusText: raw.statusText, headers: raw.headers });
  return Object.defineProperties(res, { url: { value: raw.url }, redirected: { value: raw.redirected },
    type: { value: "basic" }, clone: { value() {
      if (this.bodyUsed) throw new TypeError("Response.clone: Body has already been consumed.");
      return fetched(raw);
    } } });
}

async function fetch(input, init) {
  if (typeof Request === "function" && input instanceof Request) {
    const body = input.method === "GET" || input.method === "HEAD" ? undefined : new Uint8Array(await input.arrayBuffer());
    init = { method: input.method, headers: [...input.headers], redirect: input.redirect, body, ...init };
    input = input.url;
  }
  const r = fetchSync(input, init);
  if (typeof Response !== "function" || Response === WasmhostResponse) return r;
  return fetched({ status: r.status, statusText: r.statusText, headers: r._pairs, bytes: r._take(), url: r.url,
    redirected: r.redirected });
}

class KVError extends Error {
  constructor(message) {
    super(message);
    this.name = "KVError";
    this.kind = message.split(":")[0];
  }
}

function check([code, data]) {
  if (code === -2) throw new KVError(data);
  return [code, data];
}

class Store {
  constructor(name = "") { this.name = name; }
  get(key) {
    const [code, data] = check(kvGet(this.name, String(key)));
    return code === 1 ? fromLatin1(data) : null;
  }
  getText(key) {
    const v = this.get(key);
    return v === null ? null : new TextDecoder().decode(v);
  }
  set(key, value) {
    check(kvSet(this.name, String(key), toLatin1(bodyBytes(value))));
  }
  delete(key) { return check(kvDelete(this.name, String(key)))[0] === 1; }
  keys(prefix = "") { return JSON.parse(check(kvKeys(this.name, String(prefix)))[1]); }
  store(name) { return new Store(name); }
}

export const kv = new Store();
export { fetch, fetchSync, KVError };

globalThis.fetch = fetch;
if (typeof globalThis.Headers === "undefined") globalThis.Headers = WasmhostHeaders;
if (typeof globalThis.Response === "undefined") globalThis.Response = WasmhostResponse;
globalThis.wasmhost = { kv, fetchSync, KVError };
