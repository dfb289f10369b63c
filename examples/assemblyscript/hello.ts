// hello in AssemblyScript: "Hello, <event>!"  Build: wasmhost build examples/assemblyscript/hello.ts
import { register, utf8 } from "../../guest_sdk/assemblyscript/wasmhost";
export { wasmhost_alloc, wasmhost_handle } from "../../guest_sdk/assemblyscript/wasmhost";

function handle(event: Uint8Array): Uint8Array {
  const head = utf8("Hello, ");
  const out = new Uint8Array(head.length + event.length + 1);
  out.set(head);
  out.set(event, head.length);
  out[out.length - 1] = 33; // "!"
  return out;
}

register(handle);
