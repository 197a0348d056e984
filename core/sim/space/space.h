/* space.h — the geometry of the world: a uniform spatial grid of entity ids,
 * an id → index map, and movement rules as pure functions.
 *
 * Grid: the zone's rectangle [0,width]x[0,height] cut into square cells of
 * `cell` units (the zone's view distance, so a view query touches at most
 * 3x3 cells). Entities are integer ids (> 0) with a position; positions
 * outside the rectangle are kept as given but filed in the nearest cell.
 * Each entry may carry an opaque pointer-sized payload (the caller's handle
 * on the entity, never dereferenced here), handed back by cw_grid_query_hits
 * so a caller needs no id lookup per neighbour; it is the caller's to keep
 * valid while the entry is in the grid.
 * Queries write ids into a caller buffer: nothing is allocated per query.
 *
 * Ownership: a cw_grid / cw_idmap owns its memory; free with the *_free call.
 * Functions return 0 or a negative CW_E* code (CW_ENOMEM, CW_EEXIST,
 * CW_ENOTFOUND, CW_EINVAL). No I/O, no clock, no globals: deterministic. */
#ifndef CW_SIM_SPACE_H
#define CW_SIM_SPACE_H

#include "core/base/err.h"

#include <stddef.h>
#include <stdint.h>

/* ---- id map: int64 key (> 0) → int64 value, open addressing -------------- */

/* Each key sits next to its value, so a lookup reads one cache line (the
 * map is on the move path: cold, thousands of lookups per tick). */
typedef struct cw_idmap_pair {
    int64_t key; /* 0 = empty */
    int64_t val;
} cw_idmap_pair;

typedef struct cw_idmap {
    cw_idmap_pair *v;
    size_t cap, n; /* cap is a power of two */
} cw_idmap;

void cw_idmap_init(cw_idmap *m);
void cw_idmap_free(cw_idmap *m);
/* Inserts or replaces. CW_EINVAL for key <= 0, CW_ENOMEM. */
int cw_idmap_put(cw_idmap *m, int64_t key, int64_t val);
/* 1 and *val when present, else 0. */
int cw_idmap_get(const cw_idmap *m, int64_t key, int64_t *val);
/* CW_ENOTFOUND when absent. */
int cw_idmap_del(cw_idmap *m, int64_t key);

/* ---- grid ------------------------------------------------------------------ */

typedef struct cw_grid cw_grid;

/* NULL when out of memory or the sizes are not positive and finite. */
cw_grid *cw_grid_new(double width, double height, double cell);
void cw_grid_free(cw_grid *g);
size_t cw_grid_count(const cw_grid *g);
int cw_grid_insert(cw_grid *g, int64_t id, double x,
                   double y); /* payload NULL; CW_EEXIST, CW_EINVAL, CW_ENOMEM */
/* As cw_grid_insert, with a payload. */
int cw_grid_insert_data(cw_grid *g, int64_t id, double x, double y, void *data);
/* CW_ENOTFOUND; CW_ENOMEM (into a new cell) leaves the entry where it was. */
int cw_grid_move(cw_grid *g, int64_t id, double x, double y);
int cw_grid_remove(cw_grid *g, int64_t id); /* CW_ENOTFOUND */
/* Ids within distance r of (x,y) (inclusive), in no particular order. Writes
 * at most max ids into out and returns how many there are in total (so a
 * result > max means the buffer was too small). */
int cw_grid_query(const cw_grid *g, double x, double y, double r, int64_t *out, int max);

typedef struct cw_grid_hit {
    int64_t id;
    void *data; /* the payload given at insert */
} cw_grid_hit;

/* As cw_grid_query, with each id's payload. */
int cw_grid_query_hits(const cw_grid *g, double x, double y, double r, cw_grid_hit *out, int max);

/* ---- movement rules (move.c) --------------------------------------------------- */

typedef struct cw_rect {
    double x, y, w, h; /* lower corner and size; contains its edges */
} cw_rect;

int cw_rect_contains(const cw_rect *r, double x, double y);
int cw_circle_contains(double cx, double cy, double radius, double x, double y);
/* 1 when the segment (x0,y0)-(x1,y1) touches the rectangle (edges included). */
int cw_segment_hits_rect(double x0, double y0, double x1, double y1, const cw_rect *r);

/* Movement credit is banked time: it grows with elapsed time up to burst_s
 * seconds, and a step of length d at speed v spends d / v of it. */
double cw_move_refill(double credit_s, double elapsed_s, double burst_s);

typedef enum cw_move_verdict {
    CW_MOVE_OK = 0,
    CW_MOVE_BAD_NUMBER, /* not finite */
    CW_MOVE_BOUNDS,     /* outside [0,width]x[0,height] */
    CW_MOVE_TOO_FAST,   /* farther than the banked credit allows */
    CW_MOVE_BLOCKED,    /* the straight segment touches a blocked rectangle */
} cw_move_verdict;

typedef struct cw_move_area {
    double width, height;
    const cw_rect *blocked;
    int nblocked;
} cw_move_area;

/* Checks a step from (x0,y0) to (x1,y1) at `speed` with *credit_s banked
 * (already refilled). On CW_MOVE_OK the credit is spent; otherwise it is
 * unchanged. Returns the verdict (never an error code). */
cw_move_verdict cw_move_check(const cw_move_area *a, double speed, double *credit_s, double x0,
                              double y0, double x1, double y1);
const char *cw_move_verdict_name(cw_move_verdict v);

#endif
