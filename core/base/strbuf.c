#include "core/base/strbuf.h"

#include "core/base/err.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cw_strbuf_reserve(cw_strbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return CW_ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int cw_strbuf_append(cw_strbuf *b, const char *s, size_t n)
{
    if (cw_strbuf_reserve(b, n)) return CW_ENOMEM;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int cw_strbuf_puts(cw_strbuf *b, const char *s)
{
    return cw_strbuf_append(b, s, strlen(s));
}

int cw_strbuf_coord(cw_strbuf *b, double v)
{
    if (!isfinite(v)) return cw_strbuf_append(b, "0", 1);
    int neg = v < 0;
    double a = (neg ? -v : v) * 100.0 + 0.5;
    if (a >= 1e15) return cw_strbuf_printf(b, "%.17g", v);
    unsigned long long n = (unsigned long long)a; /* a >= 0.5: truncation is floor */
    if (n == 0) return cw_strbuf_append(b, "0", 1);
    char tmp[32], *p = tmp + sizeof tmp;
    unsigned frac = (unsigned)(n % 100);
    unsigned long long whole = n / 100;
    if (frac) {
        if (frac % 10) {
            *--p = (char)('0' + frac % 10);
            *--p = (char)('0' + frac / 10);
        } else {
            *--p = (char)('0' + frac / 10);
        }
        *--p = '.';
    }
    do {
        *--p = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole);
    if (neg) *--p = '-';
    return cw_strbuf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

int cw_strbuf_i64(cw_strbuf *b, long long v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    /* in unsigned arithmetic: -LLONG_MIN does not fit a long long */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    return cw_strbuf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

int cw_strbuf_printf(cw_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || cw_strbuf_reserve(b, (size_t)n)) return CW_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

const char *cw_json_escape_char(unsigned char c, char tmp[8])
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        if (c < 0x20) {
            snprintf(tmp, 8, "\\u%04x", c);
            return tmp;
        }
        return NULL;
    }
}

int cw_strbuf_json_str(cw_strbuf *b, const char *s)
{
    if (cw_strbuf_append(b, "\"", 1)) return CW_ENOMEM;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[8];
        const char *rep = cw_json_escape_char(*p, tmp);
        int rc = rep ? cw_strbuf_puts(b, rep) : cw_strbuf_append(b, (const char *)p, 1);
        if (rc) return rc;
    }
    return cw_strbuf_append(b, "\"", 1);
}

void cw_strbuf_reset(cw_strbuf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void cw_strbuf_free(cw_strbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
