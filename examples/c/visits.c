/* Capabilities from C: count visits in the function's key-value store, then GET the URL
 * the event names (it must be in the function's allowed_hosts). */
#include "wasmhost.h"

static char out[256];

static wh_bytes handle(wh_bytes event) {
    static char url[512];
    size_t n = event.len < sizeof url - 1 ? event.len : sizeof url - 1;
    wh_memcpy(url, event.data, n);
    url[n] = 0;

    wh_bytes seen = { 0, 0 };
    int visits = wasmhost_kv_get("", "visits", &seen) == 1 && seen.len ? seen.data[0] : 0;
    uint8_t next = (uint8_t)(visits + 1);
    wh_bytes value = { &next, 1 };
    wasmhost_kv_set("", "visits", value, 0);

    wh_http_response r = wasmhost_http_get(url);
    if (r.status == 0) {  /* refused: a function error carrying the host's message */
        wasmhost__error("OutboundRefused", 15, (const char *)r.message.data, (int32_t)r.message.len);
        wh_bytes none = { 0, 0 };
        return none;
    }
    size_t len = 0;
    out[len++] = (char)('0' + next);
    out[len++] = ' ';
    for (size_t i = 0; i < r.body.len && len < sizeof out; i++) out[len++] = (char)r.body.data[i];
    wh_bytes result = { (const uint8_t *)out, len };
    return result;
}
WASMHOST_HANDLER(handle)
