//! hello in Zig: "Hello, <event>!"  Build: wasmhost build examples/zig/hello.zig
const wh = @import("wasmhost");

fn handle(event: []const u8) []const u8 {
    const out = wh.allocator.alloc(u8, 7 + event.len + 1) catch return wh.fail("OutOfMemory", "no memory");
    @memcpy(out[0..7], "Hello, ");
    @memcpy(out[7 .. 7 + event.len], event);
    out[7 + event.len] = '!';
    return out;
}

comptime {
    wh.exportHandler(handle);
}
