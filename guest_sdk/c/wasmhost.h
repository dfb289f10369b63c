/* wasmhost.h: the wasmhost guest SDK for C (core ABI v1, see ../ABI.md). Header-only.
 *
 *   #include "wasmhost.h"
 *   static wh_bytes handle(wh_bytes event) {
 *       wasmhost_log("got an event");
 *       return event;                            // echo
 *   }
 *   WASMHOST_HANDLER(handle)
 *
 * Build (no libc needed):  wasmhost build handler.c
 *   = python -m ziglang cc -target wasm32-freestanding -O2 -nostdlib -Wl,--no-entry -s -o handler.wasm handler.c
 *
 * Memory: wasmhost_malloc() is a bump allocator. Everything allocated while handling
 * an invocation is released when the next one starts; what WASMHOST_INIT's function
 * allocates stays for the life of the instance.
 */
#ifndef WASMHOST_H
#define WASMHOST_H

#include <stddef.h>
#include <stdint.h>

#define WASMHOST_IMPORT(name) __attribute__((import_module("wasmhost"), import_name(name)))
WASMHOST_IMPORT("log") void wasmhost__log(const char *ptr, int32_t len);
WASMHOST_IMPORT("error") void wasmhost__error(const char *t, int32_t tlen, const char *m, int32_t mlen);
WASMHOST_IMPORT("context") int32_t wasmhost__context(uint8_t *ptr, int32_t cap);
WASMHOST_IMPORT("remaining_ms") int64_t wasmhost__remaining_ms(void);
WASMHOST_IMPORT("http_request") int32_t wasmhost__http_request(const uint8_t *req, int32_t len);
WASMHOST_IMPORT("http_reply") int32_t wasmhost__http_reply(uint8_t *ptr, int32_t cap);
WASMHOST_IMPORT("kv_get") int32_t wasmhost__kv_get(const char *s, int32_t sl, const char *k, int32_t kl);
WASMHOST_IMPORT("kv_set") int32_t wasmhost__kv_set(const char *s, int32_t sl, const char *k, int32_t kl,
                                                   const uint8_t *v, int32_t vl);
WASMHOST_IMPORT("kv_delete") int32_t wasmhost__kv_delete(const char *s, int32_t sl, const char *k, int32_t kl);
WASMHOST_IMPORT("kv_keys") int32_t wasmhost__kv_keys(const char *s, int32_t sl, const char *p, int32_t pl);
WASMHOST_IMPORT("kv_reply") int32_t wasmhost__kv_reply(uint8_t *ptr, int32_t cap);

typedef struct { const uint8_t *data; size_t len; } wh_bytes;

static inline size_t wh_strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
static inline wh_bytes wh_str(const char *s) { wh_bytes b = { (const uint8_t *)s, wh_strlen(s) }; return b; }

/* ---- memory ------------------------------------------------------------------- */
extern unsigned char __heap_base;
static uintptr_t wh_top, wh_mark;

static inline void *wasmhost_malloc(size_t n) {
    if (!wh_top) wh_top = wh_mark = (uintptr_t)&__heap_base;
    uintptr_t p = (wh_top + 7) & ~(uintptr_t)7;
    uintptr_t end = p + n;
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        uintptr_t pages = (end - have + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;  /* at memory_mb */
    }
    wh_top = end;
    return (void *)p;
}

/* No libc here: the two memory helpers an SDK user needs. */
static inline void *wh_memcpy(void *dst, const void *src, size_t n) {
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    while (n--) *d++ = *s++;
    return dst;
}
static inline int wh_memeq(const void *a, const void *b, size_t n) {
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    while (n--) if (*x++ != *y++) return 0;
    return 1;
}

/* ---- host imports --------------------------------------------------------------- */
static inline void wasmhost_log(const char *text) { wasmhost__log(text, (int32_t)wh_strlen(text)); }
static inline void wasmhost_logn(const char *text, size_t n) { wasmhost__log(text, (int32_t)n); }
static inline int64_t wasmhost_remaining_ms(void) { return wasmhost__remaining_ms(); }

/* Report a function error (Lambda's errorType / errorMessage); return its result. */
static inline wh_bytes wasmhost_error(const char *type, const char *message) {
    wasmhost__error(type, (int32_t)wh_strlen(type), message, (int32_t)wh_strlen(message));
    wh_bytes none = { 0, 0 };
    return none;
}

