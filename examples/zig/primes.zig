//! primes in Zig: CPU-bound. The event is a decimal N; the result counts the primes
//! below N by trial division, on purpose slowly, to show fuel limits at work:
//!   wasmhost build examples/zig/primes.zig
//!   wasmhost invoke examples/zig/primes.wasm 10000                  # 1229, and its fuel
//!   wasmhost invoke examples/zig/primes.wasm 10000000 --fuel 5000000  # FuelExhausted
const std = @import("std");
const wh = @import("wasmhost");

fn handle(event: []const u8) []const u8 {
    const n = std.fmt.parseInt(u32, std.mem.trim(u8, event, " \n\""), 10) catch
        return wh.fail("InvalidNumber", "the event must be a decimal number");
    var count: u32 = 0;
    var k: u32 = 2;
    while (k < n) : (k += 1) {
        var d: u32 = 2;
        var prime = true;
        while (d * d <= k) : (d += 1) {
            if (k % d == 0) {
                prime = false;
                break;
            }
        }
        if (prime) count += 1;
    }
    return std.fmt.allocPrint(wh.allocator, "{d}", .{count}) catch wh.fail("OutOfMemory", "no memory");
}

comptime {
    wh.exportHandler(handle);
}
