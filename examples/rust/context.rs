//! context in Rust: logs and the invocation context. Answers with JSON naming the
//! request id, the function, and the milliseconds left; logs two lines.
//!   wasmhost build examples/rust/context.rs
//!   wasmhost invoke examples/rust/context.wasm                       # local run
//!   wasmhost deploy ctx examples/rust/context.wasm && wasmhost invoke ctx && wasmhost logs ctx
fn handle(event: &[u8]) -> Result<Vec<u8>, wasmhost::Error> {
    let ctx = wasmhost::context_raw();
    let id = wasmhost::context_str(&ctx, "request_id").unwrap_or_default();
    let name = wasmhost::context_str(&ctx, "function_name").unwrap_or_default();
    wasmhost::log(&format!("handling {} bytes for {}", event.len(), name));
    if event == b"\"fail\"" {
        return Err(wasmhost::fail("DemoError", "asked to fail"));
    }
    wasmhost::log("done");
    let out = format!(
        "{{\"request_id\":\"{}\",\"function_name\":\"{}\",\"remaining_ms\":{}}}",
        id, name, wasmhost::remaining_ms()
    );
    Ok(out.into_bytes())
}
wasmhost::handler!(handle);
