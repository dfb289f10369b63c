//! wasmhost: the guest SDK for Rust (core ABI v1, see ../ABI.md). One file, no crates.
//!
//! ```ignore
//! fn handle(event: &[u8]) -> Result<Vec<u8>, wasmhost::Error> {
//!     wasmhost::log("got an event");
//!     Ok(event.to_vec())
//! }
//! wasmhost::handler!(handle);
//! ```
//!
//! Build: `wasmhost build handler.rs` (Debian `rustc` + `libstd-rust-dev-wasm32`):
//!   rustc --edition 2021 --crate-type rlib --crate-name wasmhost --target wasm32-unknown-unknown -O wasmhost.rs
//!   rustc --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown -O -C strip=symbols \
//!         --extern wasmhost=libwasmhost.rlib handler.rs

#[link(wasm_import_module = "wasmhost")]
extern "C" {
    #[link_name = "log"]
    fn host_log(ptr: *const u8, len: i32);
    #[link_name = "error"]
    fn host_error(tptr: *const u8, tlen: i32, mptr: *const u8, mlen: i32);
    #[link_name = "context"]
    fn host_context(ptr: *mut u8, cap: i32) -> i32;
    #[link_name = "remaining_ms"]
    fn host_remaining_ms() -> i64;
    #[link_name = "http_request"]
    fn host_http_request(ptr: *const u8, len: i32) -> i32;
    #[link_name = "http_reply"]
    fn host_http_reply(ptr: *mut u8, cap: i32) -> i32;
    #[link_name = "kv_get"]
    fn host_kv_get(sp: *const u8, sl: i32, kp: *const u8, kl: i32) -> i32;
    #[link_name = "kv_set"]
    fn host_kv_set(sp: *const u8, sl: i32, kp: *const u8, kl: i32, vp: *const u8, vl: i32) -> i32;
    #[link_name = "kv_delete"]
    fn host_kv_delete(sp: *const u8, sl: i32, kp: *const u8, kl: i32) -> i32;
    #[link_name = "kv_keys"]
    fn host_kv_keys(sp: *const u8, sl: i32, pp: *const u8, pl: i32) -> i32;
    #[link_name = "kv_reply"]
    fn host_kv_reply(ptr: *mut u8, cap: i32) -> i32;
}

/// A function error: comes back as Lambda's `{"errorType", "errorMessage"}`.
#[derive(Debug)]
pub struct Error {
    pub error_type: String,
    pub message: String,
}

pub fn fail(error_type: &str, message: &str) -> Error {
    Error { error_type: error_type.to_string(), message: message.to_string() }
}

/// A line in the invocation's log.
pub fn log(text: &str) {
    unsafe { host_log(text.as_ptr(), text.len() as i32) }
}

/// Milliseconds left before the invocation's timeout.
pub fn remaining_ms() -> i64 {
    unsafe { host_remaining_ms() }
}

/// The invocation context as msgpack bytes (see ABI.md for its keys).
pub fn context_raw() -> Vec<u8> {
    unsafe {
        let n = host_context(core::ptr::null_mut(), 0);
        let mut buf = vec![0u8; n as usize];
        host_context(buf.as_mut_ptr(), n);
        buf
    }
}

/// A string field of the context map (`request_id`, `function_name`, ...).
pub fn context_str(ctx: &[u8], key: &str) -> Option<String> {
    let (mut i, mut items) = match ctx.first()? {
        c if c & 0xf0 == 0x80 => (1, (c & 0x0f) as usize),
        0xde => (3, u16::from_be_bytes([ctx[1], ctx[2]]) as usize),
        _ => return None,
    };
    while items > 0 && i < ctx.len() {
        let k = read_str(ctx, i)?;
        let value = skip(ctx, i)?;
        if k.0 == key.as_bytes() {
            return read_str(ctx, value).map(|(s, _)| String::from_utf8_lossy(s).into_owned());
        }
        i = skip(ctx, value)?;
        items -= 1;
    }
    None
}

fn read_str(b: &[u8], i: usize) -> Option<(&[u8], usize)> {
    let c = *b.get(i)?;
    let (start, len) = match c {
        c if c & 0xe0 == 0xa0 => (i + 1, (c & 0x1f) as usize),
        0xd9 | 0xc4 => (i + 2, *b.get(i + 1)? as usize),
        0xda | 0xc5 => (i + 3, u16::from_be_bytes([b[i + 1], b[i + 2]]) as usize),
        0xdb | 0xc6 => (i + 5, u32::from_be_bytes([b[i + 1], b[i + 2], b[i + 3], b[i + 4]]) as usize),
        _ => return None,
    };
    Some((b.get(start..start + len)?, start + len))
}

