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
