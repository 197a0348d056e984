/* request_move.c — the `move` fast path of cw_request_parse: reads
 * {"op":"move","id":…,"x":…,"y":…} without building a JSON tree (see
 * request.h for the contract). It only says yes to a narrow shape whose
 * answer is certain to be the full parser's; anything else — another key, a
 * repeated key, an escape, a non-ASCII byte, an unusual id or number — says
 * no and the caller runs jansson, so errors and edge cases never differ. */
#include "core/io/net/request.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int eat(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p >= c->end || *c->p != ch) return 0;
    c->p++;
    return 1;
}

/* A string of printable ASCII without '"' or '\\' (so its JSON text is
 * itself): sets *s, *n to its contents. 0 for anything else. */
static int plain_string(cursor *c, const char **s, size_t *n)
{
    if (!eat(c, '"')) return 0;
    const char *b = c->p;
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20 || ch > 0x7e || ch == '\\') return 0;
        c->p++;
    }
    if (c->p >= c->end) return 0;
    *s = b;
    *n = (size_t)(c->p - b);
    c->p++;
    return 1;
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* One JSON number token (RFC 8259 grammar). Sets *is_int when it has no
 * fraction or exponent. 0 when the bytes are not a number token. */
static int number_token(cursor *c, const char **s, size_t *n, int *is_int)
{
    skip_ws(c);
    const char *b = c->p, *e = c->end, *p = b;
    *is_int = 1;
    if (p < e && *p == '-') p++;
    if (p >= e || !is_digit(*p)) return 0;
    if (*p == '0')
        p++;
    else
        while (p < e && is_digit(*p))
            p++;
    if (p < e && *p == '.') {
        *is_int = 0;
        p++;
        if (p >= e || !is_digit(*p)) return 0;
        while (p < e && is_digit(*p))
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        *is_int = 0;
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || !is_digit(*p)) return 0;
        while (p < e && is_digit(*p))
            p++;
    }
    *s = b;
    *n = (size_t)(p - b);
    c->p = p;
    return 1;
}

/* An integer token of at most 18 digits as jansson reads it: int64, then
 * the double json_number_value gives. */
static int small_int(const char *s, size_t n, int64_t *out)
{
    int neg = s[0] == '-';
    size_t digits = n - (size_t)neg;
    if (digits > 18) return 0;
    int64_t v = 0;
    for (size_t i = (size_t)neg; i < n; i++)
        v = v * 10 + (s[i] - '0');
    *out = neg ? -v : v;
    return 1;
}

/* A number as the value of "x" or "y": the double jansson would hold. */
static int number_value(cursor *c, double *out)
{
    const char *s;
    size_t n;
    int is_int;
    if (!number_token(c, &s, &n, &is_int)) return 0;
    if (is_int) {
        int64_t v;
        if (!small_int(s, n, &v)) return 0;
        *out = (double)v;
        return 1;
    }
    char tmp[64];
    if (n >= sizeof tmp) return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    /* strtod reads the locale's decimal point; jansson copes, we defer. */
    const struct lconv *lc = localeconv();
    if (!lc || strcmp(lc->decimal_point, ".") != 0) return 0;
    errno = 0;
    char *end;
    double v = strtod(tmp, &end);
    if (end != tmp + n || errno == ERANGE || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* The "id" value, echoed as its own text when that is what jansson's
 * re-encoding gives: a plain string, a canonical integer, true/false/null. */
static int id_value(cursor *c, cw_request_parsed *out)
{
    skip_ws(c);
    if (c->p >= c->end) return 0;
    const char *s;
    size_t n;
    if (*c->p == '"') {
        if (!plain_string(c, &s, &n)) return 0;
        s--; /* with its quotes */
        n += 2;
    } else if (*c->p == '-' || is_digit(*c->p)) {
        int is_int;
        if (!number_token(c, &s, &n, &is_int) || !is_int) return 0;
        int64_t v;
        if (!small_int(s, n, &v)) return 0;
        if (v == 0 && s[0] == '-') return 0; /* "-0" is echoed as 0 */
    } else {
        static const char *const words[] = {"null", "true", "false"};
        s = NULL;
        for (size_t i = 0; i < 3 && !s; i++) {
            size_t wl = strlen(words[i]);
            if ((size_t)(c->end - c->p) >= wl && memcmp(c->p, words[i], wl) == 0) {
                s = c->p;
                n = wl;
            }
        }
        if (!s) return 0;
        c->p += n;
    }
    if (n >= sizeof out->id_inline) return 0;
    memcpy(out->id_inline, s, n);
    out->id_inline[n] = '\0';
    out->req.id_json = out->id_inline;
    return 1;
}

int cw_request_parse_move(const char *payload, size_t len, cw_request_parsed *out)
{
    memset(out, 0, sizeof *out);
    out->req.id_json = "null";
    out->req.payload = payload;
    out->req.len = len;
    if (!payload) return 0;
    cursor c = {payload, payload + len};
    enum { ID = 1, OP = 2, X = 4, Y = 8 };
    unsigned seen = 0;
    if (!eat(&c, '{')) goto no;
    do {
        const char *k;
        size_t kn;
        if (!plain_string(&c, &k, &kn) || kn > 2 || !eat(&c, ':')) goto no;
        unsigned bit = kn == 2 && memcmp(k, "id", 2) == 0   ? ID
                       : kn == 2 && memcmp(k, "op", 2) == 0 ? OP
                       : kn == 1 && k[0] == 'x'             ? X
                       : kn == 1 && k[0] == 'y'             ? Y
                                                            : 0;
        if (!bit || (seen & bit)) goto no;
        seen |= bit;
        if (bit == ID) {
            if (!id_value(&c, out)) goto no;
        } else if (bit == OP) {
            const char *op;
            size_t on;
            if (!plain_string(&c, &op, &on) || on != 4 || memcmp(op, "move", 4) != 0) goto no;
        } else if (!number_value(&c, bit == X ? &out->req.x : &out->req.y)) {
            goto no;
        }
    } while (eat(&c, ','));
    if (!eat(&c, '}')) goto no;
    skip_ws(&c);
    if (c.p != c.end || (seen & (OP | X | Y)) != (OP | X | Y)) goto no;
    out->req.op = "move";
    out->req.has_xy = 1;
    return 1;
no:
    memset(out, 0, sizeof *out);
    out->req.id_json = "null";
    out->req.payload = payload;
    out->req.len = len;
    return 0;
}