/* The context map as msgpack (allocated with wasmhost_malloc). */
static inline wh_bytes wasmhost_context_raw(void) {
    int32_t n = wasmhost__context(0, 0);
    uint8_t *buf = (uint8_t *)wasmhost_malloc((size_t)n);
    wh_bytes out = { buf, 0 };
    if (buf) out.len = (size_t)wasmhost__context(buf, n);
    return out;
}

/* A minimal msgpack reader: skip one value; read a string or an integer. */
static inline size_t wh_mp_skip(const uint8_t *p, size_t n, size_t i);
static inline size_t wh_mp_len(const uint8_t *p, size_t i, int bytes) {
    size_t v = 0;
    for (int k = 0; k < bytes; k++) v = (v << 8) | p[i + k];
    return v;
}
static inline size_t wh_mp_skip(const uint8_t *p, size_t n, size_t i) {
    if (i >= n) return n;
    uint8_t c = p[i];
    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) return i + 1;
    if ((c & 0xe0) == 0xa0) return i + 1 + (c & 0x1f);
    if ((c & 0xf0) == 0x80 || (c & 0xf0) == 0x90) {
        size_t items = (size_t)(c & 0x0f) * ((c & 0xf0) == 0x80 ? 2 : 1);
        i++;
        while (items--) i = wh_mp_skip(p, n, i);
        return i;
    }
    switch (c) {
        case 0xcc: case 0xd0: return i + 2;
        case 0xcd: case 0xd1: return i + 3;
        case 0xce: case 0xd2: case 0xca: return i + 5;
        case 0xcf: case 0xd3: case 0xcb: return i + 9;
        case 0xd9: case 0xc4: return i + 2 + wh_mp_len(p, i + 1, 1);
        case 0xda: case 0xc5: return i + 3 + wh_mp_len(p, i + 1, 2);
        case 0xdb: case 0xc6: return i + 5 + wh_mp_len(p, i + 1, 4);
        case 0xdc: case 0xde: {
            size_t items = wh_mp_len(p, i + 1, 2) * (c == 0xde ? 2 : 1);
            i += 3;
            while (items--) i = wh_mp_skip(p, n, i);
            return i;
        }
    }
    return n;  /* unsupported: stop */
}
/* Where the value of `key` starts in a top-level msgpack map, or 0 if absent. */
static inline size_t wh_mp_find(wh_bytes map, const char *key) {
    const uint8_t *p = map.data;
    size_t n = map.len, i = 1, klen = wh_strlen(key), items;
    if (!n) return 0;
    if ((p[0] & 0xf0) == 0x80) items = p[0] & 0x0f;
    else if (p[0] == 0xde) { items = wh_mp_len(p, 1, 2); i = 3; }
    else return 0;
    while (items-- && i < n) {
        uint8_t c = p[i];
        size_t slen = 0, start = i + 1;
        if ((c & 0xe0) == 0xa0) slen = c & 0x1f;
        else if (c == 0xd9) { slen = p[i + 1]; start = i + 2; }
        size_t value = wh_mp_skip(p, n, i);
        if (slen == klen && wh_memeq(p + start, key, klen)) return value;
        i = wh_mp_skip(p, n, value);
    }
    return 0;
}
/* A string or binary field of a msgpack map (the context's request_id, function_name,
 * function_version; an HTTP reply's body). */
static inline wh_bytes wasmhost_context_str(wh_bytes ctx, const char *key) {
    wh_bytes out = { 0, 0 };
    size_t i = wh_mp_find(ctx, key);
    if (!i) return out;
    uint8_t c = ctx.data[i];
    if ((c & 0xe0) == 0xa0) { out.data = ctx.data + i + 1; out.len = c & 0x1f; }
    else if (c == 0xd9 || c == 0xc4) { out.data = ctx.data + i + 2; out.len = ctx.data[i + 1]; }
    else if (c == 0xda || c == 0xc5) { out.data = ctx.data + i + 3; out.len = wh_mp_len(ctx.data, i + 1, 2); }
    else if (c == 0xdb || c == 0xc6) { out.data = ctx.data + i + 5; out.len = wh_mp_len(ctx.data, i + 1, 4); }
    return out;
}
/* An integer field of the context (memory_limit_in_mb, deadline_ms); -1 if absent. */
static inline int64_t wasmhost_context_int(wh_bytes ctx, const char *key) {
    size_t i = wh_mp_find(ctx, key);
    if (!i) return -1;
    uint8_t c = ctx.data[i];
    if (c <= 0x7f) return c;
    switch (c) {
        case 0xcc: return (int64_t)wh_mp_len(ctx.data, i + 1, 1);
        case 0xcd: return (int64_t)wh_mp_len(ctx.data, i + 1, 2);
        case 0xce: return (int64_t)wh_mp_len(ctx.data, i + 1, 4);
        case 0xcf: case 0xd3: return (int64_t)wh_mp_len(ctx.data, i + 1, 8);
    }
    return -1;
}