fn skip(b: &[u8], i: usize) -> Option<usize> {
    let c = *b.get(i)?;
    let be = |at: usize, n: usize| -> Option<usize> {
        Some(b.get(at..at + n)?.iter().fold(0usize, |acc, x| (acc << 8) | *x as usize))
    };
    Some(match c {
        0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => i + 1,
        0xa0..=0xbf => i + 1 + (c & 0x1f) as usize,
        0x80..=0x9f => {
            let mut n = (c & 0x0f) as usize * if c < 0x90 { 2 } else { 1 };
            let mut j = i + 1;
            while n > 0 {
                j = skip(b, j)?;
                n -= 1;
            }
            j
        }
        0xcc | 0xd0 => i + 2,
        0xcd | 0xd1 => i + 3,
        0xce | 0xd2 | 0xca => i + 5,
        0xcf | 0xd3 | 0xcb => i + 9,
        0xd9 | 0xc4 => i + 2 + be(i + 1, 1)?,
        0xda | 0xc5 => i + 3 + be(i + 1, 2)?,
        0xdb | 0xc6 => i + 5 + be(i + 1, 4)?,
        0xdc | 0xde => {
            let mut n = be(i + 1, 2)? * if c == 0xde { 2 } else { 1 };
            let mut j = i + 3;
            while n > 0 {
                j = skip(b, j)?;
                n -= 1;
            }
            j
        }
        _ => return None,
    })
}

/// Where a field's value starts in a top-level msgpack map with string keys.
fn field(map: &[u8], key: &str) -> Option<usize> {
    let (mut i, mut items) = match map.first()? {
        c if c & 0xf0 == 0x80 => (1, (c & 0x0f) as usize),
        _ => return None,
    };
    while items > 0 && i < map.len() {
        let value = skip(map, i)?;
        if read_str(map, i)?.0 == key.as_bytes() {
            return Some(value);
        }
        i = skip(map, value)?;
        items -= 1;
    }
    None
}

// ---- outbound HTTP (the function's allowed_hosts; see ABI.md) --------------------------------
/// A response; a refused or failed request is an `Err` whose `error_type` is "Refused",
/// "TooLarge", "ConnectionError" or "InvalidRequest" and whose message names the host and
/// the setting to change.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// The whole msgpack reply (headers, reason, final url).
    pub reply: Vec<u8>,
}

