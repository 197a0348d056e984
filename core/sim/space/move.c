/* move.c — movement rules as pure functions: containment, segment against
 * rectangle (Liang–Barsky clipping), banked movement credit. */
#include "core/sim/space/space.h"

#include <math.h>

int cw_rect_contains(const cw_rect *r, double x, double y)
{
    return x >= r->x && x <= r->x + r->w && y >= r->y && y <= r->y + r->h;
}

int cw_circle_contains(double cx, double cy, double radius, double x, double y)
{
    double dx = x - cx, dy = y - cy;
    return dx * dx + dy * dy <= radius * radius;
}

/* Clips parameter interval [*t0,*t1] by p*t <= q. Returns 0 if it empties. */
static int clip(double p, double q, double *t0, double *t1)
{
    if (p == 0) return q >= 0;
    double t = q / p;
    if (p < 0) {
        if (t > *t1) return 0;
        if (t > *t0) *t0 = t;
    } else {
        if (t < *t0) return 0;
        if (t < *t1) *t1 = t;
    }
    return 1;
}

int cw_segment_hits_rect(double x0, double y0, double x1, double y1, const cw_rect *r)
{
    double dx = x1 - x0, dy = y1 - y0, t0 = 0, t1 = 1;
    return clip(-dx, x0 - r->x, &t0, &t1) && clip(dx, r->x + r->w - x0, &t0, &t1) &&
           clip(-dy, y0 - r->y, &t0, &t1) && clip(dy, r->y + r->h - y0, &t0, &t1);
}

double cw_move_refill(double credit_s, double elapsed_s, double burst_s)
{
    if (!(elapsed_s > 0)) elapsed_s = 0;
    double c = credit_s + elapsed_s;
    return c > burst_s ? burst_s : c;
}

cw_move_verdict cw_move_check(const cw_move_area *a, double speed, double *credit_s, double x0,
                              double y0, double x1, double y1)
{
    if (!isfinite(x1) || !isfinite(y1)) return CW_MOVE_BAD_NUMBER;
    if (x1 < 0 || y1 < 0 || x1 > a->width || y1 > a->height) return CW_MOVE_BOUNDS;
    double need = speed > 0 ? hypot(x1 - x0, y1 - y0) / speed : INFINITY;
    if (x1 == x0 && y1 == y0) need = 0;
    /* A hair of slack for floating point and clock granularity. */
    if (need > *credit_s + 1e-6) return CW_MOVE_TOO_FAST;
    for (int i = 0; i < a->nblocked; i++)
        if (cw_segment_hits_rect(x0, y0, x1, y1, &a->blocked[i])) return CW_MOVE_BLOCKED;
    *credit_s -= need;
    if (*credit_s < 0) *credit_s = 0;
    return CW_MOVE_OK;
}

const char *cw_move_verdict_name(cw_move_verdict v)
{
    switch (v) {
    case CW_MOVE_OK:
        return "ok";
    case CW_MOVE_BAD_NUMBER:
        return "not a finite position";
    case CW_MOVE_BOUNDS:
        return "outside the zone";
    case CW_MOVE_TOO_FAST:
        return "too fast";
    case CW_MOVE_BLOCKED:
        return "the way is blocked";
    }
    return "refused";
}
