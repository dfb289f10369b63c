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
    extern "wasmhost" fn http_request(ptr: [*]const u8, len: i32) i32;
    extern "wasmhost" fn http_reply(ptr: [*]u8, cap: i32) i32;
    extern "wasmhost" fn kv_get(sp: [*]const u8, sl: i32, kp: [*]const u8, kl: i32) i32;
    extern "wasmhost" fn kv_set(sp: [*]const u8, sl: i32, kp: [*]const u8, kl: i32, vp: [*]const u8, vl: i32) i32;
    extern "wasmhost" fn kv_delete(sp: [*]const u8, sl: i32, kp: [*]const u8, kl: i32) i32;
    extern "wasmhost" fn kv_keys(sp: [*]const u8, sl: i32, pp: [*]const u8, pl: i32) i32;
    extern "wasmhost" fn kv_reply(ptr: [*]u8, cap: i32) i32;
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

// ---- outbound HTTP (the function's allowed_hosts; see ABI.md) ------------------------------
pub const Response = struct {
    /// The HTTP status, or 0 when the host refused or the request failed.
    status: i32,
    body: []const u8,
    /// Status 0: "Refused", "TooLarge", "ConnectionError" or "InvalidRequest", and why.
    err: []const u8,
    message: []const u8,
    /// The whole msgpack reply (headers, reason, final url).
    reply: []const u8,
};

/// Counts (buf empty) or writes the msgpack request map.
const MsgPack = struct {
    buf: []u8,
    n: usize = 0,
    fn put(self: *MsgPack, bytes: []const u8) void {
        if (self.buf.len >= self.n + bytes.len) @memcpy(self.buf[self.n .. self.n + bytes.len], bytes);
        self.n += bytes.len;
    }
    fn head(self: *MsgPack, small: u8, base8: u8, len: usize) void {
        const l: u32 = @intCast(len);
        if (small != 0 and len < 32) {
            self.put(&[_]u8{small | @as(u8, @intCast(len))});
        } else if (len < 256) {
            self.put(&[_]u8{ base8, @intCast(len) });
        } else if (len < 65536) {
            self.put(&[_]u8{ base8 + 1, @intCast(l >> 8), @truncate(l) });
        } else {
            self.put(&[_]u8{ base8 + 2, @intCast(l >> 24), @truncate(l >> 16), @truncate(l >> 8), @truncate(l) });
        }
    }
    fn str(self: *MsgPack, s: []const u8) void {
        self.head(0xa0, 0xd9, s.len);
        self.put(s);
    }
    fn request(self: *MsgPack, method: []const u8, url: []const u8, headers: []const [2][]const u8, body: []const u8) void {
        self.put(&[_]u8{0x85});
        self.str("method");
        self.str(method);
        self.str("url");
        self.str(url);
        self.str("follow");
        self.put(&[_]u8{0xc3});
        self.str("headers");
        self.put(&[_]u8{ 0xdc, @intCast(headers.len >> 8), @truncate(headers.len) });
        for (headers) |h| {
            self.put(&[_]u8{0x92});
            self.str(h[0]);
            self.str(h[1]);
        }
        self.str("body");
        self.head(0, 0xc4, body.len);
        self.put(body);
    }
};

/// A field of a msgpack map with string keys (an HTTP reply): a str or bin value, or an int.
fn mpSkip(p: []const u8, i: usize) usize {
    if (i >= p.len) return p.len;
    const c = p[i];
    if (c <= 0x7f or c >= 0xe0 or c == 0xc0 or c == 0xc2 or c == 0xc3) return i + 1;
    if (c & 0xe0 == 0xa0) return i + 1 + (c & 0x1f);
    if (c & 0xf0 == 0x80 or c & 0xf0 == 0x90) {
        var items: usize = @as(usize, c & 0x0f) * @as(usize, if (c & 0xf0 == 0x80) 2 else 1);
        var j = i + 1;
        while (items > 0) : (items -= 1) j = mpSkip(p, j);
        return j;
    }
    return switch (c) {
        0xcc, 0xd0 => i + 2,
        0xcd, 0xd1 => i + 3,
        0xce, 0xd2, 0xca => i + 5,
        0xcf, 0xd3, 0xcb => i + 9,
        0xd9, 0xc4 => i + 2 + p[i + 1],
        0xda, 0xc5 => i + 3 + mpLen(p, i + 1, 2),
        0xdb, 0xc6 => i + 5 + mpLen(p, i + 1, 4),
        0xdc, 0xde => blk: {
            var items = mpLen(p, i + 1, 2) * @as(usize, if (c == 0xde) 2 else 1);
            var j = i + 3;
            while (items > 0) : (items -= 1) j = mpSkip(p, j);
            break :blk j;
        },
        else => p.len,
    };
}
fn mpLen(p: []const u8, i: usize, n: usize) usize {
    var v: usize = 0;
    for (p[i .. i + n]) |b| v = (v << 8) | b;
    return v;
}
fn mpField(map: []const u8, key: []const u8) ?usize {
    if (map.len == 0 or map[0] & 0xf0 != 0x80) return null;
    var items: usize = map[0] & 0x0f;
    var i: usize = 1;
    while (items > 0 and i < map.len) : (items -= 1) {
        const value = mpSkip(map, i);
        const k = mpBytes(map, i);
        if (std.mem.eql(u8, k, key)) return value;
        i = mpSkip(map, value);
    }
    return null;
}
fn mpBytes(p: []const u8, i: usize) []const u8 {
    const c = p[i];
    if (c & 0xe0 == 0xa0) return p[i + 1 .. i + 1 + (c & 0x1f)];
    return switch (c) {
        0xd9, 0xc4 => p[i + 2 .. i + 2 + p[i + 1]],
        0xda, 0xc5 => p[i + 3 .. i + 3 + mpLen(p, i + 1, 2)],
        0xdb, 0xc6 => p[i + 5 .. i + 5 + mpLen(p, i + 1, 4)],
        else => "",
    };
}

