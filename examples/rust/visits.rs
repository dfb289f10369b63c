//! Capabilities from Rust: count visits in the function's key-value store, then GET the URL
//! the event names (it must be in the function's allowed_hosts).  Build: wasmhost build visits.rs
fn handle(event: &[u8]) -> Result<Vec<u8>, wasmhost::Error> {
    let seen = wasmhost::kv_get("", "visits")?;
    let next = seen.and_then(|v| v.first().copied()).unwrap_or(0) + 1;
    wasmhost::kv_set("", "visits", &[next])?;
    let url = String::from_utf8_lossy(event);
    let r = wasmhost::get(&url).map_err(|e| wasmhost::fail("OutboundRefused", &e.message))?;
    let mut out = vec![b'0' + next, b' '];
    out.extend_from_slice(&r.body);
    Ok(out)
}
wasmhost::handler!(handle);