/* ---- outbound HTTP (the function's allowed_hosts; see ABI.md) ------------------------ */
typedef struct {
    int32_t status;    /* the HTTP status, or 0 when the host refused or the request failed */
    wh_bytes body;     /* the response body */
    wh_bytes error;    /* status 0: "Refused", "TooLarge", "ConnectionError", "InvalidRequest" */
    wh_bytes message;  /* status 0: why, naming the host and the setting to change */
    wh_bytes reply;    /* the whole msgpack reply (headers, reason, final url) */
} wh_http_response;

/* A tiny msgpack writer for the request map. */
typedef struct { uint8_t *p; size_t n, cap; } wh_mp_out;
static inline void wh_mp_put(wh_mp_out *o, const void *src, size_t n) {
    if (o->n + n <= o->cap) wh_memcpy(o->p + o->n, src, n);
    o->n += n;
}
/* A str (small = 0xa0, base8 = 0xd9) or bin (small = 0, base8 = 0xc4) header. */
static inline void wh_mp_head(wh_mp_out *o, uint8_t small, uint8_t base8, size_t len) {
    uint8_t h[5];
    if (small && len < 32) { h[0] = (uint8_t)(small | len); wh_mp_put(o, h, 1); }
    else if (len < 256) { h[0] = base8; h[1] = (uint8_t)len; wh_mp_put(o, h, 2); }
    else if (len < 65536) { h[0] = (uint8_t)(base8 + 1); h[1] = (uint8_t)(len >> 8); h[2] = (uint8_t)len; wh_mp_put(o, h, 3); }
    else { h[0] = (uint8_t)(base8 + 2); h[1] = (uint8_t)(len >> 24); h[2] = (uint8_t)(len >> 16);
           h[3] = (uint8_t)(len >> 8); h[4] = (uint8_t)len; wh_mp_put(o, h, 5); }
}
static inline void wh_mp_str(wh_mp_out *o, const char *s, size_t n) { wh_mp_head(o, 0xa0, 0xd9, n); wh_mp_put(o, s, n); }
static inline void wh_mp_cstr(wh_mp_out *o, const char *s) { wh_mp_str(o, s, wh_strlen(s)); }

/* Send a request through the host. headers: NULL, or a NULL-terminated list of name,
 * value, name, value, ... Redirects are followed (each hop checked by the host). */
static inline wh_http_response wasmhost_http(const char *method, const char *url, const char *const *headers,
                                             wh_bytes body) {
    wh_http_response r = { 0, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 } };
    size_t nh = 0;
    while (headers && headers[nh * 2] && headers[nh * 2 + 1]) nh++;
    wh_mp_out o = { 0, 0, 0 };
    for (int pass = 0; pass < 2; pass++) {  /* measure, then write */
        o.n = 0;
        uint8_t m = 0x85, t = 0xc3;
        wh_mp_put(&o, &m, 1);
        wh_mp_cstr(&o, "method"); wh_mp_cstr(&o, method);
        wh_mp_cstr(&o, "url"); wh_mp_cstr(&o, url);
        wh_mp_cstr(&o, "follow"); wh_mp_put(&o, &t, 1);
        wh_mp_cstr(&o, "headers");
        uint8_t arr[3] = { (uint8_t)(0x90 | nh), 0, 0 };
        if (nh < 16) wh_mp_put(&o, arr, 1);
        else { arr[0] = 0xdc; arr[1] = (uint8_t)(nh >> 8); arr[2] = (uint8_t)nh; wh_mp_put(&o, arr, 3); }
        for (size_t i = 0; i < nh; i++) {
            uint8_t pair = 0x92;
            wh_mp_put(&o, &pair, 1);
            wh_mp_cstr(&o, headers[i * 2]);
            wh_mp_cstr(&o, headers[i * 2 + 1]);
        }
        wh_mp_cstr(&o, "body");
        wh_mp_head(&o, 0, 0xc4, body.len);
        wh_mp_put(&o, body.data, body.len);
        if (pass == 0) { o.cap = o.n; o.p = (uint8_t *)wasmhost_malloc(o.n); if (!o.p) return r; }
    }
    int32_t n = wasmhost__http_request(o.p, (int32_t)o.n);
    uint8_t *buf = (uint8_t *)wasmhost_malloc((size_t)n);
    if (!buf) return r;
    wasmhost__http_reply(buf, n);
    r.reply.data = buf; r.reply.len = (size_t)n;
    int64_t status = wasmhost_context_int(r.reply, "status");
    r.status = status < 0 ? 0 : (int32_t)status;
    r.body = wasmhost_context_str(r.reply, "body");
    r.error = wasmhost_context_str(r.reply, "error");
    r.message = wasmhost_context_str(r.reply, "message");
    return r;
}
static inline wh_http_response wasmhost_http_get(const char *url) {
    wh_bytes none = { 0, 0 };
    return wasmhost_http("GET", url, 0, none);
}

