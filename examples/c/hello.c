/* hello in C: "Hello, <event>!"  Build: wasmhost build examples/c/hello.c */
#include "wasmhost.h"

static wh_bytes handle(wh_bytes event) {
    static const char greeting[] = "Hello, ";
    uint8_t *out = wasmhost_malloc(sizeof greeting - 1 + event.len + 1);
    if (!out) return wasmhost_error("OutOfMemory", "no memory for the answer");
    wh_memcpy(out, greeting, sizeof greeting - 1);
    wh_memcpy(out + sizeof greeting - 1, event.data, event.len);
    out[sizeof greeting - 1 + event.len] = '!';
    wh_bytes r = { out, sizeof greeting - 1 + event.len + 1 };
    return r;
}
WASMHOST_HANDLER(handle)
