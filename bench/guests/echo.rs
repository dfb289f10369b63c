//! The benchmark echo in Rust (guest_sdk/rust).
fn handle(event: &[u8]) -> Result<Vec<u8>, wasmhost::Error> {
    Ok(event.to_vec())
}
wasmhost::handler!(handle);
