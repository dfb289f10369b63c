/* grayscale in C: real work on bytes. The event is a binary PPM image (P6, 8-bit RGB);
 * the result is the same image as a grayscale PGM (P5), by ITU-R BT.601 luma.
 *
 *   wasmhost build examples/c/grayscale.c
 *   wasmhost invoke examples/c/grayscale.wasm @photo.ppm > photo.pgm
 * A malformed image is a function error (InvalidImage), not a crash.
 */
#include "wasmhost.h"

static int parse_uint(const uint8_t *p, size_t n, size_t *i, uint32_t *out) {
    while (*i < n && (p[*i] == ' ' || p[*i] == '\n' || p[*i] == '\r' || p[*i] == '\t')) (*i)++;
    if (*i < n && p[*i] == '#') { while (*i < n && p[*i] != '\n') (*i)++; return parse_uint(p, n, i, out); }
    if (*i >= n || p[*i] < '0' || p[*i] > '9') return 0;
    uint32_t v = 0;
    while (*i < n && p[*i] >= '0' && p[*i] <= '9') {
        v = v * 10 + (uint32_t)(p[*i] - '0');
        if (v > 100000) return 0;
        (*i)++;
    }
    *out = v;
    return 1;
}

static size_t put_uint(uint8_t *dst, uint32_t v) {
    char tmp[12];
    size_t n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (size_t k = 0; k < n; k++) dst[k] = (uint8_t)tmp[n - 1 - k];
    return n;
}

static wh_bytes handle(wh_bytes ev) {
    size_t i = 2;
    uint32_t w, h, maxval;
    if (ev.len < 2 || ev.data[0] != 'P' || ev.data[1] != '6')
        return wasmhost_error("InvalidImage", "expected a binary PPM (P6)");
    if (!parse_uint(ev.data, ev.len, &i, &w) || !parse_uint(ev.data, ev.len, &i, &h) ||
        !parse_uint(ev.data, ev.len, &i, &maxval) || maxval != 255)
        return wasmhost_error("InvalidImage", "bad PPM header (only 8-bit images)");
    i++; /* the single whitespace before the pixels */
    size_t pixels = (size_t)w * h;
    if (i + pixels * 3 > ev.len) return wasmhost_error("InvalidImage", "truncated pixel data");
    uint8_t *out = wasmhost_malloc(32 + pixels);
    if (!out) return wasmhost_error("OutOfMemory", "image too large for memory_mb");
    size_t o = 0;
    out[o++] = 'P'; out[o++] = '5'; out[o++] = '\n';
    o += put_uint(out + o, w); out[o++] = ' ';
    o += put_uint(out + o, h); out[o++] = '\n';
    out[o++] = '2'; out[o++] = '5'; out[o++] = '5'; out[o++] = '\n';
    const uint8_t *px = ev.data + i;
    for (size_t k = 0; k < pixels; k++, px += 3)
        out[o++] = (uint8_t)((299u * px[0] + 587u * px[1] + 114u * px[2] + 500u) / 1000u);
    wh_bytes r = { out, o };
    return r;
}
WASMHOST_HANDLER(handle)
