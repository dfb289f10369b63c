// Capabilities from AssemblyScript: count visits in the function's key-value store, then GET
// the URL the event names (it must be in the function's allowed_hosts).
import { fail, get, kvGet, kvSet, register, utf8 } from "../../guest_sdk/assemblyscript/wasmhost";
export { wasmhost_alloc, wasmhost_handle } from "../../guest_sdk/assemblyscript/wasmhost";

function handle(event: Uint8Array): Uint8Array {
  const seen = kvGet("", "visits");
  const next: u8 = seen !== null && seen.length > 0 ? seen[0] + 1 : 1;
  const value = new Uint8Array(1);
  value[0] = next;
  kvSet("", "visits", value);
  const r = get(String.UTF8.decode(event.slice().buffer));
  if (r.status == 0) return fail("OutboundRefused", r.message);
  const out = new Uint8Array(2 + r.body.length);
  out[0] = 48 + next;
  out[1] = 32;
  out.set(r.body, 2);
  return out;
}

register(handle);
