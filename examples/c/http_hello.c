/* http_hello in C: an HTTP-trigger function. It reads rawPath from the API Gateway
 * v2.0 event and answers with an API Gateway v2 response object.
 *
 *   wasmhost build examples/c/http_hello.c
 *   wasmhost deploy http_hello examples/c/http_hello.wasm
 *   curl -i http://127.0.0.1:9000/http/http_hello/some/path   # 200, "you asked for /some/path"
 */
#include "wasmhost.h"

static wh_bytes handle(wh_bytes ev) {
    static const char key[] = "\"rawPath\":\"";
    const uint8_t *path = 0;
    size_t plen = 0;
    for (size_t i = 0; i + sizeof key - 1 <= ev.len; i++) {
        if (wh_memeq(ev.data + i, key, sizeof key - 1)) {
            path = ev.data + i + sizeof key - 1;
            while (path + plen < ev.data + ev.len && path[plen] != '"') plen++;
            break;
        }
    }
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
