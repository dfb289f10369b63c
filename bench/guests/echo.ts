// The benchmark echo in AssemblyScript (guest_sdk/assemblyscript).
import { register } from "../../guest_sdk/assemblyscript/wasmhost";
export { wasmhost_alloc, wasmhost_handle } from "../../guest_sdk/assemblyscript/wasmhost";
function handle(event: Uint8Array): Uint8Array {
  return event.slice(0);
}
register(handle);
