/* http_hello in C: an HTTP-trigger function. It reads rawPath from the API Gateway
 * v2.0 event and answers with an API Gateway v2 response object.
 *
 *   wasmhost build examples/c/http_hello.c
 *   wasmhost deploy http_hello examples/c/http_hello.wasm
 *   curl -i http://127.0.0.1:9000/http/http_hello/some/path   # 200, "you asked for /some/path"
 */
#include "wasmhost.h"

/* The value of "rawPath": JSON allows spaces around the colon (the server writes
 * `"rawPath": "/some/path"`), so skip them rather than match one spelling. */
static const uint8_t *raw_path(wh_bytes ev, size_t *len) {
    static const char key[] = "\"rawPath\"";
    const uint8_t *end = ev.data + ev.len;
    for (size_t i = 0; i + sizeof key - 1 <= ev.len; i++) {
        if (!wh_memeq(ev.data + i, key, sizeof key - 1)) continue;
        const uint8_t *p = ev.data + i + sizeof key - 1;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
        if (p == end || *p++ != ':') continue;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
        if (p == end || *p++ != '"') continue;
        size_t n = 0;
        while (p + n < end && p[n] != '"') n++;
        *len = n;
        return p;
    }
    return 0;
}

static wh_bytes handle(wh_bytes ev) {
    size_t plen = 0;
    const uint8_t *path = raw_path(ev, &plen);
    static const char head[] = "{\"statusCode\":200,\"headers\":{\"content-type\":\"text/plain\"},\"body\":\"you asked for ";
    static const char tail[] = "\"}";
    uint8_t *out = wasmhost_malloc(sizeof head + plen + sizeof tail);
    size_t o = 0;
    wh_memcpy(out, head, sizeof head - 1); o += sizeof head - 1;
    if (path) { wh_memcpy(out + o, path, plen); o += plen; }
    wh_memcpy(out + o, tail, sizeof tail - 1); o += sizeof tail - 1;
    wh_bytes r = { out, o };
    return r;
}
WASMHOST_HANDLER(handle)
