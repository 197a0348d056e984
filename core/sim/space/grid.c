/* grid.c — uniform grid of entity ids. Each cell heads an intrusive doubly
 * linked list through the slot array, so insert, move and remove are O(1)
 * and a query visits only the cells that overlap its bounding square. */
#include "core/sim/space/space.h"

#include <math.h>
#include <stdlib.h>

typedef struct slot {
    int64_t id; /* 0 = free (next is then the free list) */
    double x, y;
    void *data; /* the caller's payload */
    int cell;
    int next, prev; /* in the cell list; -1 = none */
} slot;

struct cw_grid {
    double width, height, cell;
    int cols, rows;
    int *heads; /* per cell, -1 = empty */
    slot *slots;
    int nslots, capslots, free_head;
    size_t count;
    cw_idmap index; /* id → slot */
};

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int col_of(const cw_grid *g, double x)
{
    double c = floor(x / g->cell);
    if (!(c >= 0)) return 0; /* also NaN */
    return c >= g->cols ? g->cols - 1 : (int)c;
}

static int row_of(const cw_grid *g, double y)
{
    double r = floor(y / g->cell);
    if (!(r >= 0)) return 0;
    return r >= g->rows ? g->rows - 1 : (int)r;
}

cw_grid *cw_grid_new(double width, double height, double cell)
{
    if (!(width > 0) || !(height > 0) || !(cell > 0) || !isfinite(width) || !isfinite(height) ||
        !isfinite(cell))
        return NULL;
    double cols = ceil(width / cell), rows = ceil(height / cell);
    if (cols * rows > 16 * 1024 * 1024) return NULL; /* a grid that large is a content mistake */
    cw_grid *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->width = width;
    g->height = height;
    g->cell = cell;
    g->cols = cols < 1 ? 1 : (int)cols;
    g->rows = rows < 1 ? 1 : (int)rows;
    g->heads = malloc(sizeof(int) * (size_t)g->cols * (size_t)g->rows);
    if (!g->heads) {
        free(g);
        return NULL;
    }
    for (int i = 0; i < g->cols * g->rows; i++)
        g->heads[i] = -1;
    g->free_head = -1;
    cw_idmap_init(&g->index);
    return g;
}

void cw_grid_free(cw_grid *g)
{
    if (!g) return;
    cw_idmap_free(&g->index);
    free(g->heads);
    free(g->slots);
    free(g);
}

size_t cw_grid_count(const cw_grid *g)
{
    return g->count;
}

static void link_cell(cw_grid *g, int si, int cell)
{
    slot *s = &g->slots[si];
    s->cell = cell;
    s->prev = -1;
    s->next = g->heads[cell];
    if (s->next >= 0) g->slots[s->next].prev = si;
    g->heads[cell] = si;
}

static void unlink_cell(cw_grid *g, int si)
{
    slot *s = &g->slots[si];
    if (s->prev >= 0)
        g->slots[s->prev].next = s->next;
    else
        g->heads[s->cell] = s->next;
    if (s->next >= 0) g->slots[s->next].prev = s->prev;
}

static int cell_of(const cw_grid *g, double x, double y)
{
    return row_of(g, y) * g->cols + col_of(g, x);
}

int cw_grid_insert(cw_grid *g, int64_t id, double x, double y)
{
    return cw_grid_insert_data(g, id, x, y, NULL);
}

int cw_grid_insert_data(cw_grid *g, int64_t id, double x, double y, void *data)
{
    if (id <= 0 || !isfinite(x) || !isfinite(y)) return CW_EINVAL;
    if (cw_idmap_get(&g->index, id, NULL)) return CW_EEXIST;
    int si;
    if (g->free_head >= 0) {
        si = g->free_head;
        g->free_head = g->slots[si].next;
    } else {
        if (g->nslots == g->capslots) {
            int cap = g->capslots ? g->capslots * 2 : 64;
            slot *v = realloc(g->slots, sizeof *v * (size_t)cap);
            if (!v) return CW_ENOMEM;
            g->slots = v;
            g->capslots = cap;
        }
        si = g->nslots++;
    }
    int rc = cw_idmap_put(&g->index, id, si);
    if (rc) {
        g->slots[si].id = 0;
        g->slots[si].next = g->free_head;
        g->free_head = si;
        return rc;
    }
    slot *s = &g->slots[si];
    s->id = id;
    s->x = x;
    s->y = y;
    s->data = data;
    link_cell(g, si, cell_of(g, x, y));
    g->count++;
    return 0;
}

int cw_grid_move(cw_grid *g, int64_t id, double x, double y)
{
    int64_t si;
    if (!isfinite(x) || !isfinite(y)) return CW_EINVAL;
    if (!cw_idmap_get(&g->index, id, &si)) return CW_ENOTFOUND;
    slot *s = &g->slots[si];
    s->x = x;
    s->y = y;
    int cell = cell_of(g, x, y);
    if (cell != s->cell) {
        unlink_cell(g, (int)si);
        link_cell(g, (int)si, cell);
    }
    return 0;
}

int cw_grid_remove(cw_grid *g, int64_t id)
{
    int64_t si;
    if (!cw_idmap_get(&g->index, id, &si)) return CW_ENOTFOUND;
    unlink_cell(g, (int)si);
    cw_idmap_del(&g->index, id);
    g->slots[si].id = 0;
    g->slots[si].next = g->free_head;
    g->free_head = (int)si;
    g->count--;
    return 0;
}

/* Both queries: the slots within r of (x,y), as ids (ids != NULL) or hits. */
static int scan(const cw_grid *g, double x, double y, double r, int64_t *ids, cw_grid_hit *hits,
                int max)
{
    if (!(r >= 0) || !isfinite(x) || !isfinite(y)) return 0;
    int c0 = clampi(col_of(g, x - r), 0, g->cols - 1), c1 = col_of(g, x + r);
    int r0 = clampi(row_of(g, y - r), 0, g->rows - 1), r1 = row_of(g, y + r);
    double r2 = r * r;
    int n = 0;
    for (int row = r0; row <= r1; row++)
        for (int col = c0; col <= c1; col++)
            for (int si = g->heads[row * g->cols + col]; si >= 0; si = g->slots[si].next) {
                const slot *s = &g->slots[si];
                double dx = s->x - x, dy = s->y - y;
                if (dx * dx + dy * dy <= r2) {
                    if (n < max) {
                        if (ids)
                            ids[n] = s->id;
                        else
                            hits[n] = (cw_grid_hit){s->id, s->data};
                    }
                    n++;
                }
            }
    return n;
}

int cw_grid_query(const cw_grid *g, double x, double y, double r, int64_t *out, int max)
{
    return scan(g, x, y, r, out, NULL, max);
}

int cw_grid_query_hits(const cw_grid *g, double x, double y, double r, cw_grid_hit *out, int max)
{
    return scan(g, x, y, r, NULL, out, max);
}
