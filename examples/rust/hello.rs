//! hello in Rust: "Hello, <event>!"  Build: wasmhost build examples/rust/hello.rs
fn handle(event: &[u8]) -> Result<Vec<u8>, wasmhost::Error> {
    let mut out = b"Hello, ".to_vec();
    out.extend_from_slice(event);
    out.push(b'!');
    Ok(out)
}
wasmhost::handler!(handle);
