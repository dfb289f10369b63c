// workerd peer: the same 64-byte echo guest (tests/guests/echo.wat), warm instance per isolate.
import wasm from "echo.wasm";

const instance = new WebAssembly.Instance(wasm, {});
const { memory, wasmhost_alloc, wasmhost_handle } = instance.exports;

export default {
  async fetch(request) {
    const body = new Uint8Array(await request.arrayBuffer());
    const ptr = wasmhost_alloc(body.length);
    new Uint8Array(memory.buffer, ptr, body.length).set(body);
    const r = wasmhost_handle(ptr, body.length);
    const outPtr = Number(BigInt.asUintN(64, r) >> 32n);
    const outLen = Number(BigInt.asUintN(64, r) & 0xffffffffn);
    return new Response(new Uint8Array(memory.buffer, outPtr, outLen).slice());
  },
};