/// Send a request through the host (redirects followed, each hop checked by the host).
/// Memory comes from the invocation's arena.
pub fn fetch(method: []const u8, url: []const u8, headers: []const [2][]const u8, body: []const u8) Response {
    var none = Response{ .status = 0, .body = "", .err = "OutOfMemory", .message = "no memory", .reply = "" };
    var counter = MsgPack{ .buf = &[_]u8{} };
    counter.request(method, url, headers, body);
    const buf = allocator.alloc(u8, counter.n) catch return none;
    var w = MsgPack{ .buf = buf };
    w.request(method, url, headers, body);
    const n = host.http_request(buf.ptr, @intCast(buf.len));
    const reply = allocator.alloc(u8, @intCast(n)) catch return none;
    _ = host.http_reply(reply.ptr, n);
    none.reply = reply;
    if (mpField(reply, "status")) |i| {
        const c = reply[i];
        none.status = if (c <= 0x7f) c else if (c == 0xcc) reply[i + 1] else @intCast(mpLen(reply, i + 1, 2));
        none.body = if (mpField(reply, "body")) |b| mpBytes(reply, b) else "";
        none.err = "";
        none.message = "";
    } else {
        none.err = if (mpField(reply, "error")) |e| mpBytes(reply, e) else "";
        none.message = if (mpField(reply, "message")) |m| mpBytes(reply, m) else "";
    }
    return none;
}

pub fn get(url: []const u8) Response {
    return fetch("GET", url, &.{}, "");
}

// ---- key-value state (store "" is the function's own; see ABI.md) --------------------------
pub const KvError = error{ Refused, OutOfMemory };

/// The message of the last refused KV call ("Kind: why").
pub var kv_error: []const u8 = "";

fn kvTake(n: i32) KvError![]const u8 {
    const buf = allocator.alloc(u8, @intCast(n)) catch return error.OutOfMemory;
    _ = host.kv_reply(buf.ptr, n);
    return buf;
}
fn kvRefused() KvError {
    kv_error = kvTake(host.kv_reply(undefined, 0)) catch "";
    return error.Refused;
}

/// The value (in the invocation's arena), or null when the key is absent.
pub fn kvGet(store: []const u8, key: []const u8) KvError!?[]const u8 {
    const n = host.kv_get(store.ptr, @intCast(store.len), key.ptr, @intCast(key.len));
    if (n == -1) return null;
    if (n == -2) return kvRefused();
    return try kvTake(n);
}
pub fn kvSet(store: []const u8, key: []const u8, value: []const u8) KvError!void {
    if (host.kv_set(store.ptr, @intCast(store.len), key.ptr, @intCast(key.len), value.ptr, @intCast(value.len)) == -2)
        return kvRefused();
}
/// True when the key was there.
pub fn kvDelete(store: []const u8, key: []const u8) KvError!bool {
    const r = host.kv_delete(store.ptr, @intCast(store.len), key.ptr, @intCast(key.len));
    if (r == -2) return kvRefused();
    return r == 1;
}
/// The keys starting with prefix, as a msgpack array of strings.
pub fn kvKeys(store: []const u8, prefix: []const u8) KvError![]const u8 {
    const n = host.kv_keys(store.ptr, @intCast(store.len), prefix.ptr, @intCast(prefix.len));
    if (n == -2) return kvRefused();
    return try kvTake(n);
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
