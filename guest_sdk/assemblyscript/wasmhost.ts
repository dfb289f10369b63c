// wasmhost.ts: the wasmhost guest SDK for AssemblyScript (core ABI v1, see ../ABI.md).
//
//   import { log, register } from "<path>/wasmhost";
//   export { wasmhost_alloc, wasmhost_handle } from "<path>/wasmhost";
//   function handle(event: Uint8Array): Uint8Array { log("got an event"); return event; }
//   register(handle);
//
// Build: wasmhost build handler.ts
//   = asc handler.ts -O3 --runtime incremental --use abort= -o handler.wasm
// The incremental GC runtime frees what invocations allocate, so a warm instance
// does not grow without end.

// @ts-ignore: decorator
@external("wasmhost", "log") declare function host_log(ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("wasmhost", "error") declare function host_error(tptr: usize, tlen: i32, mptr: usize, mlen: i32): void;
// @ts-ignore: decorator
@external("wasmhost", "context") declare function host_context(ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("wasmhost", "remaining_ms") declare function host_remaining_ms(): i64;

// @ts-ignore: decorator
@external("wasmhost", "http_request") declare function host_http_request(ptr: usize, len: i32): i32;
// @ts-ignore: decorator
@external("wasmhost", "http_reply") declare function host_http_reply(ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("wasmhost", "kv_get") declare function host_kv_get(sp: usize, sl: i32, kp: usize, kl: i32): i32;
// @ts-ignore: decorator
@external("wasmhost", "kv_set") declare function host_kv_set(sp: usize, sl: i32, kp: usize, kl: i32, vp: usize, vl: i32): i32;
// @ts-ignore: decorator
@external("wasmhost", "kv_delete") declare function host_kv_delete(sp: usize, sl: i32, kp: usize, kl: i32): i32;
// @ts-ignore: decorator
@external("wasmhost", "kv_keys") declare function host_kv_keys(sp: usize, sl: i32, pp: usize, pl: i32): i32;
// @ts-ignore: decorator
@external("wasmhost", "kv_reply") declare function host_kv_reply(ptr: usize, cap: i32): i32;

let handler: (event: Uint8Array) => Uint8Array = (e: Uint8Array): Uint8Array => e;
let input: Uint8Array = new Uint8Array(0);
let output: Uint8Array = new Uint8Array(0);

/** Set the function that handles each event. */
export function register(fn: (event: Uint8Array) => Uint8Array): void {
  handler = fn;
}

/** A line in the invocation's log. */
export function log(text: string): void {
  const bytes = String.UTF8.encode(text);
  host_log(changetype<usize>(bytes), bytes.byteLength);
}

/** Milliseconds left before the invocation's timeout. */
export function remainingMs(): i64 {
  return host_remaining_ms();
}

/** Report a function error (Lambda's errorType / errorMessage); return the result. */
export function fail(errorType: string, message: string): Uint8Array {
  const t = String.UTF8.encode(errorType);
  const m = String.UTF8.encode(message);
  host_error(changetype<usize>(t), t.byteLength, changetype<usize>(m), m.byteLength);
  return new Uint8Array(0);
}

/** The invocation context as msgpack bytes (see ABI.md for its keys). */
export function contextRaw(): Uint8Array {
  const n = host_context(0, 0);
  const buf = new Uint8Array(n);
  host_context(buf.dataStart, n);
  return buf;
}

export function utf8(text: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(text));
}

export function wasmhost_alloc(n: i32): usize {
  input = new Uint8Array(n);
  return input.dataStart;
}

export function wasmhost_handle(ptr: usize, len: i32): i64 {
  output = handler(input.subarray(0, len));
  return (<i64>output.dataStart << 32) | <i64>output.byteLength;
}

// ---- msgpack, as much as the capabilities need ---------------------------------------------
class MsgPack {
  bytes: u8[] = [];
  head(small: u8, base8: u8, len: i32): void {
    if (small != 0 && len < 32) this.bytes.push(small | <u8>len);
    else if (len < 256) { this.bytes.push(base8); this.bytes.push(<u8>len); }
    else if (len < 65536) { this.bytes.push(base8 + 1); this.bytes.push(<u8>(len >> 8)); this.bytes.push(<u8>len); }
    else {
      this.bytes.push(base8 + 2);
      this.bytes.push(<u8>(len >> 24)); this.bytes.push(<u8>(len >> 16));
      this.bytes.push(<u8>(len >> 8)); this.bytes.push(<u8>len);
    }
  }
  raw(b: Uint8Array): void { for (let i = 0; i < b.length; i++) this.bytes.push(b[i]); }
  str(s: string): void { const b = utf8(s); this.head(0xa0, 0xd9, b.length); this.raw(b); }
  bin(b: Uint8Array): void { this.head(0, 0xc4, b.length); this.raw(b); }
  done(): Uint8Array { const out = new Uint8Array(this.bytes.length); for (let i = 0; i < out.length; i++) out[i] = this.bytes[i]; return out; }
}

function mpLen(p: Uint8Array, i: i32, n: i32): i32 {
  let v = 0;
  for (let k = 0; k < n; k++) v = (v << 8) | p[i + k];
  return v;
}

function mpSkip(p: Uint8Array, i: i32): i32 {
  if (i >= p.length) return p.length;
  const c = p[i];
  if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) return i + 1;
  if ((c & 0xe0) == 0xa0) return i + 1 + (c & 0x1f);
  if ((c & 0xf0) == 0x80 || (c & 0xf0) == 0x90) {
    let items = (c & 0x0f) * ((c & 0xf0) == 0x80 ? 2 : 1);
    let j = i + 1;
    while (items-- > 0) j = mpSkip(p, j);
    return j;
  }
  if (c == 0xcc || c == 0xd0) return i + 2;
  if (c == 0xcd || c == 0xd1) return i + 3;
  if (c == 0xce || c == 0xd2 || c == 0xca) return i + 5;
  if (c == 0xcf || c == 0xd3 || c == 0xcb) return i + 9;
  if (c == 0xd9 || c == 0xc4) return i + 2 + p[i + 1];
  if (c == 0xda || c == 0xc5) return i + 3 + mpLen(p, i + 1, 2);
  if (c == 0xdb || c == 0xc6) return i + 5 + mpLen(p, i + 1, 4);
  if (c == 0xdc || c == 0xde) {
    let items = mpLen(p, i + 1, 2) * (c == 0xde ? 2 : 1);
    let j = i + 3;
    while (items-- > 0) j = mpSkip(p, j);
    return j;
  }
  return p.length;
}

function mpBytes(p: Uint8Array, i: i32): Uint8Array {
  const c = p[i];
  if ((c & 0xe0) == 0xa0) return p.subarray(i + 1, i + 1 + (c & 0x1f));
  if (c == 0xd9 || c == 0xc4) return p.subarray(i + 2, i + 2 + p[i + 1]);
  if (c == 0xda || c == 0xc5) return p.subarray(i + 3, i + 3 + mpLen(p, i + 1, 2));
  if (c == 0xdb || c == 0xc6) return p.subarray(i + 5, i + 5 + mpLen(p, i + 1, 4));
  return new Uint8Array(0);
}

/** Where a field's value starts in a msgpack map with string keys, or -1. */
function mpField(map: Uint8Array, key: string): i32 {
  if (map.length == 0 || (map[0] & 0xf0) != 0x80) return -1;
  let items = map[0] & 0x0f;
  let i = 1;
  while (items-- > 0 && i < map.length) {
    const value = mpSkip(map, i);
    if (String.UTF8.decode(mpBytes(map, i).slice().buffer) == key) return value;
    i = mpSkip(map, value);
  }
  return -1;
}

// ---- outbound HTTP (the function's allowed_hosts; see ABI.md) -------------------------------
export class Response {
  /** The HTTP status, or 0 when the host refused or the request failed. */
  status: i32 = 0;
  body: Uint8Array = new Uint8Array(0);
  /** Status 0: "Refused", "TooLarge", "ConnectionError" or "InvalidRequest", and why. */
  error: string = "";
  message: string = "";
  /** The whole msgpack reply (headers, reason, final url). */
  reply: Uint8Array = new Uint8Array(0);
}

/** Send a request through the host (redirects followed, each hop checked by the host).
 *  headers: name, value, name, value, ... */
export function fetch(method: string, url: string, headers: string[], body: Uint8Array): Response {
  const w = new MsgPack();
  w.bytes.push(0x85);
  w.str("method"); w.str(method);
  w.str("url"); w.str(url);
  w.str("follow"); w.bytes.push(0xc3);
  w.str("headers");
  const pairs = headers.length / 2;
  w.bytes.push(0xdc); w.bytes.push(<u8>(pairs >> 8)); w.bytes.push(<u8>pairs);
  for (let i = 0; i < pairs; i++) { w.bytes.push(0x92); w.str(headers[i * 2]); w.str(headers[i * 2 + 1]); }
  w.str("body"); w.bin(body);
  const req = w.done();
  const n = host_http_request(req.dataStart, req.length);
  const reply = new Uint8Array(n);
  host_http_reply(reply.dataStart, n);
  const r = new Response();
  r.reply = reply;
  const s = mpField(reply, "status");
  if (s >= 0) {
    const c = reply[s];
    r.status = c <= 0x7f ? c : (c == 0xcc ? reply[s + 1] : mpLen(reply, s + 1, 2));
    r.body = mpBytes(reply, mpField(reply, "body"));
  } else {
    r.error = String.UTF8.decode(mpBytes(reply, mpField(reply, "error")).slice().buffer);
    r.message = String.UTF8.decode(mpBytes(reply, mpField(reply, "message")).slice().buffer);
  }
  return r;
}

export function get(url: string): Response {
  return fetch("GET", url, [], new Uint8Array(0));
}

// ---- key-value state (store "" is the function's own; see ABI.md) ---------------------------
/** The message of the last refused KV call ("Kind: why"); set when a call returns -1 / false. */
export let kvError: string = "";

function kvTake(n: i32): Uint8Array {
  const buf = new Uint8Array(n);
  host_kv_reply(buf.dataStart, n);
  return buf;
}

function kvRefused(): void {
  kvError = String.UTF8.decode(kvTake(host_kv_reply(0, 0)).buffer);
}

/** The value, or null when absent or refused (then kvError says why). */
export function kvGet(store: string, key: string): Uint8Array | null {
  const s = utf8(store), k = utf8(key);
  const n = host_kv_get(s.dataStart, s.length, k.dataStart, k.length);
  if (n == -1) return null;
  if (n == -2) { kvRefused(); return null; }
  kvError = "";
  return kvTake(n);
}

/** True when stored; false when refused (kvError says why). */
export function kvSet(store: string, key: string, value: Uint8Array): bool {
  const s = utf8(store), k = utf8(key);
  if (host_kv_set(s.dataStart, s.length, k.dataStart, k.length, value.dataStart, value.length) == -2) {
    kvRefused();
    return false;
  }
  return true;
}

/** 1 deleted, 0 absent, -1 refused. */
export function kvDelete(store: string, key: string): i32 {
  const s = utf8(store), k = utf8(key);
  const r = host_kv_delete(s.dataStart, s.length, k.dataStart, k.length);
  if (r == -2) { kvRefused(); return -1; }
  return r;
}

/** The keys starting with prefix, as a msgpack array of strings (null when refused). */
export function kvKeysRaw(store: string, prefix: string): Uint8Array | null {
  const s = utf8(store), p = utf8(prefix);
  const n = host_kv_keys(s.dataStart, s.length, p.dataStart, p.length);
  if (n == -2) { kvRefused(); return null; }
  return kvTake(n);
}