/* ---- key-value state (store "" is the function's own; see ABI.md) -------------------- */
static inline wh_bytes wh_kv_take(int32_t n) {
    wh_bytes out = { 0, 0 };
    uint8_t *buf = (uint8_t *)wasmhost_malloc((size_t)n);
    if (buf) { wasmhost__kv_reply(buf, n); out.data = buf; out.len = (size_t)n; }
    return out;
}
/* 1 and *out = the value; 0 absent; -1 refused, *out = the message ("Kind: why"). */
static inline int wasmhost_kv_get(const char *store, const char *key, wh_bytes *out) {
    int32_t n = wasmhost__kv_get(store, (int32_t)wh_strlen(store), key, (int32_t)wh_strlen(key));
    if (n == -1) return 0;
    *out = wh_kv_take(n == -2 ? wasmhost__kv_reply(0, 0) : n);
    return n == -2 ? -1 : 1;
}
/* 0 stored; -1 refused, *err = the message (err may be NULL). */
static inline int wasmhost_kv_set(const char *store, const char *key, wh_bytes value, wh_bytes *err) {
    int32_t r = wasmhost__kv_set(store, (int32_t)wh_strlen(store), key, (int32_t)wh_strlen(key), value.data,
                                 (int32_t)value.len);
    if (r == -2 && err) *err = wh_kv_take(wasmhost__kv_reply(0, 0));
    return r == -2 ? -1 : 0;
}
/* 1 deleted, 0 absent, -1 refused. */
static inline int wasmhost_kv_delete(const char *store, const char *key) {
    int32_t r = wasmhost__kv_delete(store, (int32_t)wh_strlen(store), key, (int32_t)wh_strlen(key));
    return r == -2 ? -1 : r;
}
/* 0 and *out = a msgpack array of the keys starting with prefix; -1 refused, *out = the message. */
static inline int wasmhost_kv_keys(const char *store, const char *prefix, wh_bytes *out) {
    int32_t n = wasmhost__kv_keys(store, (int32_t)wh_strlen(store), prefix, (int32_t)wh_strlen(prefix));
    *out = wh_kv_take(n == -2 ? wasmhost__kv_reply(0, 0) : n);
    return n == -2 ? -1 : 0;
}

/* ---- the exports ------------------------------------------------------------------ */
/* WASMHOST_HANDLER(fn): fn is `wh_bytes fn(wh_bytes event)`; the result must stay valid
 * until the next invocation (a static buffer, the event itself, or wasmhost_malloc). */
#define WASMHOST_HANDLER(fn)                                                                \
    __attribute__((export_name("wasmhost_alloc"))) void *wasmhost_alloc(int32_t n) {        \
        if (!wh_top) wh_top = wh_mark = (uintptr_t)&__heap_base;                              \
        wh_top = wh_mark; /* a new invocation: release the previous one's memory */         \
        return wasmhost_malloc((size_t)n);                                                   \
    }                                                                                        \
    __attribute__((export_name("wasmhost_handle"))) int64_t wasmhost_handle(uint8_t *p, int32_t n) { \
        wh_bytes event = { p, (size_t)n };                                                   \
        wh_bytes out = fn(event);                                                            \
        return (int64_t)(((uint64_t)(uintptr_t)out.data << 32) | (uint32_t)out.len);         \
    }

/* WASMHOST_INIT(fn): fn is `void fn(void)`, run once per instance; what it allocates stays. */
#define WASMHOST_INIT(fn)                                                                   \
    __attribute__((export_name("wasmhost_init"))) void wasmhost_init(void) {                \
        fn();                                                                                \
        wh_mark = wh_top;                                                                    \
    }

#endif
