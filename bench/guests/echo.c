/* The benchmark echo in C (guest_sdk/c): the event back, copied into a fresh buffer. */
#include "wasmhost.h"
static wh_bytes handle(wh_bytes ev) {
    uint8_t *out = wasmhost_malloc(ev.len);
    wh_memcpy(out, ev.data, ev.len);
    wh_bytes r = { out, ev.len };
    return r;
}
WASMHOST_HANDLER(handle)
