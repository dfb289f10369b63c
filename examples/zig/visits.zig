//! Capabilities from Zig: count visits in the function's key-value store, then GET the URL
//! the event names (it must be in the function's allowed_hosts).  Build: wasmhost build visits.zig
const wh = @import("wasmhost");

fn handle(event: []const u8) []const u8 {
    const seen = wh.kvGet("", "visits") catch return wh.fail("KVError", wh.kv_error);
    const next: u8 = if (seen) |v| (if (v.len > 0) v[0] + 1 else 1) else 1;
    wh.kvSet("", "visits", &[_]u8{next}) catch return wh.fail("KVError", wh.kv_error);
    const r = wh.get(event);
    if (r.status == 0) return wh.fail("OutboundRefused", r.message);
    const out = wh.allocator.alloc(u8, 2 + r.body.len) catch return wh.fail("OutOfMemory", "no memory");
    out[0] = '0' + next;
    out[1] = ' ';
    @memcpy(out[2..], r.body);
    return out;
}

comptime {
    wh.exportHandler(handle);
}
