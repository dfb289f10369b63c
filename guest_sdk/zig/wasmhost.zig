//! wasmhost.zig: the wasmhost guest SDK for Zig (core ABI v1, see ../ABI.md).
//!
//!     const wh = @import("wasmhost");
//!     fn handle(event: []const u8) []const u8 {
//!         wh.log("got an event");
//!         return event;
//!     }
//!     comptime { wh.exportHandler(handle); }
//!
//! Build: wasmhost build handler.zig
//!   = python -m ziglang build-exe --dep wasmhost -Mroot=handler.zig -Mwasmhost=wasmhost.zig -target wasm32-freestanding -O ReleaseSmall -fno-entry -rdynamic
//!
//! Memory: `allocator` is an arena reset at the start of every invocation; what
//! `init` (exportInit) allocates lives as long as the instance.

const std = @import("std");

/// The host imports, named as the ABI names them.
const host = struct {
    extern "wasmhost" fn log(ptr: [*]const u8, len: i32) void;
    extern "wasmhost" fn @"error"(tptr: [*]const u8, tlen: i32, mptr: [*]const u8, mlen: i32) void;
    extern "wasmhost" fn context(ptr: [*]u8, cap: i32) i32;
    extern "wasmhost" fn remaining_ms() i64;
};

var arena_state = std.heap.ArenaAllocator.init(std.heap.wasm_allocator);
var persistent = std.heap.wasm_allocator;
var in_init = false;

/// Scratch memory for the current invocation.
pub const allocator = arena_state.allocator();

pub fn log(text: []const u8) void {
    host.log(text.ptr, @intCast(text.len));
}

pub fn remainingMs() i64 {
    return host.remaining_ms();
}

/// Report a function error (Lambda's errorType / errorMessage); return the result.
pub fn fail(error_type: []const u8, message: []const u8) []const u8 {
    host.@"error"(error_type.ptr, @intCast(error_type.len), message.ptr, @intCast(message.len));
    return "";
}

/// The invocation context as msgpack bytes (in the invocation's arena).
pub fn contextRaw() []const u8 {
    const n = host.context(undefined, 0);
    const buf = allocator.alloc(u8, @intCast(n)) catch return "";
    _ = host.context(buf.ptr, n);
    return buf;
}

pub fn exportHandler(comptime handler: fn ([]const u8) []const u8) void {
    const S = struct {
        fn alloc(n: i32) callconv(.c) ?[*]u8 {
            _ = arena_state.reset(.retain_capacity);
            const buf = allocator.alloc(u8, @intCast(n)) catch return null;
            return buf.ptr;
        }
        fn handle(ptr: [*]const u8, len: i32) callconv(.c) i64 {
            const out = handler(ptr[0..@intCast(len)]);
            return @bitCast((@as(u64, @intFromPtr(out.ptr)) << 32) | @as(u64, out.len));
        }
    };
    @export(&S.alloc, .{ .name = "wasmhost_alloc" });
    @export(&S.handle, .{ .name = "wasmhost_handle" });
}

pub fn exportInit(comptime init: fn (std.mem.Allocator) void) void {
    const S = struct {
        fn run() callconv(.c) void {
            init(persistent);
        }
    };
    @export(&S.run, .{ .name = "wasmhost_init" });
}
