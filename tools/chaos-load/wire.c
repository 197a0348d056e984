/* wire.c — see wire.h. */
#include "tools/chaos-load/wire.h"

#include <string.h>

size_t lw_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(p, tmp + sizeof tmp - n, n);
    return n;
}

size_t lw_cents(char *p, int64_t cents)
{
    size_t n = 0;
    uint64_t a = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
    if (cents < 0) p[n++] = '-';
    n += lw_u64(p + n, a / 100);
    unsigned frac = (unsigned)(a % 100);
    if (frac) {
        p[n++] = '.';
        p[n++] = (char)('0' + frac / 10);
        if (frac % 10) p[n++] = (char)('0' + frac % 10);
    }
    return n;
}

/* floor and ceil of v for |v| < 2^62, without libm */
static int64_t floor_i(double v)
{
    int64_t t = (int64_t)v; /* toward zero */
    return (double)t > v ? t - 1 : t;
}

static int64_t ceil_i(double v)
{
    int64_t t = (int64_t)v;
    return (double)t < v ? t + 1 : t;
}

int64_t lw_cents_near(double v)
{
    double c = v * 100.0;
    return c < 0 ? -floor_i(-c + 0.5) : floor_i(c + 0.5);
}

int64_t lw_cents_toward(double v, int64_t from)
{
    double c = v * 100.0;
    if (c >= (double)from) {
        int64_t r = floor_i(c);
        return r < from ? from : r;
    }
    int64_t r = ceil_i(c);
    return r > from ? from : r;
}

static size_t put(uint8_t *f, size_t n, const char *s, size_t len)
{
    memcpy(f + n, s, len);
    return n + len;
}

static size_t seal(uint8_t *f, size_t n) /* n: the whole frame */
{
    size_t j = n - 4;
    f[0] = (uint8_t)(j >> 24);
    f[1] = (uint8_t)(j >> 16);
    f[2] = (uint8_t)(j >> 8);
    f[3] = (uint8_t)j;
    return n;
}

size_t lw_ping(uint8_t *f, uint64_t id)
{
    static const char head[] = "{\"op\":\"ping\",\"id\":";
    size_t n = put(f, 4, head, sizeof head - 1);
    n += lw_u64((char *)f + n, id);
    f[n++] = '}';
    return seal(f, n);
}

size_t lw_move(uint8_t *f, uint64_t id, int64_t xc, int64_t yc)
{
    static const char head[] = "{\"op\":\"move\",\"id\":";
    size_t n = put(f, 4, head, sizeof head - 1);
    n += lw_u64((char *)f + n, id);
    n = put(f, n, ",\"x\":", 5);
    n += lw_cents((char *)f + n, xc);
    n = put(f, n, ",\"y\":", 5);
    n += lw_cents((char *)f + n, yc);
    f[n++] = '}';
    return seal(f, n);
}