fn mp_head(out: &mut Vec<u8>, small: u8, base8: u8, len: usize) {
    if small != 0 && len < 32 {
        out.push(small | len as u8);
    } else if len < 256 {
        out.extend_from_slice(&[base8, len as u8]);
    } else if len < 65536 {
        out.push(base8 + 1);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(base8 + 2);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn mp_str(out: &mut Vec<u8>, s: &str) {
    mp_head(out, 0xa0, 0xd9, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// Send a request through the host (redirects followed, each hop checked by the host).
pub fn fetch(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Response, Error> {
    let mut req = vec![0x85];
    for (k, v) in [("method", method), ("url", url)] {
        mp_str(&mut req, k);
        mp_str(&mut req, v);
    }
    mp_str(&mut req, "follow");
    req.push(0xc3);
    mp_str(&mut req, "headers");
    req.push(0xdc);
    req.extend_from_slice(&(headers.len() as u16).to_be_bytes());
    for (k, v) in headers {
        req.push(0x92);
        mp_str(&mut req, k);
        mp_str(&mut req, v);
    }
    mp_str(&mut req, "body");
    mp_head(&mut req, 0, 0xc4, body.len());
    req.extend_from_slice(body);
    let reply = unsafe {
        let n = host_http_request(req.as_ptr(), req.len() as i32);
        let mut buf = vec![0u8; n as usize];
        host_http_reply(buf.as_mut_ptr(), n);
        buf
    };
    let text = |key: &str| -> String {
        field(&reply, key).and_then(|i| read_str(&reply, i)).map(|(s, _)| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default()
    };
    let status = match field(&reply, "status").map(|i| (reply[i], i)) {
        Some((c, _)) if c <= 0x7f => c as u16,
        Some((0xcc, i)) => reply[i + 1] as u16,
        Some((0xcd, i)) => u16::from_be_bytes([reply[i + 1], reply[i + 2]]),
        _ => return Err(fail(&text("error"), &text("message"))),
    };
    let body = field(&reply, "body").and_then(|i| read_str(&reply, i)).map(|(b, _)| b.to_vec()).unwrap_or_default();
    Ok(Response { status, body, reply })
}

pub fn get(url: &str) -> Result<Response, Error> {
    fetch("GET", url, &[], b"")
}

// ---- key-value state (store "" is the function's own; see ABI.md) ----------------------------
/// Refusals are `Err` with `error_type` "KVError" and the host's "Kind: why" message.
fn kv_take(n: i32) -> Vec<u8> {
    let mut buf = vec![0u8; n.max(0) as usize];
    unsafe { host_kv_reply(buf.as_mut_ptr(), n) };
    buf
}

fn kv_refused() -> Error {
    let n = unsafe { host_kv_reply(core::ptr::null_mut(), 0) };
    fail("KVError", &String::from_utf8_lossy(&kv_take(n)))
}

pub fn kv_get(store: &str, key: &str) -> Result<Option<Vec<u8>>, Error> {
    match unsafe { host_kv_get(store.as_ptr(), store.len() as i32, key.as_ptr(), key.len() as i32) } {
        -1 => Ok(None),
        -2 => Err(kv_refused()),
        n => Ok(Some(kv_take(n))),
    }
}

pub fn kv_set(store: &str, key: &str, value: &[u8]) -> Result<(), Error> {
    let r = unsafe {
        host_kv_set(store.as_ptr(), store.len() as i32, key.as_ptr(), key.len() as i32, value.as_ptr(),
                    value.len() as i32)
    };
    if r == -2 { Err(kv_refused()) } else { Ok(()) }
}

/// True when the key was there.
pub fn kv_delete(store: &str, key: &str) -> Result<bool, Error> {
    match unsafe { host_kv_delete(store.as_ptr(), store.len() as i32, key.as_ptr(), key.len() as i32) } {
        -2 => Err(kv_refused()),
        r => Ok(r == 1),
    }
}

/// The keys starting with `prefix`, sorted.
pub fn kv_keys(store: &str, prefix: &str) -> Result<Vec<String>, Error> {
    let n = unsafe { host_kv_keys(store.as_ptr(), store.len() as i32, prefix.as_ptr(), prefix.len() as i32) };
    if n == -2 {
        return Err(kv_refused());
    }
    let b = kv_take(n);
    let (mut i, mut items) = match b.first() {
        Some(c) if c & 0xf0 == 0x90 => (1, (c & 0x0f) as usize),
        Some(0xdc) => (3, u16::from_be_bytes([b[1], b[2]]) as usize),
        Some(0xdd) => (5, u32::from_be_bytes([b[1], b[2], b[3], b[4]]) as usize),
        _ => return Ok(Vec::new()),
    };
    let mut keys = Vec::with_capacity(items);
    while items > 0 {
        match read_str(&b, i) {
            Some((s, next)) => {
                keys.push(String::from_utf8_lossy(s).into_owned());
                i = next;
            }
            None => break,
        }
        items -= 1;
    }
    Ok(keys)
}

// The event and the result live here between the host's calls.
static mut INPUT: Vec<u8> = Vec::new();
static mut OUTPUT: Vec<u8> = Vec::new();

#[doc(hidden)]
pub fn __alloc(n: i32) -> *mut u8 {
    unsafe {
        INPUT = vec![0u8; n.max(0) as usize];
        INPUT.as_mut_ptr()
    }
}

#[doc(hidden)]
pub fn __handle(f: fn(&[u8]) -> Result<Vec<u8>, Error>, ptr: *const u8, len: i32) -> i64 {
    let event = unsafe { core::slice::from_raw_parts(ptr, len.max(0) as usize) };
    unsafe {
        OUTPUT = match f(event) {
            Ok(out) => out,
            Err(e) => {
                host_error(e.error_type.as_ptr(), e.error_type.len() as i32, e.message.as_ptr(), e.message.len() as i32);
                Vec::new()
            }
        };
        ((OUTPUT.as_ptr() as u64) << 32 | OUTPUT.len() as u64) as i64
    }
}

/// Export `fn(&[u8]) -> Result<Vec<u8>, wasmhost::Error>` as the function's handler.
#[macro_export]
macro_rules! handler {
    ($f:path) => {
        #[no_mangle]
        pub extern "C" fn wasmhost_alloc(n: i32) -> *mut u8 {
            $crate::__alloc(n)
        }
        #[no_mangle]
        pub extern "C" fn wasmhost_handle(ptr: *const u8, len: i32) -> i64 {
            $crate::__handle($f, ptr, len)
        }
    };
}

/// Export `fn()` as `wasmhost_init`, run once per instance before its first invocation.
#[macro_export]
macro_rules! init {
    ($f:path) => {
        #[no_mangle]
        pub extern "C" fn wasmhost_init() {
            $f()
        }
    };
}
