/* jsonvalid.c — recursive descent over the bytes, depth-limited (see
 * jsonvalid.h). Numbers are checked for range by converting a bounded copy. */
#include "core/base/jsonvalid.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NUMBER_TEXT_MAX 511 /* a longer number is refused outright */

typedef struct reader {
    const unsigned char *p, *end;
    int depth;
} reader;

static int value(reader *r);

static void skip_ws(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int hex4(reader *r, unsigned *out)
{
    if (r->end - r->p < 4) return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = r->p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10u;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10u;
        else
            return -1;
        v = v << 4 | d;
    }
    r->p += 4;
    *out = v;
    return 0;
}

/* One multi-byte UTF-8 sequence at r->p (its lead byte is >= 0x80). */
static int utf8_seq(reader *r)
{
    unsigned char c = *r->p;
    int more;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c < 0xC2) {
        return -1; /* a stray continuation byte, or an overlong 2-byte form */
    } else if (c < 0xE0) {
        more = 1;
    } else if (c < 0xF0) {
        more = 2;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* UTF-16 surrogates */
    } else if (c < 0xF5) {
        more = 3;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return -1;
    }
    if (r->end - r->p <= more) return -1;
    for (int i = 1; i <= more; i++) {
        unsigned char b = r->p[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return -1;
    }
    r->p += more + 1;
    return 0;
}

static int string(reader *r)
{
    r->p++; /* the opening quote */
    while (r->p < r->end) {
        unsigned char c = *r->p;
        if (c == '"') {
            r->p++;
            return 0;
        }
        if (c < 0x20) return -1;
        if (c >= 0x80) {
            if (utf8_seq(r)) return -1;
            continue;
        }
        r->p++;
        if (c != '\\') continue;
        if (r->p >= r->end) return -1;
        unsigned char e = *r->p++;
        if (e && strchr("\"\\/bfnrt", e)) continue;
        unsigned u, low;
        if (e != 'u' || hex4(r, &u) || u == 0) return -1;
        if (u >= 0xDC00 && u <= 0xDFFF) return -1; /* a low surrogate alone */
        if (u >= 0xD800 && u <= 0xDBFF) {          /* must be followed by its low half */
            if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u') return -1;
            r->p += 2;
            if (hex4(r, &low) || low < 0xDC00 || low > 0xDFFF) return -1;
        }
    }
    return -1;
}

static int digits(reader *r)
{
    const unsigned char *start = r->p;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        r->p++;
    return r->p > start ? 0 : -1;
}

static int number(reader *r)
{
    const unsigned char *start = r->p;
    int integral = 1;
    if (*r->p == '-') r->p++;
    if (r->p < r->end && *r->p == '0')
        r->p++;
    else if (digits(r))
        return -1;
    if (r->p < r->end && *r->p == '.') {
        integral = 0;
        r->p++;
        if (digits(r)) return -1;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        integral = 0;
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
        if (digits(r)) return -1;
    }
    size_t n = (size_t)(r->p - start);
    if (n > NUMBER_TEXT_MAX) return -1;
    char buf[NUMBER_TEXT_MAX + 1];
    memcpy(buf, start, n);
    buf[n] = 0;
    errno = 0;
    if (integral) {
        (void)strtoll(buf, NULL, 10);
        return errno == ERANGE ? -1 : 0;
    }
    double d = strtod(buf, NULL);
    return isinf(d) ? -1 : 0;
}

static int literal(reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) return -1;
    r->p += n;
    return 0;
}

/* An object or an array at r->p ('{' or '['). */
static int container(reader *r)
{
    int object = *r->p == '{';
    unsigned char close = object ? '}' : ']';
    if (++r->depth > CW_JSON_DEPTH_MAX) return -1;
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        r->depth--;
        return 0;
    }
    for (;;) {
        if (object) {
            skip_ws(r);
            if (r->p >= r->end || *r->p != '"' || string(r)) return -1;
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':') return -1;
            r->p++;
        }
        if (value(r)) return -1;
        skip_ws(r);
        if (r->p >= r->end) return -1;
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        if (*r->p != close) return -1;
        r->p++;
        r->depth--;
        return 0;
    }
}

static int value(reader *r)
{
    skip_ws(r);
    if (r->p >= r->end) return -1;
    switch (*r->p) {
    case '{':
    case '[':
        return container(r);
    case '"':
        return string(r);
    case 't':
        return literal(r, "true");
    case 'f':
        return literal(r, "false");
    case 'n':
        return literal(r, "null");
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) return number(r);
        return -1;
    }
}

int cw_json_object_valid(const char *text, size_t len)
{
    if (!text) return CW_EINVAL;
    reader r = {(const unsigned char *)text, (const unsigned char *)text + len, 0};
    skip_ws(&r);
    if (r.p >= r.end || *r.p != '{' || container(&r)) return CW_EINVAL;
    skip_ws(&r);
    return r.p == r.end ? 0 : CW_EINVAL;
}
